// Classic Prometheus histograms from the merged HDR counts, and their exposition text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Aggregator,
  DEFAULT_LE_SECONDS,
  DURATION_METRIC,
  Recorder,
  renderPromHistogram,
} from '../src/index.js';
import { KNOWN } from './known.js';
import { libHistogram } from './reference.js';

const T0 = 1_700_000_000_000;
const OP = 'hls_segment_delivery';

function aggregatorWith(valuesUs: readonly number[], failedUs: readonly number[] = []): Aggregator {
  const agg = new Aggregator(KNOWN);
  const shards = [new Recorder(T0, KNOWN), new Recorder(T0, KNOWN)];
  for (const [i, v] of valuesUs.entries()) shards[i % 2]!.recordUs(OP, v, true);
  for (const v of failedUs) shards[0]!.recordUs(OP, v, false);
  for (const [id, r] of shards.entries())
    assert.deepEqual(agg.ingest(id, r.snapshot(T0 + 1_000)), { ok: true });
  return agg;
}

test('buckets are cumulative, monotone, end with +Inf = count, and sum is exact in seconds', () => {
  const values = Array.from({ length: 1_000 }, (_, i) => 1 + ((i * 104_729) % 70_000_000));
  const h = aggregatorWith(values).toPrometheusHistogram(OP);
  assert.deepEqual(
    h.buckets.map((b) => b.le),
    [...DEFAULT_LE_SECONDS, Number.POSITIVE_INFINITY],
  );
  for (let i = 1; i < h.buckets.length; i++) assert.ok(h.buckets[i]!.count >= h.buckets[i - 1]!.count);
  assert.equal(h.count, values.length);
  assert.equal(h.buckets.at(-1)?.count, values.length);
  assert.equal(h.sum, values.reduce((a, b) => a + b, 0) / 1e6);
  // Some values are above 60 s: they reach only +Inf.
  assert.ok(h.buckets.at(-2)!.count < values.length);
});

test('rounding rule: a sample counts in every bucket with le >= its HDR highest-equivalent value', () => {
  const lib = libHistogram([]);
  const values = Array.from({ length: 3_000 }, (_, i) => (i * 7_919 * 7_919) % 65_000_000);
  // Values right on and around every ladder edge, where bins straddle le.
  for (const le of DEFAULT_LE_SECONDS) for (let d = -20; d <= 20; d++) values.push(Math.round(le * 1e6) + d);
  const h = aggregatorWith(values).toPrometheusHistogram(OP);
  for (const b of h.buckets) {
    const want = values.filter((v) => lib.highestEquivalentValue(v) <= b.le * 1e6).length;
    assert.equal(b.count, want, `le=${b.le}`);
  }
});

test('rounding rule at le=0.0005 and 0.0025: a bin straddling le counts from the next le on', () => {
  // 256..511 µs bins are 2 µs wide: 400 is [400, 401], 500 is [500, 501] (straddles 500).
  // 2048..4095 µs bins are 16 µs wide: 2400 is [2400, 2415], 2496 and 2500 are [2496, 2511].
  const h = aggregatorWith([400, 500, 2_400, 2_496, 2_500]).toPrometheusHistogram(OP);
  const at = (le: number) => h.buckets.find((b) => b.le === le)?.count;
  assert.equal(at(0.0005), 1);
  assert.equal(at(0.001), 2);
  assert.equal(at(0.0025), 3);
  assert.equal(at(0.005), 5);
});

test('failures form their own outcome="error" series', () => {
  const agg = aggregatorWith([1_000, 2_000], [9_000_000]);
  assert.equal(agg.toPrometheusHistogram(OP, 'success').count, 2);
  const err = agg.toPrometheusHistogram(OP, 'error');
  assert.equal(err.count, 1);
  assert.equal(err.buckets.find((b) => b.le === 5)?.count, 0);
  assert.equal(err.buckets.find((b) => b.le === 10)?.count, 1);
  assert.equal(agg.toPrometheusHistogram('never_seen').count, 0);
});

test('renderPrometheus emits a valid histogram family for every operation and outcome', () => {
  const agg = aggregatorWith([1_500, 250_000]);
  const text = agg.renderPrometheus({ labels: { node: 'a"b\\c' } });
  const lines = text.split('\n');
  assert.equal(lines[0]?.startsWith(`# HELP ${DURATION_METRIC} `), true);
  assert.equal(lines[1], `# TYPE ${DURATION_METRIC} histogram`);
  assert.ok(text.endsWith('\n'));
  const labels = `node="a\\"b\\\\c",operation="${OP}",outcome="success"`;
  assert.ok(lines.includes(`${DURATION_METRIC}_bucket{${labels},le="0.001"} 0`));
  assert.ok(lines.includes(`${DURATION_METRIC}_bucket{${labels},le="0.0025"} 1`));
  assert.ok(lines.includes(`${DURATION_METRIC}_bucket{${labels},le="+Inf"} 2`));
  assert.ok(lines.includes(`${DURATION_METRIC}_sum{${labels}} 0.2515`));
  assert.ok(lines.includes(`${DURATION_METRIC}_count{${labels}} 2`));
  // Every known operation x 2 outcomes, each 17 buckets + sum + count.
  const series = lines.filter((l) => l.startsWith(`${DURATION_METRIC}_count{`));
  assert.equal(series.length, KNOWN.length * 2);
  assert.equal(lines.filter((l) => l !== '').length, 2 + KNOWN.length * 2 * (DEFAULT_LE_SECONDS.length + 3));
  for (const line of lines.slice(2)) {
    if (line === '') continue;
    assert.match(line, /^[a-z_]+(_bucket|_sum|_count)\{[^}]*\} [0-9.e+-]+$/);
  }
});

test('renderPromHistogram: no labels, HELP escaping, and invalid names rejected', () => {
  const h = {
    buckets: [
      { le: 1, count: 0 },
      { le: Number.POSITIVE_INFINITY, count: 0 },
    ],
    sum: 0,
    count: 0,
  };
  const text = renderPromHistogram('x_seconds', 'line\none \\', [{ labels: {}, histogram: h }]);
  assert.equal(
    text,
    '# HELP x_seconds line\\none \\\\\n# TYPE x_seconds histogram\n' +
      'x_seconds_bucket{le="1"} 0\nx_seconds_bucket{le="+Inf"} 0\nx_seconds_sum 0\nx_seconds_count 0\n',
  );
  assert.throws(() => renderPromHistogram('bad-name', '', []), TypeError);
  assert.throws(() => renderPromHistogram('ok', '', [{ labels: { le: '1' }, histogram: h }]), TypeError);
  assert.throws(() => renderPromHistogram('ok', '', [{ labels: { 'a-b': '1' }, histogram: h }]), TypeError);
});

test('a custom ladder must be ascending and positive', () => {
  const agg = aggregatorWith([10]);
  assert.equal(agg.toPrometheusHistogram(OP, 'success', [0.001, 1]).buckets.length, 3);
  assert.throws(() => agg.toPrometheusHistogram(OP, 'success', [1, 0.5]), RangeError);
  assert.throws(() => agg.toPrometheusHistogram(OP, 'success', [0]), RangeError);
});
