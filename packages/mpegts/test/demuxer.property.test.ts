import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TsDemuxer } from '../src/index.js';
import { demuxPieces } from './demux-helpers.js';
import { concat, syntheticStream } from './fixtures.js';

const STREAM = syntheticStream(12, 4);

/** Cut positions inside [0, length]. */
const cutsFor = (length: number) =>
  fc.uniqueArray(fc.integer({ min: 0, max: length }), { maxLength: 12 }).map((a) => a.sort((x, y) => x - y));

/** The synthetic stream with random damage: bytes inserted, removed or overwritten. */
const damagedStream = fc
  .array(
    fc.record({
      at: fc.integer({ min: 0, max: STREAM.length - 1 }),
      op: fc.constantFrom('insert', 'delete', 'overwrite'),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 400 }),
    }),
    { maxLength: 4 },
  )
  .map((edits) => {
    let data = STREAM;
    for (const e of edits) {
      const at = Math.min(e.at, data.length);
      if (e.op === 'insert') data = concat([data.subarray(0, at), e.bytes, data.subarray(at)]);
      else if (e.op === 'delete') data = concat([data.subarray(0, at), data.subarray(at + e.bytes.length)]);
      else {
        data = data.slice();
        data.set(e.bytes.subarray(0, data.length - at), at);
      }
    }
    return data;
  });

describe('TsDemuxer properties', () => {
  it('never throws on arbitrary bytes and only emits whole sync-aligned packets', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 3000 }), damagedStream),
        fc.array(fc.integer({ min: 0, max: 600 }), { maxLength: 10 }),
        (input, sizes) => {
          const cuts: number[] = [];
          let at = 0;
          for (const s of sizes) {
            at += s;
            if (at <= input.length) cuts.push(at);
          }
          const r = demuxPieces(input, cuts);
          assert.equal(r.output.length % 188, 0);
          assert.ok(r.output.length <= input.length);
          for (let p = 0; p < r.output.length; p += 188) assert.equal(r.output[p], 0x47);
          assert.ok(r.offsetsConsistent);
          for (const e of r.events) {
            assert.equal(e.offset % 188, 0);
            if (e.kind === 'error') assert.equal(e.fatal, false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives identical results however the input is split', () => {
    fc.assert(
      fc.property(
        damagedStream.chain((data) => fc.tuple(fc.constant(data), cutsFor(data.length))),
        ([data, cuts]) => {
          const whole = demuxPieces(data, []);
          const split = demuxPieces(data, cuts);
          assert.deepEqual(split.output, whole.output);
          assert.deepEqual(split.events, whole.events);
          assert.deepEqual(split.stats, whole.stats);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives identical results when fed one byte at a time', () => {
    const whole = demuxPieces(STREAM, []);
    const cuts = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1);
    const bytewise = demuxPieces(STREAM, cuts);
    assert.deepEqual(bytewise.output, whole.output);
    assert.deepEqual(bytewise.events, whole.events);
  });

  it('passes undamaged streams through byte for byte', () => {
    fc.assert(
      fc.property(cutsFor(STREAM.length), (cuts) => {
        const d = new TsDemuxer();
        let n = 0;
        let prev = 0;
        for (const c of [...cuts, STREAM.length]) {
          for (const chunk of d.push(STREAM.subarray(prev, c)).chunks) {
            assert.deepEqual(chunk, STREAM.subarray(n, n + chunk.length));
            n += chunk.length;
          }
          prev = c;
        }
        assert.equal(d.flush().byteLength, 0);
        assert.equal(n, STREAM.length);
      }),
      { numRuns: 100 },
    );
  });
});
