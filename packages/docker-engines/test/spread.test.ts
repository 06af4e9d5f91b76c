import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextTickAt, SpreadPlanner, stepMs } from '../src/index.js';

/** Drives the planner the way the scheduler does: one tick per step, every call instant. */
function simulate(ids: string[], intervalMs: number, rounds: number) {
  const planner = new SpreadPlanner();
  planner.sync(ids);
  const step = stepMs(intervalMs, ids.length);
  const calls: { id: string; at: number }[] = [];
  let at = 0;
  for (let i = 0; i < ids.length * rounds; i++) {
    const id = planner.next(new Set());
    assert.ok(id);
    planner.mark(id, at);
    calls.push({ id, at });
    at = nextTickAt(at, step, at);
  }
  return calls;
}

test('calls are spaced interval/n apart: no bursts', () => {
  const calls = simulate(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], 2000, 5);
  for (let i = 1; i < calls.length; i++) assert.equal(calls[i]!.at - calls[i - 1]!.at, 250);
});

test('every engine is sampled exactly once per interval, in a stable order', () => {
  const ids = ['c', 'a', 'b'];
  const calls = simulate(ids, 3000, 4);
  for (let round = 0; round < 4; round++) {
    const inRound = calls.filter((c) => c.at >= round * 3000 && c.at < (round + 1) * 3000).map((c) => c.id);
    assert.deepEqual(inRound, ['a', 'b', 'c']);
  }
});

test('a new engine is sampled next; a removed one never again', () => {
  const planner = new SpreadPlanner();
  planner.sync(['a', 'b']);
  planner.mark('a', 0);
  planner.mark('b', 100);
  planner.sync(['a', 'b', 'new']);
  assert.equal(planner.next(new Set()), 'new');
  planner.sync(['b']);
  assert.equal(planner.size, 1);
  assert.equal(planner.next(new Set()), 'b');
});

test('engines with a call in flight are passed over; all busy → null', () => {
  const planner = new SpreadPlanner();
  planner.sync(['a', 'b']);
  assert.equal(planner.next(new Set(['a'])), 'b');
  assert.equal(planner.next(new Set(['a', 'b'])), null);
});

test('ticks are absolute (late timers do not drift) and a long stall restarts from now', () => {
  assert.equal(nextTickAt(1000, 250, 1100), 1250, 'a late timer does not push the next tick');
  assert.equal(nextTickAt(1000, 250, 1400), 1250, 'slightly behind: catch up one step at a time');
  assert.equal(nextTickAt(1000, 250, 5000), 5000, 'far behind: no burst of catch-up calls');
});
