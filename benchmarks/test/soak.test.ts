// The soak's pure parts: `--soak` parsing, its parameters, the warm-up rule and the least-squares slope.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_SOAK_MINUTES, parseSoakMinutes, soakParams } from '../src/bench/params.js';
import { leastSquaresSlope, thirdsSlopes, warmupSeconds } from '../src/bench/slope.js';
import { UsageError } from '../src/util/args.js';

describe('--soak', () => {
  test('takes minutes, fractions allowed, 1 to a day', () => {
    assert.equal(parseSoakMinutes('30'), 30);
    assert.equal(parseSoakMinutes('1'), 1);
    assert.equal(parseSoakMinutes('2.5'), 2.5);
    assert.equal(parseSoakMinutes(String(MAX_SOAK_MINUTES)), MAX_SOAK_MINUTES);
  });
  test('anything else is one usage sentence', () => {
    for (const bad of [
      '',
      ' ',
      '0',
      '0.5',
      '-3',
      'abc',
      '30m',
      'NaN',
      'Infinity',
      String(MAX_SOAK_MINUTES + 1),
    ]) {
      assert.throws(
        () => parseSoakMinutes(bad),
        (e: unknown) =>
          e instanceof UsageError && /^--soak takes minutes from 1 to \d+ \(got ".*"\)\.$/.test(e.message),
        `"${bad}"`,
      );
    }
  });
  test('the load is the one the soak promises', () => {
    const p = soakParams(30);
    assert.equal(p.minutes, 30);
    assert.equal(p.streams, 8);
    assert.equal(p.tsClients, 400);
    assert.equal(p.hlsPlayers, 100);
    assert.equal(p.ringMb, 12);
    assert.equal(p.churnStreams, 200);
    assert.equal(p.tsClients % p.tsLanes, 0, 'lanes split the clients evenly');
    assert.ok(p.churnBatch <= 100, 'a batch stays within one engine-sim engine (100 streams)');
  });
});

describe('warm-up', () => {
  test('20 % of the run, at least two minutes, never past the end', () => {
    assert.equal(warmupSeconds(30 * 60), 360);
    assert.equal(warmupSeconds(10 * 60), 120);
    assert.equal(warmupSeconds(3 * 60), 120);
    assert.equal(warmupSeconds(60), 60);
  });
});

describe('leastSquaresSlope', () => {
  test('an exact line gives its slope, whatever the intercept and spacing', () => {
    const s = [0, 5, 10, 17, 30].map((t) => ({ tS: t, value: 100 + 0.25 * t }));
    assert.ok(Math.abs(leastSquaresSlope(s)! - 0.25) < 1e-12);
  });
  test('a flat series is 0; a falling one is negative', () => {
    assert.equal(leastSquaresSlope([0, 1, 2, 3].map((t) => ({ tS: t, value: 7 }))), 0);
    assert.ok(leastSquaresSlope([0, 1, 2].map((t) => ({ tS: t, value: 10 - 2 * t })))! + 2 < 1e-12);
  });
  test('least squares, not end points', () => {
    // Noise orthogonal to time cancels: exactly 2.
    const e = [0, 1, 2, 3].map((t, i) => ({ tS: t, value: 2 * t + [1, -1, -1, 1][i]! }));
    assert.ok(Math.abs(leastSquaresSlope(e)! - 2) < 1e-12);
    // Same end points, a dip in the middle: sum(dt·dv)/sum(dt²) = (2·5 − 3)/5 = 1.4, not (6 − 0)/3 = 2.
    const d = [0, 1, 2, 3].map((t, i) => ({ tS: t, value: 2 * t + [0, 3, -3, 0][i]! }));
    assert.ok(Math.abs(leastSquaresSlope(d)! - 1.4) < 1e-12);
  });
  test('samples before the warm-up are ignored', () => {
    // A steep start (rings filling) then flat: from 10 s on the slope is 0.
    const s = [
      ...[0, 2, 4, 6, 8].map((t) => ({ tS: t, value: 10 * t })),
      ...[10, 12, 14, 16].map((t) => ({ tS: t, value: 100 })),
    ];
    assert.equal(leastSquaresSlope(s, 10), 0);
    assert.ok(leastSquaresSlope(s)! > 0);
  });
  test('fewer than two samples, or all at one time: no slope', () => {
    assert.equal(leastSquaresSlope([]), null);
    assert.equal(leastSquaresSlope([{ tS: 1, value: 3 }]), null);
    assert.equal(
      leastSquaresSlope([
        { tS: 2, value: 3 },
        { tS: 2, value: 5 },
      ]),
      null,
    );
    assert.equal(leastSquaresSlope([0, 1, 2].map((t) => ({ tS: t, value: t }))), 1);
    assert.equal(
      leastSquaresSlope(
        [0, 1, 2].map((t) => ({ tS: t, value: t })),
        5,
      ),
      null,
    );
  });
});

describe('slope by third', () => {
  test('a climb that flattens: steep first third, flat last third (per minute)', () => {
    // Warm-up 60 s, then 180 s: +1 MB per 10 s for the first 60 s after it, flat afterwards.
    const samples = [];
    for (let t = 0; t <= 240; t += 5)
      samples.push({ tS: t, value: 100 + Math.min(Math.max(t - 60, 0), 60) / 10 });
    const [first, middle, last] = thirdsSlopes(samples, 60);
    assert.ok(Math.abs(first! - 6) < 1e-9, `first ${first}`);
    assert.equal(middle, 0);
    assert.equal(last, 0);
  });
  test('a steady climb: the same slope in every third', () => {
    const samples = [0, 30, 60, 90, 120, 150, 180].map((t) => ({ tS: t, value: t / 30 }));
    for (const v of thirdsSlopes(samples, 0)) assert.ok(Math.abs(v! - 2) < 1e-9, String(v));
  });
  test('nothing after the warm-up: no slopes', () => {
    assert.deepEqual(thirdsSlopes([{ tS: 0, value: 1 }], 10), [null, null, null]);
    assert.deepEqual(thirdsSlopes([], 0), [null, null, null]);
  });
});
