// The A/B figures (median and range over pairs, ratios within pairs) and the CPU pinning plan.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { abOrder, formatSpread, pairRatios, spread } from '../src/bench/pairs.js';
import { parseCpuList, pinCommand, planPinning } from '../src/util/pin.js';

describe('spread', () => {
  test('median, min and max; an even count takes the middle two', () => {
    assert.deepEqual(spread([3, 1, 2]), { n: 3, median: 2, min: 1, max: 3, values: [3, 1, 2] });
    const s = spread([4, 1, 3, 2]);
    assert.equal(s?.median, 2.5);
    assert.equal(s?.min, 1);
    assert.equal(s?.max, 4);
  });
  test('missing and non-finite values are left out; nothing left is null', () => {
    assert.equal(spread([null, 2, undefined, Number.NaN, Number.POSITIVE_INFINITY])?.n, 1);
    assert.equal(spread([]), null);
    assert.equal(spread([null, Number.NaN]), null);
  });
});

describe('pairRatios', () => {
  test('a ratio per pair, within the pair', () => {
    assert.deepEqual(pairRatios([2, 3, 4], [1, 2, 8]), [2, 1.5, 0.5]);
  });
  test('a pair with a missing side or a zero baseline is dropped, not misaligned', () => {
    assert.deepEqual(pairRatios([2, null, 4, 5], [1, 2, 0, 10]), [2, 0.5]);
    assert.deepEqual(pairRatios([1, 2, 3], [1]), [1]);
  });
});

describe('formatSpread', () => {
  test('median then range, scaled, with a unit', () => {
    assert.equal(formatSpread(spread([1.2, 1.5, 1.4]), 2, 1, '×'), '1.40 × (1.20–1.50)');
    assert.equal(formatSpread(spread([0.5, 0.7]), 0, 100, '%'), '60 % (50–70)');
  });
  test('one value has no range; none is a dash', () => {
    assert.equal(formatSpread(spread([0.88]), 2), '0.88');
    assert.equal(formatSpread(null, 2), '-');
  });
});

test('abOrder alternates A and B, pair by pair', () => {
  assert.deepEqual(
    abOrder(3).map((x) => `${x.side}${x.pair}`),
    ['A0', 'B0', 'A1', 'B1', 'A2', 'B2'],
  );
  assert.deepEqual(abOrder(0), []);
});

describe('CPU pinning', () => {
  test('parseCpuList reads Cpus_allowed_list', () => {
    assert.deepEqual(parseCpuList('0-1'), [0, 1]);
    assert.deepEqual(parseCpuList('0-2,5,7-8\n'), [0, 1, 2, 5, 7, 8]);
    assert.deepEqual(parseCpuList('3'), [3]);
    for (const bad of ['', 'a', '2-1', '0,,1', '1-']) assert.throws(() => parseCpuList(bad), RangeError);
  });
  test('the server gets the first CPU, everything else the rest; one CPU is no plan', () => {
    assert.deepEqual(planPinning([0, 1]), { server: '0', load: '1' });
    assert.deepEqual(planPinning([2, 3, 5]), { server: '2', load: '3,5' });
    assert.equal(planPinning([0]), null);
  });
  test('pinCommand wraps with taskset, or leaves the command alone without a plan', () => {
    const plan = { server: '0', load: '1' };
    assert.deepEqual(pinCommand(plan, 'server', 'node', ['a.js', '--x']), {
      cmd: 'taskset',
      args: ['-c', '0', 'node', 'a.js', '--x'],
    });
    assert.deepEqual(pinCommand(plan, 'load', 'nginx', []), { cmd: 'taskset', args: ['-c', '1', 'nginx'] });
    assert.deepEqual(pinCommand(null, 'server', 'node', ['a.js']), { cmd: 'node', args: ['a.js'] });
  });
});
