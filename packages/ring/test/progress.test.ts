// Reader progress slots: the writer sees the least advanced fresh report; stale and absent slots do not count.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRing, READER_SLOTS, RingReader, RingWriter } from '../src/index.js';

test('slowest fresh reader progress', () => {
  const h = createRing({ capacityPackets: 64 });
  const w = new RingWriter(h);
  const a = new RingReader(h);
  const b = new RingReader(h);
  assert.equal(w.slowestReader(10_000, 1000), -1, 'nobody reported');
  b.reportProgress(5, 188 * 10, 9_900);
  a.reportProgress(0, 188 * 20, 10_500);
  assert.equal(w.slowestReader(10_500, 1000), 188 * 10);
  // Slot 5 goes stale (1100 ms old): only slot 0 is fresh enough.
  assert.equal(w.slowestReader(11_000, 1000), 188 * 20);
  assert.equal(w.slowestReader(20_000, 1000), -1);
  // A slot's report replaces its previous one (its slow client left: the figure can go up).
  b.reportProgress(5, 188 * 30, 20_000);
  a.reportProgress(0, 188 * 40, 20_000);
  assert.equal(w.slowestReader(20_000, 1000), 188 * 30);
});

test('slots are bounded', () => {
  const h = createRing({ capacityPackets: 64 });
  const r = new RingReader(h);
  assert.throws(() => r.reportProgress(READER_SLOTS, 0, 1), RangeError);
  assert.throws(() => r.reportProgress(-1, 0, 1), RangeError);
});
