import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seqlockBegin, seqlockEnd, seqlockRead } from '../src/sync.js';

describe('seqlockRead', () => {
  it('retries a read the writer overlapped and returns the consistent retry', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    let attempts = 0;
    const value = seqlockRead(words, 0, () => {
      attempts++;
      if (attempts === 1) {
        // a whole write happens while the first attempt copies
        seqlockBegin(words, 0);
        seqlockEnd(words, 0);
        return 'torn';
      }
      return 'clean';
    });
    assert.equal(value, 'clean');
    assert.equal(attempts, 2);
  });

  it('does not even call read while the version is odd', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    seqlockBegin(words, 0);
    let calls = 0;
    assert.equal(
      seqlockRead(words, 0, () => ++calls),
      undefined,
    );
    assert.equal(calls, 0);
  });

  it('keeps parity across the 32-bit wrap of the version word', () => {
    const words = new Int32Array(new SharedArrayBuffer(8));
    words[0] = 0x7fff_fffe; // even, one write before the wrap
    seqlockBegin(words, 0);
    seqlockEnd(words, 0);
    seqlockBegin(words, 0);
    assert.equal(words[0]! & 1, 1);
    seqlockEnd(words, 0);
    assert.equal(
      seqlockRead(words, 0, () => 'ok'),
      'ok',
    );
  });
});
