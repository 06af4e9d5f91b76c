// Snapshots survive postMessage (clone and transfer) and decode to the same HDR histogram.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import {
  checkSnapshot,
  type IntervalSnapshot,
  Recorder,
  type SeriesSnapshot,
  seriesToHdr,
  snapshotTransferList,
} from '../src/index.js';
import { libHistogram } from './reference.js';

function spreadValues(n: number): number[] {
  const out: number[] = [];
  // Deterministic spread over 1 µs .. ~50 s, with repeats, to fill many bins.
  for (let i = 0; i < n; i++) out.push(1 + (((i * 7919) % 9973) ** 2 % 50_000_000));
  return out;
}

function recorded(values: readonly number[]): IntervalSnapshot {
  const r = new Recorder(0);
  for (const v of values) r.recordUs('hls_manifest_generation', v, true);
  return r.snapshot(1_000);
}

function assertSameAsLibrary(s: SeriesSnapshot, values: readonly number[]): void {
  const got = seriesToHdr(s);
  const want = libHistogram(values);
  assert.equal(got.totalCount, want.totalCount);
  assert.equal(got.maxValue, want.maxValue);
  assert.equal(got.minNonZeroValue, want.minNonZeroValue);
  for (let i = 0; i < want.countsArrayLength; i++)
    assert.equal(got.getCountAtIndex(i), want.getCountAtIndex(i));
  for (const p of [0, 50, 90, 99, 99.9, 100])
    assert.equal(got.getValueAtPercentile(p), want.getValueAtPercentile(p));
}

test('round trip: recorded values -> snapshot -> structured clone -> library histogram equals direct recording', () => {
  const values = spreadValues(5_000);
  const snap = structuredClone(recorded(values));
  assert.equal(checkSnapshot(snap), undefined);
  assertSameAsLibrary(snap.series[0]!, values);
});

test('round trip through a real MessagePort with the buffers transferred', async () => {
  const values = spreadValues(2_000);
  const snap = recorded(values);
  const bytes = snap.series[0]!.indices.byteLength;
  assert.ok(bytes > 0);
  const { port1, port2 } = new MessageChannel();
  try {
    const received = new Promise<IntervalSnapshot>((resolve) => port2.once('message', resolve));
    port1.postMessage(snap, snapshotTransferList(snap));
    // Transferred, not copied: the sender's views are detached.
    assert.equal(snap.series[0]!.indices.byteLength, 0);
    const got = await received;
    assert.equal(checkSnapshot(got), undefined);
    assert.equal(got.series[0]!.indices.byteLength, bytes);
    assertSameAsLibrary(got.series[0]!, values);
  } finally {
    port1.close();
    port2.close();
  }
});

test('a snapshot is small: sparse pairs only, 6 bytes per occupied bin', () => {
  const values = spreadValues(10_000);
  const s = recorded(values).series[0]!;
  assert.equal(s.indices.length, s.counts.length);
  assert.equal(s.indices.byteLength + s.counts.byteLength, s.indices.length * 6);
  assert.ok(s.indices.length < 3072);
});

test('zero-valued samples keep minNonZeroValue on the first non-zero bin', () => {
  const snap = recorded([0, 0, 7, 300]);
  const h = seriesToHdr(snap.series[0]!);
  assert.equal(h.totalCount, 4);
  assert.equal(h.minNonZeroValue, 7);
  assert.equal(h.getCountAtIndex(0), 2);
});

test('checkSnapshot refuses malformed snapshots and other layouts', () => {
  const good = recorded([5, 10, 10, 2_000]);
  const s = good.series[0]!;
  const withSeries = (patch: Partial<SeriesSnapshot>): IntervalSnapshot => ({
    ...good,
    series: [{ ...s, ...patch }],
  });
  assert.equal(checkSnapshot(good), undefined);
  assert.equal(checkSnapshot({ ...good, digits: 3 })?.reason, 'layout');
  assert.equal(checkSnapshot({ ...good, version: 2 } as unknown as IntervalSnapshot)?.reason, 'malformed');
  assert.equal(checkSnapshot({ ...good, endMs: Number.NaN })?.reason, 'malformed');
  assert.equal(checkSnapshot(withSeries({ count: s.count + 1 }))?.reason, 'malformed');
  assert.equal(checkSnapshot(withSeries({ op: 'Bad-Name' }))?.reason, 'malformed');
  assert.equal(checkSnapshot(withSeries({ indices: s.indices.slice().reverse() }))?.reason, 'malformed');
  assert.equal(checkSnapshot(withSeries({ indices: new Uint16Array([1, 2, 9999]) }))?.reason, 'malformed');
  assert.equal(checkSnapshot(withSeries({ counts: new Uint32Array([1, 0, 3]) }))?.reason, 'malformed');
  assert.equal(checkSnapshot(withSeries({ minUs: 5_000, maxUs: 4_000 }))?.reason, 'malformed');
  assert.equal(
    checkSnapshot(withSeries({ counts: [1, 2, 1] as unknown as Uint32Array }))?.reason,
    'malformed',
  );
});
