/**
 * Channel start and zapping, in one run: what the gateway adds to a channel change over the engine itself.
 *
 *   node benchmarks/bin/zap.js [--opens 20] [--streams 20] [--switches 40] [--every 2] [--shards 2]
 *
 * 1. **Cold open** of `--opens` new content ids, once straight from engine-sim (its own request → first
 *    byte and → first keyframe) and once through the gateway (a stream the gateway has not opened yet:
 *    directory, engine session, ingest, first byte to the player), alternating engine/gateway per id so a
 *    drift of the machine falls on both. "Added" is gateway minus engine, per percentile.
 * 2. **Zapping**: one player switches among `--streams` streams every `--every` seconds for `--switches`
 *    changes, each change a new connection, the old one closed as a player does. *Warm*: every stream is
 *    already playing for someone else (a holder client per stream), so a change joins a live ring.
 *    *Cold*: every change opens a stream nobody watches.
 * Keyframe: the first video packet a decoder can start on (random access indicator or an IDR/IRAP in the
 * PES), after PAT and PMT. Prints a table and writes benchmarks/results/<date>-zap.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { join } from 'node:path';
import {
  isRandomAccessPacket,
  NULL_PID,
  PAT_PID,
  parsePatPacket,
  parsePmtPacket,
  readPid,
  SYNC_BYTE,
  TS_PACKET_SIZE,
  type VideoCodec,
} from '@shardcast/mpegts';
import { numberFlag, parseFlags } from '../util/args.js';
import { stopAllChildren } from '../util/child.js';
import { describeMachine } from '../util/machine.js';
import { RESULTS_DIR } from './paths.js';
import { startEngineSim, startGateway } from './procs.js';

/** Give up on one open after this long (a failed open is reported, not waited for forever). */
const OPEN_DEADLINE_MS = 20_000;

function log(m: string): void {
  process.stderr.write(`[zap ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
}

/** Finds the first decodable video packet in a byte stream, incrementally (whole packets from the start). */
export class KeyframeWatch {
  #pmtPid = -1;
  #videoPid = -1;
  #codec: VideoCodec | null = null;
  #carry = Buffer.alloc(0);
  found = false;

  /** Feeds bytes; true once a keyframe has been seen (in these bytes or before). */
  push(chunk: Buffer): boolean {
    if (this.found) return true;
    const data = this.#carry.length > 0 ? Buffer.concat([this.#carry, chunk]) : chunk;
    let off = 0;
    while (off + TS_PACKET_SIZE <= data.length) {
      if (data[off] !== SYNC_BYTE) {
        off++;
        continue;
      }
      if (this.#packet(data, off)) {
        this.found = true;
        return true;
      }
      off += TS_PACKET_SIZE;
    }
    this.#carry = Buffer.from(data.subarray(off));
    return false;
  }

  #packet(data: Buffer, off: number): boolean {
    const pid = readPid(data, off);
    if (pid === NULL_PID) return false;
    if (pid === PAT_PID) {
      const program = parsePatPacket(data, off)?.programs[0];
      if (program) this.#pmtPid = program.pmtPid;
      return false;
    }
    if (pid === this.#pmtPid && this.#videoPid < 0) {
      const pmt = parsePmtPacket(data, off);
      if (pmt?.video) {
        this.#videoPid = pmt.video.pid;
        this.#codec = pmt.video.codec as VideoCodec;
      }
      return false;
    }
    return pid === this.#videoPid && isRandomAccessPacket(data, off, this.#codec);
  }
}

export interface OpenTiming {
  firstByteMs: number;
  keyframeMs: number;
}

/** Opens `url`, resolves with its first-byte and first-keyframe times (or null on error/deadline). */
export function timeOpen(url: string): { done: Promise<OpenTiming | null>; req: ClientRequest } {
  const t0 = performance.now();
  let firstByte = -1;
  let settle!: (v: OpenTiming | null) => void;
  const done = new Promise<OpenTiming | null>((r) => {
    settle = r;
  });
  const timer = setTimeout(() => {
    settle(null);
    req.destroy();
  }, OPEN_DEADLINE_MS);
  const watch = new KeyframeWatch();
  const req = request(url, { agent: false }, (res) => {
    if (res.statusCode !== 200) {
      clearTimeout(timer);
      settle(null);
      res.resume();
      return;
    }
    res.on('data', (chunk: Buffer) => {
      const now = performance.now();
      if (firstByte < 0) firstByte = now - t0;
      if (watch.push(chunk)) {
        clearTimeout(timer);
        settle({ firstByteMs: firstByte, keyframeMs: now - t0 });
      }
    });
    res.on('error', () => {});
  });
  req.on('error', () => {
    clearTimeout(timer);
    settle(null);
  });
  req.end();
  return { done, req };
}

/** Nearest-rank percentile of `xs` (0 < p ≤ 100); NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

interface Series {
  firstByte: number[];
  keyframe: number[];
  failed: number;
}

const newSeries = (): Series => ({ firstByte: [], keyframe: [], failed: 0 });

async function measure(url: string, into: Series): Promise<void> {
  const { done, req } = timeOpen(url);
  const t = await done;
  req.destroy();
  if (t === null) into.failed++;
  else {
    into.firstByte.push(t.firstByteMs);
    into.keyframe.push(t.keyframeMs);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const hexId = (tag: string, i: number): string =>
  `${tag}${i.toString(16).padStart(4, '0')}`.padEnd(40, 'a').slice(0, 40);

/** The whole run (CLI: benchmarks/bin/zap.js). */
export async function runZap(argv: readonly string[]): Promise<void> {
  const f = parseFlags([...argv], {
    opens: { type: 'string' },
    streams: { type: 'string' },
    switches: { type: 'string' },
    every: { type: 'string' },
    shards: { type: 'string' },
  });
  const opens = numberFlag(f, 'opens', 20, 1, 500, true);
  const streams = numberFlag(f, 'streams', 20, 2, 200, true);
  const switches = numberFlag(f, 'switches', 40, 1, 1000, true);
  const everyS = numberFlag(f, 'every', 2, 0.2, 30);
  const shards = numberFlag(f, 'shards', 2, 1, 16, true);
  const sim = await startEngineSim('1');
  const gw = await startGateway({ shards, engines: [sim.url], extra: ['--grace-seconds', '3'] });
  log(`engine-sim ${sim.url}, gateway ${gw.url} (${shards} shards)`);
  const engine = newSeries();
  const gateway = newSeries();
  const warm = newSeries();
  const cold = newSeries();
  const holders: ClientRequest[] = [];
  try {
    // 1. Cold opens, engine and gateway alternating, each with an id nobody opened before.
    for (let i = 0; i < opens; i++) {
      await measure(`${sim.url}/ace/getstream?id=${hexId('e0', i)}`, engine);
      await measure(`${gw.url}/ace/getstream?id=${hexId('c0', i)}`, gateway);
    }
    log(`cold opens done: engine ${engine.keyframe.length}, gateway ${gateway.keyframe.length}`);
    // 2a. Warm zapping: every stream has a holder, so the player joins live rings.
    for (let i = 0; i < streams; i++) {
      const { done, req } = timeOpen(`${gw.url}/ace/getstream?id=${hexId('d0', i)}`);
      holders.push(req);
      if ((await done) === null) throw new Error(`stream ${i} did not start for its holder`);
    }
    for (let i = 0; i < switches; i++) {
      const t0 = performance.now();
      await measure(`${gw.url}/ace/getstream?id=${hexId('d0', i % streams)}`, warm);
      await sleep(Math.max(0, everyS * 1000 - (performance.now() - t0)));
    }
    for (const h of holders) h.destroy();
    // 2b. Cold zapping: every change opens a stream nobody watches.
    for (let i = 0; i < switches; i++) {
      const t0 = performance.now();
      await measure(`${gw.url}/ace/getstream?id=${hexId('f0', i)}`, cold);
      await sleep(Math.max(0, everyS * 1000 - (performance.now() - t0)));
    }
  } finally {
    for (const h of holders) h.destroy();
    await stopAllChildren();
  }
  const row = (name: string, s: Series) => ({
    name,
    n: s.keyframe.length,
    failed: s.failed,
    first_byte_p50_ms: round(percentile(s.firstByte, 50)),
    first_byte_p99_ms: round(percentile(s.firstByte, 99)),
    keyframe_p50_ms: round(percentile(s.keyframe, 50)),
    keyframe_p99_ms: round(percentile(s.keyframe, 99)),
  });
  const rows = [
    row('engine-sim direct, cold open', engine),
    row('gateway, cold open', gateway),
    row(`gateway, warm zap (${streams} live streams)`, warm),
    row('gateway, cold zap', cold),
  ];
  const added = {
    first_byte_p50_ms: round(rows[1]!.first_byte_p50_ms - rows[0]!.first_byte_p50_ms),
    first_byte_p99_ms: round(rows[1]!.first_byte_p99_ms - rows[0]!.first_byte_p99_ms),
    keyframe_p50_ms: round(rows[1]!.keyframe_p50_ms - rows[0]!.keyframe_p50_ms),
    keyframe_p99_ms: round(rows[1]!.keyframe_p99_ms - rows[0]!.keyframe_p99_ms),
  };
  const lines = [
    '| series | n | failed | first byte p50 / p99 ms | first keyframe p50 / p99 ms |',
    '|---|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.n} | ${r.failed} | ${r.first_byte_p50_ms} / ${r.first_byte_p99_ms} | ${r.keyframe_p50_ms} / ${r.keyframe_p99_ms} |`,
    ),
    `| gateway adds on a cold open (target ≤ 25 ms p99) | | | ${added.first_byte_p50_ms} / ${added.first_byte_p99_ms} | ${added.keyframe_p50_ms} / ${added.keyframe_p99_ms} |`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const date = new Date().toISOString().slice(0, 10);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${date}-zap.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ machine: describeMachine(), params: { opens, streams, switches, everyS, shards }, rows, added }, null, 2)}\n`,
  );
  log(`wrote ${file}`);
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
