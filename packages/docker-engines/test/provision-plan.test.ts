import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  allocatePort,
  CreationBreaker,
  desiredCount,
  type PlanEngine,
  type PlanInput,
  type PlanLimits,
  parsePortRange,
  plan,
} from '../src/index.js';

const LIMITS: PlanLimits = {
  min: 1,
  minFree: 1,
  max: 4,
  cap: 3,
  idleMs: 300_000,
  unhealthyMs: 60_000,
  maxAgeMs: null,
  replaceCooldownMs: 10_000,
};

function eng(id: string, streams: number, extra: Partial<PlanEngine> = {}): PlanEngine {
  return {
    id,
    state: 'ready',
    streams,
    healthy: true,
    idleSinceMs: streams > 0 ? null : 0,
    unhealthySinceMs: null,
    createdAtMs: 0,
    ...extra,
  };
}

function input(engines: PlanEngine[], extra: Partial<PlanInput> = {}): PlanInput {
  return { nowMs: 1_000_000, engines, pendingOpens: 0, floor: 0, lastReplaceAtMs: null, ...extra };
}

test('an empty fleet wants the minimum; an idle fleet does not grow', () => {
  assert.equal(desiredCount(input([]), LIMITS), 1);
  assert.equal(desiredCount(input([eng('a', 0)]), LIMITS), 1);
  assert.equal(desiredCount(input([eng('a', 0), eng('b', 0)]), { ...LIMITS, min: 2 }), 2);
});

test('busy engines plus min-free, and one more when every engine is within one stream of its cap', () => {
  assert.equal(desiredCount(input([eng('a', 1)]), LIMITS), 2);
  assert.equal(desiredCount(input([eng('a', 1), eng('b', 0)]), LIMITS), 2);
  assert.equal(desiredCount(input([eng('a', 2), eng('b', 1)]), LIMITS), 3);
  // Both within one of the cap (3): lookahead adds one.
  assert.equal(desiredCount(input([eng('a', 2), eng('b', 2)]), LIMITS), 4);
  // Never above the maximum.
  assert.equal(desiredCount(input([eng('a', 3), eng('b', 3), eng('c', 3), eng('d', 3)]), LIMITS), 4);
});

test('waiting opens and a draining engine’s streams ask for room beyond the free slots', () => {
  assert.equal(desiredCount(input([eng('a', 3)], { pendingOpens: 4 }), { ...LIMITS, max: 10 }), 3);
  const draining = eng('a', 3, { state: 'draining' });
  const noSpare = { ...LIMITS, minFree: 0, max: 10 };
  assert.equal(desiredCount(input([draining, eng('b', 0)]), noSpare), 1, 'b has room for all three');
  assert.equal(desiredCount(input([draining, eng('b', 1)]), noSpare), 2, 'b has room for two of three');
  assert.equal(desiredCount(input([eng('a', 0)], { floor: 3 }), LIMITS), 3);
});

test('seven streams opened one by one end on at least three engines, none above its cap', () => {
  const fleet: PlanEngine[] = [];
  const grow = (): void => {
    const p = plan(input(fleet), LIMITS);
    for (let i = 0; i < p.create; i++) fleet.push(eng(`e${fleet.length}`, 0));
  };
  grow();
  for (let s = 0; s < 7; s++) {
    // The registry picks the engine with the fewest streams under the cap.
    const target = fleet.filter((e) => e.streams < LIMITS.cap).sort((a, b) => a.streams - b.streams)[0];
    assert.ok(target, `room for stream ${s + 1}`);
    const i = fleet.indexOf(target);
    fleet[i] = eng(target.id, target.streams + 1);
    grow();
  }
  assert.equal(
    fleet.reduce((n, e) => n + e.streams, 0),
    7,
  );
  assert.ok(fleet.filter((e) => e.streams > 0).length >= 3);
  assert.ok(fleet.every((e) => e.streams <= LIMITS.cap));
  assert.ok(fleet.length <= LIMITS.max);
});

test('idle engines above the desired count go after the idle time, never one with a stream', () => {
  const fleet = [eng('a', 0, { idleSinceMs: 0 }), eng('b', 0, { idleSinceMs: 999_000 }), eng('c', 1)];
  const early = plan(input(fleet, { nowMs: 200_000 }), LIMITS);
  assert.deepEqual(early.remove, []);
  const later = plan(input(fleet, { nowMs: 2_000_000 }), LIMITS);
  assert.equal(later.desired, 2);
  assert.deepEqual(later.remove, ['a']);
  const all = plan(input([eng('a', 0), eng('b', 0), eng('c', 0)], { nowMs: 10_000_000 }), LIMITS);
  assert.deepEqual(all.remove, ['a', 'b']);
});

test('an engine unhealthy long enough is replaced, one at a time, with a cooldown', () => {
  const sick = (id: string, since: number): PlanEngine =>
    eng(id, 1, { healthy: false, unhealthySinceMs: since });
  const fleet = [sick('a', 0), sick('b', 10), eng('c', 0)];
  const p = plan(input(fleet, { nowMs: 59_000 }), LIMITS);
  assert.equal(p.replace, null);
  const q = plan(input(fleet, { nowMs: 61_000 }), LIMITS);
  assert.deepEqual(q.replace, { id: 'a', reason: 'unhealthy' });
  assert.ok(q.create >= 1, 'its successor is created in the same pass');
  const during = plan(
    input([{ ...fleet[0]!, state: 'draining' }, fleet[1]!, fleet[2]!], { nowMs: 62_000 }),
    LIMITS,
  );
  assert.equal(during.replace, null, 'one replacement at a time');
  const cooling = plan(input([fleet[1]!, fleet[2]!], { nowMs: 62_000, lastReplaceAtMs: 61_000 }), LIMITS);
  assert.equal(cooling.replace, null, 'cooldown');
  const after = plan(input([fleet[1]!, fleet[2]!], { nowMs: 72_000, lastReplaceAtMs: 61_000 }), LIMITS);
  assert.deepEqual(after.replace, { id: 'b', reason: 'unhealthy' });
});

test('engines older than the maximum age are rotated, oldest first', () => {
  const limits = { ...LIMITS, maxAgeMs: 3_600_000 };
  const fleet = [eng('a', 1, { createdAtMs: 500 }), eng('b', 1, { createdAtMs: 100 })];
  assert.equal(plan(input(fleet, { nowMs: 3_000_000 }), limits).replace, null);
  assert.deepEqual(plan(input(fleet, { nowMs: 3_700_000 }), limits).replace, { id: 'b', reason: 'max_age' });
});

test('an engine made from another template is replaced after the sick ones and before the old ones', () => {
  const limits = { ...LIMITS, maxAgeMs: 3_600_000 };
  const fleet = [
    eng('old', 1, { createdAtMs: 0 }),
    eng('b', 1, { createdAtMs: 500, outdated: true }),
    eng('a', 1, { createdAtMs: 100, outdated: true }),
  ];
  assert.deepEqual(plan(input(fleet, { nowMs: 3_700_000 }), limits).replace, { id: 'a', reason: 'template' });
  const sick = eng('s', 1, { healthy: false, unhealthySinceMs: 0 });
  assert.deepEqual(plan(input([...fleet, sick], { nowMs: 3_700_000 }), limits).replace, {
    id: 's',
    reason: 'unhealthy',
  });
  const cooling = plan(input(fleet, { nowMs: 3_700_000, lastReplaceAtMs: 3_699_000 }), limits);
  assert.equal(cooling.replace, null, 'cooldown');
  const current = fleet.map((e) => ({ ...e, outdated: false }));
  assert.deepEqual(plan(input(current, { nowMs: 3_700_000 }), limits).replace, {
    id: 'old',
    reason: 'max_age',
  });
});

test('the breaker opens after N failures in the window, says why, and lets one trial through later', () => {
  const b = new CreationBreaker({ failures: 3, windowMs: 60_000, openMs: 30_000 });
  assert.equal(b.failure(0, 'x'), false);
  assert.equal(b.failure(70_000, 'y'), false, 'the first failure left the window');
  assert.equal(b.failure(71_000, 'z'), false);
  assert.equal(b.failure(72_000, 'No such image: nope'), true);
  assert.equal(b.isOpen(80_000), true);
  assert.equal(b.reason(), 'No such image: nope');
  assert.equal(b.allow(80_000), false);
  assert.equal(b.allow(102_000), true, 'half-open: one trial');
  assert.equal(b.allow(102_001), false, 'only one');
  assert.equal(b.failure(103_000, 'again'), true, 'a failed trial re-opens');
  assert.equal(b.allow(120_000), false);
  assert.equal(b.allow(133_000), true);
  b.success(133_500);
  assert.equal(b.isOpen(133_501), false);
  assert.equal(b.reason(), null);
  assert.equal(b.failure(180_000, 'the trial engine died'), true, 'a failure soon after a trial re-opens');
  assert.equal(b.allow(210_000), true);
  b.success(211_000);
  assert.equal(b.failure(272_000, 'later'), false, 'a failure after the window is one failure');
});

test('successes between failures do not reset the window: a crash loop opens the breaker', () => {
  const b = new CreationBreaker({ failures: 3, windowMs: 60_000, openMs: 30_000 });
  assert.equal(b.failure(1000, 'exited'), false);
  b.success(2000);
  assert.equal(b.failure(5000, 'exited'), false);
  b.success(6000);
  assert.equal(b.failure(9000, 'exited'), true);
  assert.equal(b.isOpen(9001), true);
});

test('ports: parsing the range, the lowest free port, none when all are used', () => {
  assert.deepEqual(parsePortRange('19000-19999'), { first: 19000, last: 19999 });
  assert.equal(typeof parsePortRange('19999-19000'), 'string');
  assert.equal(typeof parsePortRange('0-10'), 'string');
  assert.equal(typeof parsePortRange('abc'), 'string');
  assert.equal(allocatePort({ first: 10, last: 12 }, new Set([10, 12])), 11);
  assert.equal(allocatePort({ first: 10, last: 12 }, new Set([10, 11, 12])), null);
});

test('property: desired stays within [min, max] and never removes an engine with a stream', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1_000_000 })), {
        maxLength: 6,
      }),
      fc.integer({ min: 0, max: 10 }),
      (specs, pending) => {
        const fleet = specs.map(([streams, idle], i) =>
          eng(`e${i}`, streams, { idleSinceMs: streams > 0 ? null : idle }),
        );
        const p = plan(input(fleet, { nowMs: 2_000_000, pendingOpens: pending }), LIMITS);
        assert.ok(p.desired >= LIMITS.min && p.desired <= LIMITS.max);
        for (const id of p.remove) assert.equal(fleet.find((e) => e.id === id)?.streams, 0);
        assert.ok(fleet.length - p.remove.length + p.create >= Math.min(p.desired, fleet.length));
      },
    ),
  );
});
