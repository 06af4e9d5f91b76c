// The /metrics/performance body: count, avg and percentiles plus p999, honest success rates.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Aggregator, parseOperation, Recorder } from '../src/index.js';
import { KNOWN } from './known.js';

const T0 = 1_700_000_000_000;
const FIELDS = [
  'count',
  'avg_ms',
  'p50_ms',
  'p95_ms',
  'p99_ms',
  'p999_ms',
  'min_ms',
  'max_ms',
  'success_rate',
];

test('the report lists every known operation with exactly the documented fields', () => {
  const agg = new Aggregator(KNOWN);
  const r = new Recorder(T0, KNOWN);
  r.recordMs('hls_manifest_generation', 2, true);
  agg.ingest(0, r.snapshot(T0 + 1_000));
  const report = agg.query({ window: 60 }, T0 + 1_500);
  assert.equal(report.window_seconds, 60);
  assert.deepEqual(Object.keys(report.operations), [...KNOWN]);
  for (const stats of Object.values(report.operations)) assert.deepEqual(Object.keys(stats), FIELDS);
  assert.deepEqual(report.operations['hls_manifest_generation'], {
    count: 1,
    avg_ms: 2,
    p50_ms: 2,
    p95_ms: 2,
    p99_ms: 2,
    p999_ms: 2,
    min_ms: 2,
    max_ms: 2,
    success_rate: 1,
  });
  assert.equal(agg.query({ window: 'all' }, T0).window_seconds, 'all');
});

test('the caller decides which operations are known: without a list, a report holds only recorded ones', () => {
  const agg = new Aggregator();
  const r = new Recorder(T0);
  assert.equal(r.stats.operations, 0);
  r.recordMs('custom_op', 1, true);
  agg.ingest(0, r.snapshot(T0 + 1_000));
  assert.deepEqual(Object.keys(agg.query({ window: 'all' }, T0).operations), ['custom_op']);
  assert.deepEqual(Object.keys(new Aggregator(['b_op', 'a_op']).query({ window: 'all' }, T0).operations), [
    'b_op',
    'a_op',
  ]);
});

test('an unknown operation gets empty stats: count 0 and nulls, never a fake 100 %', () => {
  const agg = new Aggregator(KNOWN);
  const report = agg.query({ operation: 'no_such_op', window: 'all' }, T0);
  assert.deepEqual(report.operations, {
    no_such_op: {
      count: 0,
      avg_ms: null,
      p50_ms: null,
      p95_ms: null,
      p99_ms: null,
      p999_ms: null,
      min_ms: null,
      max_ms: null,
      success_rate: null,
    },
  });
  const proto = agg.query({ operation: '__proto__', window: 60 }, T0);
  assert.equal(JSON.parse(JSON.stringify(proto)).operations.__proto__.count, 0);
});

test('failures lower success_rate and never show up as successful latencies', () => {
  const agg = new Aggregator(KNOWN);
  const r = new Recorder(T0, KNOWN);
  for (let i = 0; i < 3; i++) r.recordMs('engine_session_start', 100, true);
  r.recordMs('engine_session_start', 30_000, false);
  agg.ingest(0, r.snapshot(T0 + 1_000));
  const s = agg.query({ operation: 'engine_session_start', window: 60 }, T0 + 1_000).operations[
    'engine_session_start'
  ];
  assert.equal(s?.count, 4);
  assert.equal(s?.success_rate, 0.75);
  assert.equal(s?.max_ms, 100);
  assert.equal(s?.p999_ms, 100);
  assert.equal(s?.avg_ms, 100);
});

test('an operation that only failed reports success_rate 0 and null latencies', () => {
  const agg = new Aggregator(KNOWN);
  const r = new Recorder(T0, KNOWN);
  r.recordMs('stream_open', 5, false);
  r.recordMs('stream_open', 7, false);
  agg.ingest(1, r.snapshot(T0 + 1_000));
  const s = agg.query({ operation: 'stream_open', window: 'all' }, T0 + 1_000).operations['stream_open'];
  assert.equal(s?.count, 2);
  assert.equal(s?.success_rate, 0);
  assert.equal(s?.p50_ms, null);
  assert.equal(s?.avg_ms, null);
  assert.equal(agg.lastSnapshotMs(1), T0 + 1_000);
});

test('percentiles never exceed max: a coarse top bin is capped at the exact max', () => {
  const agg = new Aggregator(KNOWN);
  const r = new Recorder(T0, KNOWN);
  // 1 000 000 µs lives in a 4096 µs wide HDR bin; its highest-equivalent value is above it.
  r.recordUs('docker_stats_collection', 1_000_000, true);
  agg.ingest(0, r.snapshot(T0 + 1_000));
  const s = agg.query({ operation: 'docker_stats_collection', window: 'all' }, T0).operations[
    'docker_stats_collection'
  ];
  assert.equal(s?.p999_ms, 1000);
  assert.equal(s?.max_ms, 1000);
});

test('parseOperation: absent means all, a well-formed name passes, a malformed one is refused', () => {
  assert.deepEqual(parseOperation(null), { ok: true, value: undefined });
  assert.deepEqual(parseOperation(''), { ok: true, value: undefined });
  assert.deepEqual(parseOperation('stream_open'), { ok: true, value: 'stream_open' });
  assert.deepEqual(parseOperation('future_op'), { ok: true, value: 'future_op' });
  for (const bad of ['Stream', 'a-b', '<x>', 'x'.repeat(65), '9abc']) {
    const r = parseOperation(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.equal(r.error.param, 'operation');
  }
});

test('a malformed snapshot is refused whole and counted', () => {
  const agg = new Aggregator(KNOWN);
  const r = new Recorder(T0, KNOWN);
  r.recordMs('stream_open', 5, true);
  const snap = r.snapshot(T0 + 1_000);
  const bad = { ...snap, series: [{ ...snap.series[0]!, count: 99 }] };
  const res = agg.ingest(0, bad);
  assert.equal(res.ok, false);
  assert.equal(agg.stats.refused, 1);
  assert.equal(
    agg.query({ operation: 'stream_open', window: 'all' }, T0).operations['stream_open']?.count,
    0,
  );
});
