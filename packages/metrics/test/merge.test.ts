// Merging snapshots of many shards and seconds equals one histogram of all the values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { Aggregator, HIGHEST_US, Recorder } from '../src/index.js';
import { referenceStats } from './reference.js';

const OP = 'hls_segment_fetch';
const T0 = 1_700_000_000_000;

test('8 shards x 10 seconds merge to exactly the stats of one histogram of all values', () => {
  const agg = new Aggregator();
  const shards = Array.from({ length: 8 }, () => new Recorder(T0));
  const all: number[] = [];
  let x = 12345;
  for (let sec = 1; sec <= 10; sec++) {
    for (const [id, r] of shards.entries()) {
      for (let i = 0; i < 200; i++) {
        // LCG spread over 1 µs .. ~20 s, every shard its own mix.
        x = (x * 1103515245 + 12345 + id) % 2 ** 31;
        const v = 1 + (x % 2 ** (5 + (i % 20)));
        all.push(v);
        r.recordUs(OP, v, true);
      }
      assert.deepEqual(agg.ingest(id, r.snapshot(T0 + sec * 1000)), { ok: true });
    }
  }
  const want = referenceStats(all, 0);
  assert.deepEqual(agg.query({ operation: OP, window: 'all' }, T0 + 10_000).operations[OP], want);
  assert.deepEqual(agg.query({ operation: OP, window: 60 }, T0 + 10_000).operations[OP], want);
});

test('merged percentiles equal single-histogram percentiles for random splits (property)', () => {
  const sample = fc.record({
    v: fc.oneof(fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: HIGHEST_US })),
    shard: fc.integer({ min: 0, max: 7 }),
    sec: fc.integer({ min: 0, max: 299 }),
    ok: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(sample, { minLength: 1, maxLength: 400 }), (samples) => {
      const agg = new Aggregator();
      const shards = Array.from({ length: 8 }, () => new Recorder(T0));
      const sorted = [...samples].sort((a, b) => a.sec - b.sec);
      for (let i = 0; i < sorted.length; ) {
        const sec = sorted[i]!.sec;
        const touched = new Set<number>();
        for (; i < sorted.length && sorted[i]!.sec === sec; i++) {
          const s = sorted[i]!;
          shards[s.shard]!.recordUs(OP, s.v, s.ok);
          touched.add(s.shard);
        }
        for (const shard of touched) agg.ingest(shard, shards[shard]!.snapshot(T0 + sec * 1000 + 500));
      }
      const ok = samples.filter((s) => s.ok).map((s) => s.v);
      const want = referenceStats(ok, samples.length - ok.length);
      const now = T0 + 299_999;
      assert.deepEqual(agg.query({ operation: OP, window: 300 }, now).operations[OP], want);
      assert.deepEqual(agg.query({ operation: OP, window: 'all' }, now).operations[OP], want);
    }),
    { numRuns: 60 },
  );
});
