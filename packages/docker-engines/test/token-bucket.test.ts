import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { TokenBucket } from '../src/index.js';

test('a full bucket lets `burst` calls through at once, then refuses', () => {
  const b = new TokenBucket({ ratePerSec: 10, burst: 3, nowMs: 0 });
  assert.deepEqual([b.tryTake(0), b.tryTake(0), b.tryTake(0), b.tryTake(0)], [true, true, true, false]);
});

test('tokens come back at the configured rate, never above burst', () => {
  const b = new TokenBucket({ ratePerSec: 10, burst: 2, nowMs: 0 });
  b.tryTake(0);
  b.tryTake(0);
  assert.equal(b.tryTake(50), false, 'half a token after 50 ms at 10/s');
  assert.equal(b.msUntilToken(50), 50);
  assert.equal(b.tryTake(100), true);
  assert.equal(b.available(60_000), 2, 'a long pause refills to burst only');
});

test('a clock stepping backwards adds no tokens', () => {
  const b = new TokenBucket({ ratePerSec: 1, burst: 1, nowMs: 10_000 });
  assert.equal(b.tryTake(10_000), true);
  assert.equal(b.tryTake(0), false);
  assert.equal(b.tryTake(10_500), false, 'the backwards step does not count as elapsed time');
  assert.equal(b.tryTake(11_000), true);
});

test('property: in any window of T ms at most burst + rate*T calls pass', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 50 }),
      fc.integer({ min: 1, max: 10 }),
      fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 3000 }),
      (rate, burst, gaps, windowMs) => {
        const b = new TokenBucket({ ratePerSec: rate, burst, nowMs: 0 });
        const passed: number[] = [];
        let t = 0;
        for (const g of gaps) {
          t += g;
          if (b.tryTake(t)) passed.push(t);
        }
        for (let i = 0; i < passed.length; i++) {
          let n = 0;
          for (let j = i; j < passed.length && passed[j]! - passed[i]! < windowMs; j++) n++;
          assert.ok(n <= burst + (rate * windowMs) / 1000 + 1e-9, `${n} calls in ${windowMs} ms`);
        }
      },
    ),
    { numRuns: 200 },
  );
});
