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

/** A progressive read in progress: bytes so far, and a way to stop it. */
export interface TsReading {
  /** Bytes received so far (updated as chunks arrive). */
  readonly received: number;
  /** Resolves with everything read once the read ended (stopped, or ended by the server). */
  readonly done: Promise<TsRead>;
  /** Stops reading (closedByServer false) and resolves like `done`. */
  stop(): Promise<TsRead>;
}

/** Starts reading `url` until stop() or the server ends it; `onResponse` fires with the headers. */
export function openTs(url: string, onChunk?: (c: Buffer) => void, onResponse?: () => void): TsReading {
  const chunks: Buffer[] = [];
  const arrivals: Array<{ atMs: number; bytes: number }> = [];
  const t0 = Date.now();
  let closedByServer = true;
  let received = 0;
  let responded = false;
  let stopRead = (): void => {};
  const done = new Promise<TsRead>((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      responded = true;
      onResponse?.();
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
        arrivals.push({ atMs: Date.now() - t0, bytes: c.length });
        onChunk?.(c);
      });
      const finish = (): void => {
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          bytes: new Uint8Array(Buffer.concat(chunks)),
          arrivals,
          closedByServer,
        });
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    stopRead = () => {
      closedByServer = false;
      req.destroy();
    };
    req.on('error', (err) => {
      if (responded || chunks.length > 0) return;
      // Stopped before any answer: an empty read, not a failure.
      if (!closedByServer)
        resolve({ status: 0, headers: {}, bytes: new Uint8Array(0), arrivals, closedByServer });
      else reject(err);
    });
    req.end();
  });
  return {
    get received() {
      return received;
    },
    done,
    stop: () => {
      stopRead();
      return done;
    },
  };
}

/** Reads `url` for `ms` milliseconds from the response headers (or until the server ends it). */
export function readTs(url: string, ms: number, onChunk?: (c: Buffer) => void): Promise<TsRead> {
  let timer: NodeJS.Timeout | undefined;
  const reading = openTs(url, onChunk, () => {
    timer = setTimeout(() => void reading.stop(), ms);
  });
  return reading.done.finally(() => clearTimeout(timer));
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
  };
}
