// Test helpers: HTTP reads with bounds on bytes and time, JSON calls, and TS stream checks.
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { CC_RESULT, ContinuityChecker, readPcr, TS_PACKET_SIZE } from '@shardcast/mpegts';

export const CONTENT_ID = '0123456789abcdef0123456789abcdef01234567';
export const INFOHASH = 'fedcba9876543210fedcba9876543210fedcba98';

export interface StreamRead {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** How the read ended: the server ended cleanly, the connection failed, or a bound was reached. */
  end: 'end' | 'error' | 'limit';
  /** ms from the response headers to the last byte read. */
  elapsedMs: number;
}

/** GETs `url` and reads until it ends, fails, or `maxBytes`/`maxMs` is reached (then aborts). */
export function readStream(url: string, maxBytes: number, maxMs: number): Promise<StreamRead> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { 'User-Agent': 'VLC/3.0.20 LibVLC/3.0.20' } }, (res) => {
      const started = performance.now();
      let last = started;
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (end: StreamRead['end']): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (end === 'limit') req.destroy();
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).subarray(0, Math.min(size, maxBytes)),
          end,
          elapsedMs: last - started,
        });
      };
      const timer = setTimeout(() => finish('limit'), maxMs);
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        size += c.length;
        last = performance.now();
        if (size >= maxBytes) finish('limit');
      });
      res.on('end', () => finish('end'));
      res.on('error', () => finish('error'));
      res.on('aborted', () => finish('error'));
      res.on('close', () => finish(res.complete ? 'end' : 'error'));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Parsed JSON as the tests inspect it: field by field, with assertions. */
export type Json = any;

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Json }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

export async function startSession(base: string, query: string): Promise<Json> {
  const { status, body } = await getJson(`${base}/ace/getstream?${query}&format=json`);
  if (status !== 200 || body.error !== null)
    throw new Error(`start failed: ${status} ${JSON.stringify(body)}`);
  return body.response;
}

export interface TsCheck {
  packets: number;
  syncErrors: number;
  ccErrors: number;
  pcrs: number[];
}

/** Checks sync bytes and continuity counters of whole packets, and collects PCRs of `pcrPid`. */
export function checkTs(data: Uint8Array, pcrPid: number): TsCheck {
  const cc = new ContinuityChecker();
  const out: TsCheck = { packets: 0, syncErrors: 0, ccErrors: 0, pcrs: [] };
  for (let off = 0; off + TS_PACKET_SIZE <= data.length; off += TS_PACKET_SIZE) {
    out.packets++;
    if (data[off] !== 0x47) {
      out.syncErrors++;
      continue;
    }
    if (cc.checkPacket(data, off) === CC_RESULT.ERROR) out.ccErrors++;
    const pid = ((data[off + 1]! & 0x1f) << 8) | data[off + 2]!;
    if (pid === pcrPid) {
      const pcr = readPcr(data, off);
      if (pcr >= 0) out.pcrs.push(pcr);
    }
  }
  return out;
}

export function strictlyIncreasing(values: number[]): boolean {
  for (let i = 1; i < values.length; i++) if (values[i]! <= values[i - 1]!) return false;
  return true;
}

const BIN = fileURLToPath(new URL('../../bin/shardcast-engine-sim.js', import.meta.url));

/** Starts the CLI on a free port and resolves with its URL, parsed from its one ready line. */
export function spawnSim(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no ready line: ${out}`));
    }, 10_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (c: string) => {
      out += c;
      const m = /^engine-sim listening on (http:\/\/\S+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}
