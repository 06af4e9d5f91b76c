// Each thread that drops a ring asks for one full collection soon after: a burst of closes costs one
// collection, and collections are spaced by a minimum interval (simulated time). Under steady load a
// thread collects once its heap grew by a threshold since the last collection.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HeapKeeper, type HeapSample } from '../src/memory/heap-keeper.js';
import { fullCollector, type ReclaimClock, RingReclaimer } from '../src/memory/reclaim.js';

class FakeClock implements ReclaimClock {
  nowMs = 0;
  timers: Array<{ at: number; fn: () => void }> = [];
  now(): number {
    return this.nowMs;
  }
  setTimeout(fn: () => void, ms: number): object {
    this.timers.push({ at: this.nowMs + ms, fn });
    return {};
  }
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.nowMs = next.at;
      next.fn();
    }
    this.nowMs = end;
  }
}

describe('RingReclaimer', () => {
  test('a burst of releases runs one collection, delay after the first', () => {
    const clock = new FakeClock();
    let runs = 0;
    const r = new RingReclaimer(() => runs++, clock, 1000, 5000);
    for (let i = 0; i < 9; i++) {
      r.released();
      clock.advance(100);
    }
    assert.equal(runs, 0);
    clock.advance(99);
    assert.equal(runs, 0);
    clock.advance(1);
    assert.equal(runs, 1);
    clock.advance(60_000);
    assert.equal(runs, 1, 'nothing released since: no further collection');
    assert.equal(r.collections, 1);
  });

  test('collections are at least the minimum interval apart', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const r = new RingReclaimer(() => at.push(clock.now()), clock, 1000, 5000);
    r.released();
    clock.advance(1000);
    assert.deepEqual(at, [1000]);
    r.released();
    clock.advance(10_000);
    assert.deepEqual(at, [1000, 6000], 'the second waits for the interval, not just the delay');
    clock.advance(20_000);
    r.released();
    clock.advance(1000);
    assert.deepEqual(at, [1000, 6000, 32_000]);
  });

  test('steady churn cannot starve collection; every release is followed by one', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const r = new RingReclaimer(() => at.push(clock.now()), clock, 1000, 5000);
    const releases: number[] = [];
    for (let t = 0; t < 30_000; t += 700) {
      clock.advance(700);
      r.released();
      releases.push(clock.now());
    }
    clock.advance(10_000);
    const last = releases.at(-1)!;
    assert.ok(
      at.some((t) => t >= last + 1000),
      'the last release got its collection',
    );
    assert.ok(at.length >= 5, `${at.length} collections in 30 s of releases every 700 ms`);
    for (let i = 1; i < at.length; i++) {
      const gap = at[i]! - at[i - 1]!;
      assert.ok(gap >= 5000 && gap <= 6000, `gap ${gap}`);
    }
  });

  test('the runtime exposes a full collector to the gateway', () => {
    const gc = fullCollector();
    assert.equal(typeof gc, 'function');
    gc?.();
  });
});

describe('HeapKeeper', () => {
  const MB = 1024 * 1024;
  function rig(growth = 8 * MB) {
    const heap = { usedBytes: 20 * MB, externalBytes: 2 * MB };
    let runs = 0;
    const keeper = new HeapKeeper(
      () => {
        runs++;
        // A collection leaves the live set.
        heap.usedBytes = 20 * MB;
        heap.externalBytes = 2 * MB;
      },
      (): HeapSample => ({ ...heap }),
      growth,
    );
    return { heap, keeper, runs: () => runs };
  }

  test('collects once used + external memory grew by the threshold, not before', () => {
    const r = rig();
    r.heap.usedBytes += 5 * MB;
    assert.equal(r.keeper.check(), false);
    r.heap.externalBytes += 2.9 * MB;
    assert.equal(r.keeper.check(), false, '7.9 MB of growth');
    r.heap.externalBytes += 0.1 * MB;
    assert.equal(r.keeper.check(), true, '8 MB: heap and external memory both count');
    assert.equal(r.runs(), 1);
    assert.equal(r.keeper.check(), false, 'measured again from the post-collection size');
  });

  test('a collection V8 ran by itself resets the baseline', () => {
    const r = rig();
    r.heap.usedBytes += 7 * MB;
    r.keeper.check();
    // V8's own major GC: back to 18 MB used.
    r.heap.usedBytes = 18 * MB;
    r.keeper.check();
    r.heap.usedBytes += 7 * MB;
    assert.equal(r.keeper.check(), false, '7 MB since V8 collected, though 10 MB since the start');
    r.heap.usedBytes += 1 * MB;
    assert.equal(r.keeper.check(), true);
  });

  test('an idle heap is never collected', () => {
    const r = rig();
    for (let i = 0; i < 100; i++) r.keeper.check();
    assert.equal(r.runs(), 0);
    assert.equal(r.keeper.collections, 0);
  });
});
