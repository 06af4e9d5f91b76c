import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkStatsPolicy,
  DEFAULT_STATS_POLICY,
  effectiveIntervalMs,
  policyIntervalMs,
} from '../src/index.js';

test('default policy: no stats with no engines, 3 s for 1–5, 2 s for 6 and more', () => {
  const table = [0, 1, 5, 6, 20, 500].map((n) => policyIntervalMs(DEFAULT_STATS_POLICY, n));
  assert.deepEqual(table, [null, 3000, 3000, 2000, 2000, 2000]);
  assert.equal(checkStatsPolicy(DEFAULT_STATS_POLICY), null);
});

test('a custom table applies the last row whose minEngines is reached', () => {
  const policy = [
    { minEngines: 0, intervalMs: null },
    { minEngines: 1, intervalMs: 5000 },
    { minEngines: 10, intervalMs: null },
  ];
  assert.deepEqual(
    [1, 9, 10, 50].map((n) => policyIntervalMs(policy, n)),
    [5000, 5000, null, null],
  );
});

test('zero engines never poll, even if a table says otherwise', () => {
  assert.equal(policyIntervalMs([{ minEngines: 0, intervalMs: 1000 }], 0), null);
});

test('each malformed policy is named in one sentence', () => {
  const cases: [unknown, RegExp][] = [
    [[], /non-empty array/],
    [[{ minEngines: 1, intervalMs: 1000 }], /start with a row for minEngines 0/],
    [
      [
        { minEngines: 0, intervalMs: null },
        { minEngines: 0, intervalMs: 1000 },
      ],
      /row 1: minEngines must be greater/,
    ],
    [
      [
        { minEngines: 0, intervalMs: null },
        { minEngines: 1.5, intervalMs: 1000 },
      ],
      /row 1: minEngines must be a non-negative integer/,
    ],
    [
      [
        { minEngines: 0, intervalMs: null },
        { minEngines: 1, intervalMs: 5 },
      ],
      /row 1: intervalMs must be null or a number of at least 100/,
    ],
  ];
  for (const [policy, re] of cases) {
    const msg = checkStatsPolicy(policy as never);
    assert.match(msg ?? '', re);
    assert.match(msg ?? '', /\.$/, 'one sentence');
  }
});

test('the interval stretches when the rate cap cannot carry one call per engine per interval', () => {
  const limits = { statsCallsPerSec: 4, concurrency: 16, callMs: 0 };
  assert.equal(effectiveIntervalMs(2000, 8, limits), 2000, '8 engines / 2 s = 4 calls/s fits');
  assert.equal(effectiveIntervalMs(2000, 20, limits), 5000, '20 engines at 4 calls/s need 5 s');
});

test('the interval stretches when slow calls would exceed the concurrency bound', () => {
  assert.equal(effectiveIntervalMs(2000, 20, { statsCallsPerSec: 100, concurrency: 4, callMs: 1000 }), 5000);
  assert.equal(effectiveIntervalMs(null, 20, { statsCallsPerSec: 100, concurrency: 4, callMs: 1000 }), null);
});
