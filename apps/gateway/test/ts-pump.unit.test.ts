// The MPEG-TS client pump in-process: a real ring written here, fake uWS responses that record every write,
// and simulated time (the pump's injected clock plus explicit `tick(now)` calls, its interval stopped). Each
// test pins one of the "Playing MPEG-TS" rules of the README: batching, lag skip, stuck close, null packets
// during a stall, and a blocked client not delaying the others.

import type { HttpResponse } from 'uWebSockets.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPatPacket, buildPmtPacket, readPid } from '@shardcast/mpegts';
import { createRing, RingWriter, TS_PACKET_SIZE } from '@shardcast/ring';
import { loadConfig } from '../src/config/load.js';
import type { GatewayConfig } from '../src/config/types.js';
import { createLogger } from '../src/log.js';
import { LocalStream } from '../src/shard/streams.js';
import { type FinishReason, TsClient } from '../src/shard/ts-client.js';
import { MAX_WRITE_BYTES, TsPump } from '../src/shard/ts-pump.js';
import type { StreamKey } from '../src/stream-key.js';

const KEY: StreamKey = { kind: 'id', hex: 'a'.repeat(40) };
const VIDEO_PID = 0x100;
const PMT_PID = 0x1000;
const NULL_PID = 0x1fff;
/** The pump's batching thresholds as the README states them. */
const BATCH_BYTES = 16 * 1024;
const BATCH_PACKETS = Math.ceil(BATCH_BYTES / TS_PACKET_SIZE);
const BATCH_DELAY_MS = 100;
const FLUSH_MS = 20;

const PSI = new Uint8Array([
  ...buildPatPacket({ programs: [{ programNumber: 1, pmtPid: PMT_PID }] })!,
  ...buildPmtPacket(PMT_PID, {
    programNumber: 1,
    pcrPid: VIDEO_PID,
    streams: [{ streamType: 0x1b, pid: VIDEO_PID }],
  })!,
]);

/** A uWS response that records what the pump does to it; `accept = false` makes writes report backpressure. */
class FakeResponse {
  readonly writes: Uint8Array[] = [];
  /** Simulated time of each write (same index as `writes`). */
  readonly writeTimes: number[] = [];
  accept = true;
  closed = false;
  ended = false;
  #offset = 0;
  #writable: ((offset: number) => boolean) | null = null;
  readonly #clock: () => number;

  constructor(clock: () => number) {
    this.#clock = clock;
  }

  cork(cb: () => void): this {
    cb();
    return this;
  }
  write(chunk: Uint8Array): boolean {
    assert.ok(!this.closed && !this.ended, 'nothing writes to a response after it ended');
    // Copied: the pump hands out views of the ring, which the writer overwrites later.
    this.writes.push(Uint8Array.from(chunk));
    this.writeTimes.push(this.#clock());
    this.#offset += chunk.length;
    return this.accept;
  }
  onWritable(cb: (offset: number) => boolean): this {
    this.#writable = cb;
    return this;
  }
  onAborted(_cb: () => void): this {
    return this;
  }
  getWriteOffset(): number {
    return this.#offset;
  }
  end(): this {
    this.ended = true;
    return this;
  }
  close(): this {
    this.closed = true;
    return this;
  }
  /** uWS drained the socket: writes succeed again and the client's onWritable runs. */
  drain(): boolean {
    this.accept = true;
    return this.#writable!(this.#offset);
  }
  get bytes(): number {
    return this.writes.reduce((n, w) => n + w.length, 0);
  }
  /** Every packet received, in order. */
  packets(): Uint8Array[] {
    const all = Buffer.concat(this.writes);
    assert.equal(all.length % TS_PACKET_SIZE, 0, 'only whole packets are written');
    const out: Uint8Array[] = [];
    for (let o = 0; o < all.length; o += TS_PACKET_SIZE) out.push(all.subarray(o, o + TS_PACKET_SIZE));
    return out;
  }
}

/** The running number a video packet of this test carries in its payload. */
function seqOf(packet: Uint8Array): number {
  return Buffer.from(packet).readUInt32BE(4);
}

interface Rig {
  readonly pump: TsPump;
  readonly writer: RingWriter;
  readonly stream: LocalStream;
  readonly finished: Array<{ res: FakeResponse; reason: FinishReason }>;
  now(): number;
  /** Advances simulated time by `ms` and runs one pump tick. */
  tick(ms?: number): void;
  /** Appends `n` video packets; `keyframe` marks the first as the newest random-access point. */
  append(n: number, keyframe?: boolean): void;
  /** A client joining at `cursor` (default: caught up with the ring). */
  join(cursor?: number): { res: FakeResponse; client: TsClient };
}

function rig(
  options: Partial<GatewayConfig> & {
    bitrateBps?: number;
    capacityPackets?: number;
    ownTimer?: boolean;
  } = {},
): Rig {
  const { bitrateBps = 1_000_000, capacityPackets = 16384, ownTimer = false, ...overrides } = options;
  const config: GatewayConfig = { ...loadConfig([], {}).config, flushMs: FLUSH_MS, ...overrides };
  let t = 1_000_000;
  const now = (): number => t;
  const pump = new TsPump(config, createLogger('silent'), 0, now);
  // Driven by hand in simulated time, never by its own interval (unless a test is about that interval).
  if (!ownTimer) pump.stop();
  const handles = createRing({ capacityPackets });
  const writer = new RingWriter(handles);
  writer.setBitrate(bitrateBps);
  writer.setState('live');
  const stream = new LocalStream(1, KEY, handles);
  const finished: Rig['finished'] = [];
  let seq = 0;
  return {
    pump,
    writer,
    stream,
    finished,
    now,
    tick(ms = FLUSH_MS) {
      t += ms;
      pump.tick(t);
    },
    append(n, keyframe = false) {
      const bytes = new Uint8Array(n * TS_PACKET_SIZE);
      const view = Buffer.from(bytes.buffer);
      for (let i = 0; i < n; i++) {
        const o = i * TS_PACKET_SIZE;
        view[o] = 0x47;
        view.writeUInt16BE(((keyframe && i === 0 ? 0x40 : 0) << 8) | VIDEO_PID, o + 1);
        view[o + 3] = 0x10 | (seq & 0x0f);
        view.writeUInt32BE(seq++, o + 4);
      }
      const at = writer.commitCursor;
      writer.write(bytes);
      if (keyframe) writer.markRandomAccess(at, PSI);
      writer.touch(t);
    },
    join(cursor = writer.commitCursor) {
      const res = new FakeResponse(now);
      assert.ok(stream.control.tryAcquire());
      const client = new TsClient(res as unknown as HttpResponse, stream, cursor, (c, reason) => {
        pump.remove(c);
        finished.push({ res, reason });
      });
      pump.add(client);
      return { res, client };
    },
  };
}

test('an idle pump holds no timer: its interval runs only while clients are attached', () => {
  const timers = (): number => process.getActiveResourcesInfo().filter((k) => k === 'Timeout').length;
  const r = rig({ ownTimer: true });
  try {
    const idle = timers();
    const a = r.join();
    assert.equal(timers(), idle + 1, 'the first client starts the tick interval');
    const b = r.join();
    assert.equal(timers(), idle + 1, 'one interval, however many clients');
    a.client.finish('aborted');
    assert.equal(timers(), idle + 1, 'a client still attached keeps it');
    b.client.finish('aborted');
    assert.equal(timers(), idle, 'the last client gone, the interval goes too');
    r.join();
    assert.equal(timers(), idle + 1, 'and comes back with the next client');
    r.pump.stop();
    assert.equal(timers(), idle, 'stop() ends it');
    r.join();
    assert.equal(timers(), idle, 'after stop() a join starts nothing');
  } finally {
    r.pump.stop();
  }
});

test('batching: a client is written once 16 KiB are pending or 100 ms passed, not per packet', () => {
  const r = rig();
  r.append(1, true);
  const { res } = r.join();
  // First bytes: the client's last write is "never", so the delay rule lets them out at once.
  r.append(1);
  r.tick();
  assert.equal(res.writes.length, 1);
  const firstAt = r.now();

  // One packet per tick: held until 100 ms after the last write, then sent together in one visit.
  for (let elapsed = FLUSH_MS; elapsed < BATCH_DELAY_MS; elapsed += FLUSH_MS) {
    r.append(1);
    r.tick();
    assert.equal(res.writes.length, 1, `nothing written ${elapsed} ms after the last write`);
  }
  r.append(1);
  r.tick();
  assert.equal(r.now() - firstAt, BATCH_DELAY_MS);
  assert.equal(res.writes.length, 2, 'written once 100 ms passed');
  assert.equal(
    res.writes[1]!.length,
    (BATCH_DELAY_MS / FLUSH_MS) * TS_PACKET_SIZE,
    'the held packets, batched',
  );

  // Size rule: one packet short of 16 KiB waits, 16 KiB goes out at the next tick, well before 100 ms.
  r.append(BATCH_PACKETS - 1);
  r.tick();
  assert.equal(res.writes.length, 2, 'less than 16 KiB pending 20 ms after a write: held');
  r.append(1);
  r.tick();
  assert.equal(res.writes.length, 3, '16 KiB pending: written');
  assert.equal(res.writes[2]!.length, BATCH_PACKETS * TS_PACKET_SIZE);
  assert.ok(BATCH_PACKETS * TS_PACKET_SIZE >= BATCH_BYTES);
  assert.deepEqual(
    res.packets().map(seqOf),
    Array.from({ length: 1 + BATCH_DELAY_MS / FLUSH_MS + BATCH_PACKETS }, (_, i) => i + 1),
    'every packet once, in order',
  );
});

test('lag: a client more than --client-lag-seconds behind skips to the newest keyframe, PAT/PMT first, counted', () => {
  // 100 packets a second and 1 s of allowed lag: 100 packets behind is the limit.
  const packetsPerSecond = 100;
  const r = rig({ clientLagSeconds: 1, bitrateBps: packetsPerSecond * TS_PACKET_SIZE * 8 });
  r.append(10, true);
  const { res } = r.join(0);
  r.tick();
  assert.equal(res.packets().length, 10);

  // Just inside the limit: no skip, every packet delivered.
  r.append(packetsPerSecond - 10);
  r.tick(BATCH_DELAY_MS);
  assert.equal(r.stream.counters.skips, 0);
  assert.equal(res.packets().length, packetsPerSecond);

  // The client falls 250 packets behind (a keyframe 200 packets in): it jumps to that keyframe.
  r.append(200);
  const keyframeSeq = 300;
  r.append(50, true);
  const before = res.writes.length;
  r.tick(BATCH_DELAY_MS);
  assert.equal(r.stream.counters.skips, 1, 'the skip is counted');
  assert.deepEqual(res.writes[before], PSI, 'PAT and PMT come first');
  const after = Buffer.concat(res.writes.slice(before + 1));
  const got: number[] = [];
  for (let o = 0; o < after.length; o += TS_PACKET_SIZE) got.push(seqOf(after.subarray(o)));
  assert.deepEqual(
    got,
    Array.from({ length: 50 }, (_, i) => keyframeSeq + i),
    'then the stream from the newest keyframe on; the lagged packets are never sent',
  );
  assert.equal(r.finished.length, 0, 'a lagging client is moved, not closed');
});

test('stuck: a client that accepts nothing for --client-stuck-seconds is closed and counted; it holds one write', () => {
  const stuckSeconds = 3;
  const r = rig({ clientStuckSeconds: stuckSeconds, bitrateBps: 10_000_000 });
  r.append(1, true);
  const { res, client } = r.join(0);
  res.accept = false;
  // A backlog of several writes' worth: the first write blocks, nothing more is handed to uWS.
  r.append(3 * (MAX_WRITE_BYTES / TS_PACKET_SIZE));
  r.tick();
  assert.equal(res.writes.length, 1);
  assert.equal(res.writes[0]!.length, MAX_WRITE_BYTES, 'one write of at most 64 KiB');
  assert.ok(client.blocked);
  const blockedAt = r.now();

  // Data keeps coming; the client never drains. Still open until the deadline, closed right after.
  while (r.now() - blockedAt < stuckSeconds * 1000) {
    r.append(20);
    r.tick(100);
    if (r.now() - blockedAt <= stuckSeconds * 1000) {
      assert.equal(r.finished.length, 0, `open ${r.now() - blockedAt} ms into the block`);
    }
  }
  assert.equal(res.writes.length, 1, 'no further writes while blocked: memory stays one write');
  r.append(20);
  r.tick(100);
  assert.deepEqual(
    r.finished.map((f) => f.reason),
    ['stuck'],
  );
  assert.ok(res.closed, 'the socket is closed, not ended gracefully');
  assert.equal(r.stream.counters.drops, 1, 'counted as a drop');
  assert.equal(r.pump.clients, 0);
  assert.equal(r.stream.control.readers, 0, 'its lease was released');
});

test('stuck while the upstream is silent: a client blocked on everything it was handed is still closed at the deadline', () => {
  const stuckSeconds = 3;
  const r = rig({ clientStuckSeconds: stuckSeconds, nullCapSeconds: 60 });
  r.append(1, true);
  const { res, client } = r.join(0);
  res.accept = false;
  // Less than one write: all of it is handed to uWS, which keeps it; the client has nothing left to send.
  r.append(20);
  r.tick();
  assert.ok(client.blocked);
  const blockedAt = r.now();
  // The upstream goes silent: no new byte for longer than the deadline.
  while (r.now() - blockedAt <= stuckSeconds * 1000) r.tick(100);
  r.tick(100);
  assert.deepEqual(
    r.finished.map((f) => f.reason),
    ['stuck'],
  );
  assert.equal(r.stream.counters.drops, 1);
  assert.equal(r.pump.clients, 0);
});

test('stall: a caught-up client gets null packets after 1 s of silence, every 250 ms, up to --null-cap-seconds', () => {
  const nullCapSeconds = 2;
  const r = rig({ nullCapSeconds });
  r.append(10, true);
  const { res } = r.join();
  const silentFrom = r.now();
  // The upstream stops: 5 s of ticks with nothing new in the ring.
  // Ticks every 50 ms here so 250 ms spacing lands on a tick (the pump ticks every --flush-ms).
  while (r.now() - silentFrom < 5000) r.tick(50);
  const times = res.writeTimes.map((w) => w - silentFrom);
  const expected: number[] = [];
  for (let at = 1000; at < 1000 + nullCapSeconds * 1000; at += 250) expected.push(at);
  assert.deepEqual(times, expected, 'first after 1 s, then every 250 ms, none after the cap');
  for (const p of res.packets()) assert.equal(readPid(p, 0), NULL_PID, 'only null packets (PID 0x1FFF)');
  assert.equal(r.stream.counters.nullPackets, res.packets().length, 'null packets are counted');
  assert.equal(r.finished.length, 0);

  // Data again: the real bytes flow, and a new silence restarts the keep-alive.
  const nulls = res.writes.length;
  r.append(5);
  r.tick(BATCH_DELAY_MS);
  assert.equal(res.writes.length, nulls + 1);
  assert.notEqual(readPid(res.writes[nulls]!, 0), NULL_PID);
});

test('a blocked client does not delay another client of the same stream', () => {
  const r = rig({ clientStuckSeconds: 60, bitrateBps: 10_000_000 });
  r.append(1, true);
  const a = r.join();
  const b = r.join();
  a.res.accept = false;
  const start = r.writer.commitCursor;
  for (let i = 0; i < 20; i++) {
    r.append(BATCH_PACKETS);
    r.tick();
    // Every tick, whichever order the pump visits them in, B has everything the ring has.
    assert.equal(b.client.cursor, r.writer.commitCursor, `B is caught up after tick ${i}`);
    assert.equal(b.res.writeTimes.at(-1), r.now(), `B was written in tick ${i}`);
  }
  assert.equal(b.res.bytes, r.writer.commitCursor - start);
  assert.equal(a.res.writes.length, 1, 'A blocked on its first write and got nothing more');
  assert.ok(a.client.blocked);
  // A's socket drains: it continues at once, without waiting for a tick.
  const aBefore = a.res.writes.length;
  a.res.drain();
  assert.ok(a.res.writes.length > aBefore, 'a drained client resumes immediately');
  assert.equal(a.client.cursor, r.writer.commitCursor);
});
