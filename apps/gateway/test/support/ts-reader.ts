// Test support: a progressive MPEG-TS reader over node:http and a validator of what it received.
import { request } from 'node:http';
import {
  CC_RESULT,
  ContinuityChecker,
  isRandomAccessPacket,
  parsePatPacket,
  parsePmtPacket,
  readPid,
  readPusi,
  SYNC_BYTE,
  TS_PACKET_SIZE,
} from '@shardcast/mpegts';

export interface TsRead {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bytes: Uint8Array;
  /** Arrival time (ms since start) of each chunk with its size. */
  readonly arrivals: Array<{ atMs: number; bytes: number }>;
  /** The server ended or reset the connection before we stopped reading. */
  readonly closedByServer: boolean;
}

/** Reads `url` for `ms` milliseconds (or until the server ends it). */
export function readTs(url: string, ms: number, onChunk?: (c: Buffer) => void): Promise<TsRead> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const arrivals: Array<{ atMs: number; bytes: number }> = [];
    const t0 = Date.now();
    let closedByServer = true;
    const req = request(url, { agent: false }, (res) => {
      const timer = setTimeout(() => {
        closedByServer = false;
        req.destroy();
      }, ms);
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        arrivals.push({ atMs: Date.now() - t0, bytes: c.length });
        onChunk?.(c);
      });
      const done = (): void => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes: new Uint8Array(Buffer.concat(chunks)),
          arrivals,
          closedByServer,
        });
      };
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    req.on('error', (err) => {
      if (!closedByServer || chunks.length > 0) return;
      reject(err);
    });
    req.end();
  });
}

/**
 * A TS client the test controls: it reads until `close()`, so a test waits for the condition it cares
 * about (bytes received, a counter in the API) instead of reading for a fixed time and hoping.
 */
export interface LiveTs {
  /** Resolves with the status once the response headers arrived (rejects on a connection error). */
  readonly response: Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>;
  /** Bytes received so far. */
  received(): number;
  /** Resolves true once `n` bytes have arrived in all, false if the deadline or the end came first. */
  waitBytes(n: number, deadlineMs: number): Promise<boolean>;
  /** Stops reading (if the server has not ended the response) and returns what was read. */
  close(): Promise<TsRead>;
}

export function openTs(url: string, onChunk?: (c: Buffer) => void): LiveTs {
  const chunks: Buffer[] = [];
  const arrivals: Array<{ atMs: number; bytes: number }> = [];
  const t0 = Date.now();
  let total = 0;
  let ended = false;
  let closedByServer = true;
  let status = 0;
  let headers: Record<string, string | string[] | undefined> = {};
  const waiters = new Set<() => void>();
  const wake = (): void => {
    for (const w of waiters) w();
  };
  let finish: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    finish = () => {
      ended = true;
      wake();
      resolve();
    };
  });
  let req: ReturnType<typeof request>;
  const response = new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>(
    (resolve, reject) => {
      req = request(url, { agent: false }, (res) => {
        status = res.statusCode ?? 0;
        headers = res.headers;
        resolve({ status, headers });
        res.on('data', (c: Buffer) => {
          chunks.push(c);
          total += c.length;
          arrivals.push({ atMs: Date.now() - t0, bytes: c.length });
          onChunk?.(c);
          wake();
        });
        res.on('end', finish);
        res.on('close', finish);
        res.on('error', finish);
      });
      req.on('error', (err) => {
        finish();
        reject(err);
      });
      req.end();
    },
  );
  response.catch(() => {});
  return {
    response,
    received: () => total,
    waitBytes: (n, deadlineMs) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (total >= n || ended) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve(total >= n);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          resolve(total >= n);
        }, deadlineMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      if (!ended) {
        closedByServer = false;
        req.destroy();
      }
      await done;
      return { status, headers, bytes: new Uint8Array(Buffer.concat(chunks)), arrivals, closedByServer };
    },
  };
}

export interface TsCheck {
  packets: number;
  syncErrors: number;
  ccErrors: number;
  nullPackets: number;
  /** PIDs of the first three packets. */
  firstPids: number[];
  /** The stream opened with PAT, then the PMT, then a video random-access packet. */
  startsWithPsiAndKeyframe: boolean;
  videoPid: number;
  /** Distinct PIDs other than the null PID. */
  pids: number;
  /** Packets whose adaptation field sets discontinuity_indicator. */
  discontinuityFlags: number;
}

export function checkTs(bytes: Uint8Array): TsCheck {
  const cc = new ContinuityChecker();
  let syncErrors = 0;
  let nullPackets = 0;
  let pmtPid = -1;
  let videoPid = -1;
  let codec: Parameters<typeof isRandomAccessPacket>[2] = null;
  const firstPids: number[] = [];
  const seen = new Set<number>();
  let startsWithPsiAndKeyframe = false;
  let discontinuityFlags = 0;
  const n = Math.floor(bytes.length / TS_PACKET_SIZE);
  for (let i = 0; i < n; i++) {
    const off = i * TS_PACKET_SIZE;
    if (bytes[off] !== SYNC_BYTE) {
      syncErrors++;
      continue;
    }
    const pid = readPid(bytes, off);
    if (firstPids.length < 3) firstPids.push(pid);
    if (pid === 0x1fff) {
      nullPackets++;
      continue;
    }
    seen.add(pid);
    if (pid === 0 && pmtPid < 0) pmtPid = parsePatPacket(bytes, off)?.programs[0]?.pmtPid ?? -1;
    if (pid === pmtPid && videoPid < 0) {
      const pmt = parsePmtPacket(bytes, off);
      videoPid = pmt?.video?.pid ?? -1;
      codec = pmt?.video?.codec ?? null;
    }
    if (i === 2)
      startsWithPsiAndKeyframe =
        firstPids[0] === 0 &&
        firstPids[1] === pmtPid &&
        pid === videoPid &&
        readPusi(bytes, off) &&
        isRandomAccessPacket(bytes, off, codec);
    const b3 = bytes[off + 3]!;
    const afc = (b3 >> 4) & 3;
    const disc = (afc & 2) !== 0 && bytes[off + 4]! > 0 && (bytes[off + 5]! & 0x80) !== 0;
    if (disc) discontinuityFlags++;
    if (cc.check(pid, b3 & 0x0f, (afc & 1) !== 0, disc) === CC_RESULT.ERROR) {
      // counted by the checker
    }
  }
  return {
    packets: n,
    syncErrors,
    ccErrors: cc.errors,
    nullPackets,
    firstPids,
    startsWithPsiAndKeyframe,
    videoPid,
    pids: seen.size,
    discontinuityFlags,
  };
}
