// Prometheus counters are monotonic. Shards ship cumulative per-stream counters; main keeps the
// totals, so a stream that closes, a shard that restarts (its counters start over) or an owner that moves
// to another shard never makes a counter go down or count twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TrafficTotals } from '../src/control/traffic-totals.js';
import type { OwnerStats, ShardStreamStats } from '../src/protocol.js';

function shardStats(streamId: number, bytesOut: number, skips = 0): ShardStreamStats {
  return {
    streamId,
    tsClients: 1,
    hlsViewers: 0,
    hlsSessions: [],
    bytesOut,
    skips,
    drops: 0,
    nullPackets: 0,
    hlsSegmentsServed: 0,
  };
}

function ownerStats(streamId: number, bytesIn: number, reconnects = 0): OwnerStats {
  return {
    streamId,
    bytesIn,
    reconnects,
    failovers: 0,
    segments: 0,
    discontinuities: 0,
    syncLosses: 0,
    upstream: 'ts',
    engine: { id: 'e', url: 'http://e' },
    session: null,
    engineStat: null,
  };
}

test('a closed stream keeps its counted bytes; its baselines are freed', () => {
  const t = new TrafficTotals();
  t.observeShard(0, shardStats(1, 1000, 2));
  t.observeShard(0, shardStats(1, 3000, 3));
  t.observeShard(0, shardStats(2, 500));
  t.forget(1);
  assert.equal(t.shardTotal(0, 'bytesOut'), 3500);
  assert.equal(t.shardTotal(0, 'skips'), 3);
  t.observeShard(0, shardStats(2, 700));
  assert.equal(t.shardTotal(0, 'bytesOut'), 3700);
  t.forget(2);
  assert.equal(t.tracked, 0);
});

test('a shard restart (counters start over) keeps the total growing', () => {
  const t = new TrafficTotals();
  t.observeShard(1, shardStats(5, 10_000));
  t.forgetShard(1); // the supervisor saw the shard die
  t.observeShard(1, shardStats(5, 200)); // the respawned shard's new LocalStream
  assert.equal(t.shardTotal(1, 'bytesOut'), 10_200);
  // Even without the down notice, a value below the last one is read as a restart from zero.
  t.observeShard(1, shardStats(5, 50));
  assert.equal(t.shardTotal(1, 'bytesOut'), 10_250);
});

test('an owner moving to another shard restarts its counters from zero, the total keeps growing', () => {
  const t = new TrafficTotals();
  t.observeOwner(0, ownerStats(9, 1_000_000, 1));
  t.observeOwner(1, ownerStats(9, 4000, 0));
  assert.equal(t.ownerTotal('bytesIn'), 1_004_000);
  assert.equal(t.ownerTotal('reconnects'), 1);
});

test('property: totals never decrease and equal the sum of increases', () => {
  const step = fc.record({
    stream: fc.integer({ min: 1, max: 4 }),
    shard: fc.integer({ min: 0, max: 2 }),
    bytes: fc.integer({ min: 0, max: 1e9 }),
    close: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
      const t = new TrafficTotals();
      const last = new Map<string, number>();
      let expected = 0;
      let prevTotal = 0;
      for (const s of steps) {
        const key = `${s.stream}/${s.shard}`;
        const prev = last.get(key) ?? 0;
        expected += s.bytes >= prev ? s.bytes - prev : s.bytes;
        last.set(key, s.bytes);
        t.observeShard(s.shard, shardStats(s.stream, s.bytes));
        if (s.close) {
          t.forget(s.stream);
          for (const k of [...last.keys()]) if (k.startsWith(`${s.stream}/`)) last.delete(k);
        }
        const total = t.shardIds().reduce((a, id) => a + t.shardTotal(id, 'bytesOut'), 0);
        assert.ok(total >= prevTotal, 'monotonic');
        prevTotal = total;
      }
      assert.equal(prevTotal, expected);
    }),
  );
});
