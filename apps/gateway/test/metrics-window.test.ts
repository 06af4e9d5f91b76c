// `/metrics/performance` answers from merged per-second buckets: `window=60` covers exactly the
// 60 wall-clock seconds (now - 60, now] (samples of the second 60 s back are out, of 59 s back are in),
// failures lower success_rate, unknown operations have empty stats, bad parameters are 400s.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Aggregator, Recorder } from '@shardcast/metrics';
import { performanceResponse } from '../src/control/performance.js';
import { OPERATIONS } from '../src/operations.js';

const NOW = 1_800_000_000_500; // mid-second on purpose

/** One shard snapshot ending `agoS` seconds before NOW with the given samples (ms, ok). */
function ingestAt(
  agg: Aggregator,
  shard: number,
  agoS: number,
  samples: Array<[string, number, boolean]>,
): void {
  const end = NOW - agoS * 1000;
  const rec = new Recorder(end - 1000, OPERATIONS);
  for (const [op, ms, ok] of samples) rec.recordMs(op, ms, ok);
  agg.ingest(shard, rec.snapshot(end));
}

function report(agg: Aggregator, query: string) {
  const r = performanceResponse(agg, query, NOW);
  return { status: r.status, body: JSON.parse(r.body), headers: r.headers };
}

describe('/metrics/performance', () => {
  test('window=60 excludes a sample 60 s old and includes one 59 s old, exactly', () => {
    const agg = new Aggregator(OPERATIONS);
    ingestAt(agg, 0, 60, [['hls_segment_fetch', 500, true]]); // second NOW-60: outside (now-60, now]
    ingestAt(agg, 1, 59, [['hls_segment_fetch', 7, true]]); // second NOW-59: inside
    ingestAt(agg, 0, 0, [['hls_segment_fetch', 9, true]]);
    const w60 = report(agg, 'operation=hls_segment_fetch&window=60').body.operations.hls_segment_fetch;
    assert.equal(w60.count, 2);
    assert.equal(w60.max_ms, 9);
    const w61 = report(agg, 'operation=hls_segment_fetch&window=61').body.operations.hls_segment_fetch;
    assert.equal(w61.count, 3);
    assert.equal(w61.max_ms, 500);
    const all = report(agg, 'operation=hls_segment_fetch').body;
    assert.equal(all.window_seconds, 'all');
    assert.equal(all.operations.hls_segment_fetch.count, 3);
  });

  test('the documented shape plus p999_ms, every known operation listed', () => {
    const agg = new Aggregator(OPERATIONS);
    ingestAt(agg, 0, 1, [
      ['mpegts_chunk_read', 1, true],
      ['mpegts_chunk_read', 2, true],
      ['mpegts_chunk_read', 3, true],
      ['mpegts_chunk_read', 4, true],
    ]);
    const r = report(agg, 'window=60');
    assert.equal(r.status, 200);
    assert.equal(r.headers['Content-Type'], 'application/json');
    assert.equal(r.body.window_seconds, 60);
    assert.deepEqual(Object.keys(r.body.operations), [...OPERATIONS]);
    const s = r.body.operations.mpegts_chunk_read;
    assert.deepEqual(Object.keys(s), [
      'count',
      'avg_ms',
      'p50_ms',
      'p95_ms',
      'p99_ms',
      'p999_ms',
      'min_ms',
      'max_ms',
      'success_rate',
    ]);
    assert.equal(s.count, 4);
    assert.equal(s.avg_ms, 2.5);
    // Percentiles are HDR bin values (3 significant digits): within 1 % of the true sample.
    assert.ok(Math.abs(s.p50_ms - 2) <= 0.02, `p50 ${s.p50_ms}`);
    assert.equal(s.p95_ms, 4);
    assert.equal(s.p999_ms, 4);
    assert.equal(s.min_ms, 1);
    assert.equal(s.max_ms, 4);
    assert.equal(s.success_rate, 1);
  });

  test('failures lower success_rate and never enter the latency figures', () => {
    const agg = new Aggregator(OPERATIONS);
    ingestAt(agg, 0, 2, [
      ['engine_session_start', 20, true],
      ['engine_session_start', 5000, false],
      ['engine_session_start', 5000, false],
      ['engine_session_start', 30, true],
    ]);
    const s = report(agg, 'operation=engine_session_start&window=10').body.operations.engine_session_start;
    assert.equal(s.count, 4);
    assert.equal(s.success_rate, 0.5);
    assert.equal(s.max_ms, 30);
  });

  test('an operation never recorded has empty stats (count 0, nulls), not a fake 100 %', () => {
    const r = report(new Aggregator(OPERATIONS), 'operation=some_future_op&window=5');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.operations, {
      some_future_op: {
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
  });

  for (const [query, code] of [
    ['window=0', 'SC_ERR_BAD_WINDOW'],
    ['window=901', 'SC_ERR_BAD_WINDOW'],
    ['window=abc', 'SC_ERR_BAD_WINDOW'],
    ['window=1.5', 'SC_ERR_BAD_WINDOW'],
    ['window=-5', 'SC_ERR_BAD_WINDOW'],
    ['operation=Stream-Open', 'SC_ERR_BAD_PARAM'],
    [`operation=${'x'.repeat(80)}`, 'SC_ERR_BAD_PARAM'],
  ] as const) {
    test(`${query.slice(0, 30)} → 400 ${code}`, () => {
      const r = report(new Aggregator(OPERATIONS), query);
      assert.equal(r.status, 400);
      assert.equal(r.body.error.code, code);
      assert.equal(typeof r.body.error.message, 'string');
    });
  }
});
