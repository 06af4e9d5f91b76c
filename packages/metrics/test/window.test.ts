// Windows are exact over per-second buckets, bounded by 15 minutes of retention.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Aggregator, parseWindow, Recorder } from '../src/index.js';
import { referenceStats } from './reference.js';

const OP = 'mpegts_client_join';
// Not minute-aligned (1_700_000_000 s = 28_333_333 min + 20 s): windows cut through minute blocks.
const T0 = 1_700_000_000_000;

/** Feeds `samples` (value µs at second offset from T0), one snapshot per second, in time order. */
function feed(agg: Aggregator, samples: readonly { sec: number; v: number; ok?: boolean }[]): void {
  const r = new Recorder(T0);
  const sorted = [...samples].sort((a, b) => a.sec - b.sec);
  for (let i = 0; i < sorted.length; ) {
    const sec = sorted[i]!.sec;
    for (; i < sorted.length && sorted[i]!.sec === sec; i++)
      r.recordUs(OP, sorted[i]!.v, sorted[i]!.ok ?? true);
    assert.deepEqual(agg.ingest(0, r.snapshot(T0 + sec * 1000 + 999)), { ok: true });
  }
}

function statsAt(agg: Aggregator, window: number | 'all', sec: number, ms = 500) {
  return agg.query({ operation: OP, window }, T0 + sec * 1000 + ms).operations[OP];
}

test('parseWindow accepts 1..900 and "all" (absent = all), refuses everything else as a bad window parameter', () => {
  assert.deepEqual(parseWindow('60'), { ok: true, value: 60 });
  assert.deepEqual(parseWindow('1'), { ok: true, value: 1 });
  assert.deepEqual(parseWindow('900'), { ok: true, value: 900 });
  assert.deepEqual(parseWindow('all'), { ok: true, value: 'all' });
  assert.deepEqual(parseWindow(null), { ok: true, value: 'all' });
  assert.deepEqual(parseWindow(''), { ok: true, value: 'all' });
  for (const bad of ['0', '-1', 'abc', '901', '1.5', '060', ' 60', '1e2', 'ALL', '60s', '99999999999']) {
    const r = parseWindow(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.error.param, 'window');
  }
});

test('window=60 holds exactly the last 60 seconds, to the second', () => {
  const agg = new Aggregator();
  // One sample per second, value 1000 + second, so min tells which second is the oldest included.
  feed(
    agg,
    Array.from({ length: 200 }, (_, sec) => ({ sec, v: 1000 + sec })),
  );
  const at199 = statsAt(agg, 60, 199);
  assert.equal(at199?.count, 60);
  assert.equal(at199?.min_ms, 1.14);
  assert.equal(at199?.max_ms, 1.199);
  // One second later (no new data), second 140 drops out.
  const at200 = statsAt(agg, 60, 200);
  assert.equal(at200?.count, 59);
  assert.equal(at200?.min_ms, 1.141);
  assert.equal(statsAt(agg, 1, 199)?.count, 1);
  assert.equal(statsAt(agg, 'all', 400)?.count, 200);
});

test('samples older than 15 minutes leave every window but stay in "all"', () => {
  const agg = new Aggregator();
  feed(agg, [
    { sec: 0, v: 5 },
    { sec: 10, v: 7 },
  ]);
  assert.equal(statsAt(agg, 900, 899)?.count, 2);
  assert.equal(statsAt(agg, 900, 900)?.count, 1);
  assert.equal(statsAt(agg, 900, 910)?.count, 0);
  // Newer seconds reuse the ring slots of the old ones; windows stay exact, 'all' keeps everything.
  feed(agg, [
    { sec: 900, v: 9 },
    { sec: 910, v: 11 },
  ]);
  const w = statsAt(agg, 900, 910);
  assert.equal(w?.count, 2);
  assert.equal(w?.min_ms, 0.009);
  assert.equal(statsAt(agg, 'all', 910)?.count, 4);
});

test('a snapshot arriving late (within retention) still lands in its own second', () => {
  const agg = new Aggregator();
  feed(agg, [{ sec: 100, v: 100 }]);
  feed(agg, [{ sec: 50, v: 200 }]);
  assert.equal(statsAt(agg, 51, 100)?.count, 2);
  assert.equal(statsAt(agg, 50, 100)?.count, 1);
  assert.equal(statsAt(agg, 1, 50)?.max_ms, 0.2);
  assert.equal(agg.stats.clockResets, 0);
});

test('a wall clock stepping back an hour restarts the windows instead of hiding new data', () => {
  const agg = new Aggregator();
  feed(agg, [{ sec: 5_000, v: 100 }]);
  feed(agg, [{ sec: 1_400, v: 200 }]);
  assert.equal(agg.stats.clockResets, 1);
  const w = statsAt(agg, 60, 1_400);
  assert.equal(w?.count, 1);
  assert.equal(w?.max_ms, 0.2);
  assert.equal(statsAt(agg, 'all', 1_400)?.count, 2);
});

test('any window at any time equals a brute-force histogram of its seconds (property)', () => {
  const sample = fc.record({
    sec: fc.integer({ min: 0, max: 1_199 }),
    v: fc.integer({ min: 0, max: 5_000_000 }),
    ok: fc.boolean(),
  });
  fc.assert(
    fc.property(
      fc.array(sample, { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 900 }),
      fc.integer({ min: -60, max: 60 }),
      (samples, window, offset) => {
        const agg = new Aggregator();
        feed(agg, samples);
        const newest = Math.max(...samples.map((s) => s.sec));
        const nowSec = Math.max(0, newest + offset);
        // Retention counts back from the newest ingested second, whatever `now` is.
        const from = Math.max(nowSec - window + 1, newest - 899);
        const inside = samples.filter((s) => s.sec >= from && s.sec <= nowSec);
        const ok = inside.filter((s) => s.ok).map((s) => s.v);
        assert.deepEqual(statsAt(agg, window, nowSec), referenceStats(ok, inside.length - ok.length));
      },
    ),
    { numRuns: 150 },
  );
});
