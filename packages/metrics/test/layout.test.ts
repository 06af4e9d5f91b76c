// The clz32 index math must be the library's countsArrayIndex, for every value in range.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  COUNTS_LENGTH,
  HIGHEST_EQUIVALENT_US,
  HIGHEST_US,
  indexOfUs,
  LOWEST_EQUIVALENT_US,
} from '../src/layout.js';
import { libHistogram } from './reference.js';

const lib = libHistogram([]);

test('layout is 1 µs .. 10 min at 2 significant digits: 3072 counts', () => {
  assert.equal(COUNTS_LENGTH, 3072);
  assert.equal(lib.countsArrayLength, COUNTS_LENGTH);
});

test('indexOfUs equals the library countsArrayIndex at every bin edge and the range ends', () => {
  for (let i = 0; i < COUNTS_LENGTH; i++) {
    const lo = LOWEST_EQUIVALENT_US[i]!;
    const hi = HIGHEST_EQUIVALENT_US[i]!;
    if (lo > HIGHEST_US) break;
    assert.equal(indexOfUs(lo), i);
    assert.equal(lib.countsArrayIndex(lo), i);
    if (hi <= HIGHEST_US) assert.equal(indexOfUs(hi), i);
  }
  for (const v of [0, 1, 2, 127, 128, 255, 256, 257, 1023, 1024, 2 ** 20, HIGHEST_US]) {
    assert.equal(indexOfUs(v), lib.countsArrayIndex(v), `value ${v}`);
  }
});

test('indexOfUs equals the library countsArrayIndex for random values (property)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: HIGHEST_US }), (v) => indexOfUs(v) === lib.countsArrayIndex(v)),
    { numRuns: 2000 },
  );
});
