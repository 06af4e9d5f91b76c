// The ingest's brake on a faster-than-real-time upstream, on simulated time: it holds while a client still
// reading is far behind, and even then never below 1.5 × the stream's own bitrate, so one slow or dead
// reader cannot starve everyone else; with no reader at all it reads at real time.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_FIXTURE } from '@shardcast/engine-sim';
import { createRing, RingReader, RingWriter } from '@shardcast/ring';
import type { Ingest } from '../src/shard/owner/ingest.js';
import { testIngest } from './support/ingest-rig.js';

const fixture = readFileSync(DEFAULT_FIXTURE);
const CHUNK = 64 * 1024;
const SLOT = 0;
/** One chunk per 10 ms: 6.5 MB/s, ~46× the fixture's real time. */
const STEP_MS = 10;

function setup(): { ingest: Ingest; writer: RingWriter; reader: RingReader; bytesPerSecond: () => number } {
  // 4096 packets = 770 kB: a quarter ring is well under one pass of the 1.1 MB fixture.
  const ring = createRing({ capacityPackets: 4096 });
  const writer = new RingWriter(ring);
  const reader = new RingReader(ring);
  const ingest = testIngest(writer);
  return { ingest, writer, reader, bytesPerSecond: () => reader.control.bitrate / 8 };
}

/**
 * Feeds the fixture (looping its bytes) as an upstream that could deliver `CHUNK` bytes every STEP_MS,
 * honouring holdMs like the real upstream loop, for `seconds` of simulated time. `readerAt` gives the
 * reported client cursor (or null: no client reports).
 */
function run(
  s: ReturnType<typeof setup>,
  startMs: number,
  seconds: number,
  readerAt: (commit: number) => number | null,
): { bytes: number; longestHoldMs: number; endMs: number } {
  let now = startMs;
  let offset = 0;
  let bytes = 0;
  let longestHoldMs = 0;
  let holdStart = -1;
  while (now < startMs + seconds * 1000) {
    const at = readerAt(s.writer.commitCursor);
    if (at !== null) s.reader.reportProgress(SLOT, at, now);
    const hold = s.ingest.holdMs(now);
    if (hold > 0) {
      if (holdStart < 0) holdStart = now;
      now += hold;
      continue;
    }
    if (holdStart >= 0) longestHoldMs = Math.max(longestHoldMs, now - holdStart);
    holdStart = -1;
    const end = Math.min(offset + CHUNK, fixture.length);
    s.ingest.push(fixture.subarray(offset, end), now);
    bytes += end - offset;
    offset = end === fixture.length ? 0 : end;
    now += STEP_MS;
  }
  return { bytes, longestHoldMs, endMs: now };
}

test('every reader keeping up: an unpaced upstream is never held', () => {
  const s = setup();
  const keepingUp = run(s, 1_000_000, 2, (commit) => commit);
  assert.ok(s.bytesPerSecond() > 0, 'the PCR bitrate is known');
  assert.equal(keepingUp.longestHoldMs, 0);
  // 2 s unbraked at ~46× real time.
  assert.ok(keepingUp.bytes > 60 * s.bytesPerSecond());
});

test('no reader at all: an unpaced upstream is braked to real time, in short holds', () => {
  const s = setup();
  const warm = run(s, 1_000_000, 1, (commit) => commit);
  const bps = s.bytesPerSecond();
  const idle = run(s, warm.endMs, 20, () => null);
  const rate = idle.bytes / 20;
  assert.ok(
    rate > 0.95 * bps && rate < 1.15 * bps,
    `rate with no reader ${(rate / bps).toFixed(2)}× the bitrate (expected 1×; the burst allowance adds a little)`,
  );
  const chunkMs = (CHUNK / bps) * 1000;
  assert.ok(idle.longestHoldMs <= chunkMs + 10, `longest hold ${idle.longestHoldMs} ms`);
  // A reader that comes back takes the brake off at once.
  const back = run(s, idle.endMs, 1, (commit) => commit);
  assert.equal(back.longestHoldMs, 0);
  assert.ok(back.bytes > 30 * bps);
});

test('a reader far behind brakes the upstream to 1.5× the bitrate, not below, in short holds', () => {
  const s = setup();
  const warm = run(s, 1_000_000, 1, (commit) => commit);
  const bps = s.bytesPerSecond();
  // The reader never moves: the writer is always more than a quarter ring ahead of it.
  const stuckAt = s.writer.commitCursor - s.writer.capacityBytes;
  const braked = run(s, warm.endMs, 20, () => stuckAt);
  const rate = braked.bytes / 20;
  assert.ok(
    rate > 1.4 * bps && rate < 1.7 * bps,
    `braked rate ${(rate / bps).toFixed(2)}× the bitrate (expected 1.5×; the burst allowance adds a little)`,
  );
  // One 64 KiB chunk at 1.5× the fixture's ~141 kB/s is ~310 ms of credit: no hold is much longer.
  const chunkMs = (CHUNK / (1.5 * bps)) * 1000;
  assert.ok(braked.longestHoldMs <= chunkMs + 10, `longest hold ${braked.longestHoldMs} ms`);
});

test('once the reader is within a quarter ring again the brake lets go, and no debt is carried', () => {
  const s = setup();
  const warm = run(s, 1_000_000, 1, (commit) => commit);
  const stuckAt = s.writer.commitCursor - s.writer.capacityBytes;
  const braked = run(s, warm.endMs, 2, () => stuckAt);
  const released = run(s, braked.endMs, 1, (commit) => commit);
  assert.equal(released.longestHoldMs, 0);
  assert.ok(released.bytes > 30 * s.bytesPerSecond());
  // Right after a long unbraked run, braking again starts from zero credit, not from a debt of gigabytes.
  const again = run(s, released.endMs, 2, () => s.writer.commitCursor - s.writer.capacityBytes);
  assert.ok(again.bytes > 2 * s.bytesPerSecond(), `braked again at ${again.bytes} bytes in 2 s`);
});
