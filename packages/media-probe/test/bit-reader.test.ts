// The bit reader: fixed-width and Exp-Golomb codes MSB first, emulation prevention bytes removed, and a
// typed overrun (never a wrong value) when a syntax element runs past the end.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BitOverrun, BitReader, unescapeRbsp } from '../src/index.js';
import { BitWriter } from './bits.js';

describe('BitReader', () => {
  test('reads back what the writer wrote: u(n), ue(v) and se(v)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 ** 20 }), fc.boolean()), { maxLength: 40 }),
        (items) => {
          const w = new BitWriter();
          for (const [v, golomb] of items) {
            if (golomb) w.ue(v);
            else w.u(21, v);
          }
          const bytes = w.nal([]);
          const r = new BitReader(unescapeRbsp(bytes, 0, bytes.length));
          for (const [v, golomb] of items) assert.equal(golomb ? r.ue() : r.u(21), v);
        },
      ),
      { numRuns: 200 },
    );
  });

  test('se(v) maps codes 0, 1, 2, 3, 4 to 0, 1, -1, 2, -2', () => {
    const w = new BitWriter().ue(0).ue(1).ue(2).ue(3).ue(4);
    const bytes = w.nal([]);
    const r = new BitReader(bytes);
    // Code 0 decodes as -0; callers only add or compare it, so 0 and -0 are the same here.
    const read = [r.se(), r.se(), r.se(), r.se(), r.se()].map((v) => v + 0);
    assert.deepEqual(read, [0, 1, -1, 2, -2]);
  });

  test('a 32-bit value stays positive', () => {
    assert.equal(new BitReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff])).u(32), 2 ** 32 - 1);
  });

  test('running past the end throws BitOverrun', () => {
    const r = new BitReader(Uint8Array.from([0x80]));
    assert.equal(r.u(1), 1);
    assert.throws(() => r.u(8), BitOverrun);
    assert.throws(() => new BitReader(new Uint8Array(8)).ue(), BitOverrun, 'an all-zero code is too long');
    assert.throws(() => new BitReader(new Uint8Array(1)).skip(9), BitOverrun);
  });
});

describe('unescapeRbsp', () => {
  test('drops the 0x03 after two zero bytes, and only there', () => {
    const escaped = Uint8Array.from([0x11, 0x00, 0x00, 0x03, 0x01, 0x00, 0x03, 0x00, 0x00, 0x03]);
    assert.deepEqual(
      [...unescapeRbsp(escaped, 0, escaped.length)],
      [0x11, 0x00, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00],
    );
    assert.deepEqual([...unescapeRbsp(escaped, 1, 5)], [0x00, 0x00, 0x01]);
  });
});
