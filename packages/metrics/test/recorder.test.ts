// Recorder: successes and failures kept apart, invalid input counted, snapshots reset the interval.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HIGHEST_US, MAX_OPERATIONS, Recorder, SIGNIFICANT_DIGITS } from '../src/index.js';
import { KNOWN } from './known.js';

test('a failure is never recorded as a success', () => {
  const r = new Recorder(1_000, KNOWN);
  r.recordMs('stream_open', 12, true);
  r.recordMs('stream_open', 30_000, false);
  r.recordMs('stream_open', 31_000, false);
  const snap = r.snapshot(2_000);
  const ok = snap.series.find((s) => s.op === 'stream_open' && s.ok);
  const fail = snap.series.find((s) => s.op === 'stream_open' && !s.ok);
  assert.equal(ok?.count, 1);
  assert.equal(ok?.maxUs, 12_000);
  assert.equal(fail?.count, 2);
  assert.equal(fail?.minUs, 30_000_000);
  assert.equal(fail?.sumUs, 61_000_000);
});

test('snapshot carries the interval, the layout, and only the pairs that have samples', () => {
  const r = new Recorder(1_000, KNOWN);
  r.recordUs('hls_segment_delivery', 250, true);
  const snap = r.snapshot(1_950);
  assert.equal(snap.version, 1);
  assert.equal(snap.digits, SIGNIFICANT_DIGITS);
  assert.equal(snap.startMs, 1_000);
  assert.equal(snap.endMs, 1_950);
  assert.deepEqual(
    snap.series.map((s) => [s.op, s.ok]),
    [['hls_segment_delivery', true]],
  );
});

test('snapshot resets: the next one holds only later samples and starts where the last ended', () => {
  const r = new Recorder(0, KNOWN);
  r.recordUs('mpegts_chunk_read', 100, true);
  r.recordUs('mpegts_chunk_read', 900, true);
  assert.equal(r.snapshot(1_000).series[0]?.count, 2);
  const empty = r.snapshot(2_000);
  assert.equal(empty.series.length, 0);
  assert.equal(empty.startMs, 1_000);
  r.recordUs('mpegts_chunk_read', 5, true);
  const next = r.snapshot(3_000).series[0];
  assert.equal(next?.count, 1);
  assert.equal(next?.minUs, 5);
  assert.deepEqual([...(next?.counts ?? [])], [1]);
});

test('values are rounded to whole µs, clamped at 10 min, and bad ones rejected and counted', () => {
  const r = new Recorder(0, KNOWN);
  r.recordUs('docker_stats_collection', 1.4, true);
  r.recordMs('docker_stats_collection', 11 * 60_000, true);
  r.recordUs('docker_stats_collection', Number.POSITIVE_INFINITY, true);
  r.recordUs('docker_stats_collection', -1, true);
  r.recordUs('docker_stats_collection', Number.NaN, false);
  r.recordUs('Not A Name', 10, true);
  const snap = r.snapshot(1_000);
  const s = snap.series[0];
  assert.equal(snap.series.length, 1);
  assert.equal(s?.count, 3);
  assert.equal(s?.minUs, 1);
  assert.equal(s?.maxUs, HIGHEST_US);
  assert.equal(snap.clamped, 2);
  assert.equal(snap.rejected, 3);
  assert.deepEqual(r.stats, { operations: KNOWN.length, rejectedTotal: 3, clampedTotal: 2 });
  assert.equal(r.snapshot(2_000).rejected, 0);
});

test('new operation names are accepted up to MAX_OPERATIONS, then rejected', () => {
  const r = new Recorder(0, KNOWN);
  for (let i = 0; i < MAX_OPERATIONS + 5; i++) r.recordUs(`custom_${i}`, 10, true);
  const snap = r.snapshot(1_000);
  // The known operations hold their slots from the start; custom names get the rest.
  assert.equal(snap.series.length, MAX_OPERATIONS - KNOWN.length);
  assert.equal(snap.rejected, 5 + KNOWN.length);
  assert.equal(r.stats.operations, MAX_OPERATIONS);
});
