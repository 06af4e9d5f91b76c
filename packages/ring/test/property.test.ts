import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRing, RingReader, RingWriter } from '../src/index.js';
import { makePackets } from './ts-packets.js';

const P = 188;

const capacityArb = fc.integer({ min: 0, max: 6 }).map((k) => 2 ** k);

describe('ring properties', () => {
  it('a reader that stays within capacity gets exactly the bytes written, in order', () => {
    fc.assert(
      fc.property(
        capacityArb.chain((capacity) =>
          fc.tuple(fc.constant(capacity), fc.array(fc.integer({ min: 0, max: capacity }), { maxLength: 40 })),
        ),
        ([capacity, sizes]) => {
          const handles = createRing({ capacityPackets: capacity });
          const writer = new RingWriter(handles);
          const reader = new RingReader(handles);
          const received: Uint8Array[] = [];
          let written = 0;
          let cursor = 0;
          for (const size of sizes) {
            writer.write(makePackets(written, size));
            written += size;
            const commit = reader.commitCursor;
            assert.equal(commit, written * P);
            assert.equal(reader.intact(cursor), true, 'never more than capacity behind');
            const dst = new Uint8Array(commit - cursor);
            assert.equal(reader.copy(cursor, commit, dst), true);
            received.push(dst);
            cursor = commit;
          }
          assert.deepEqual(Buffer.concat(received), Buffer.from(makePackets(0, written)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('random write sizes keep the bounds: exactly the last capacity bytes are intact and correct', () => {
    fc.assert(
      fc.property(
        capacityArb,
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 8 }),
        (capacity, sizes, probes) => {
          const handles = createRing({ capacityPackets: capacity });
          const writer = new RingWriter(handles);
          const reader = new RingReader(handles);
          let written = 0;
          for (const size of sizes) {
            writer.write(makePackets(written, size));
            written += size;
            const commit = reader.commitCursor;
            assert.equal(commit, written * P);
            assert.equal(reader.reserveCursor, commit);
            const oldest = Math.max(0, commit - capacity * P);
            assert.equal(reader.oldestSafe(), oldest);
            for (const probe of probes) {
              const from = (probe % (written + 1)) * P;
              assert.equal(reader.intact(from), from >= oldest, `intact(${from}) with commit ${commit}`);
            }
            const dst = new Uint8Array(commit - oldest);
            assert.equal(reader.copy(oldest, commit, dst), true);
            assert.deepEqual(dst, makePackets(oldest / P, written - oldest / P));
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a lagging reader either gets correct bytes or is told it was lapped', () => {
    fc.assert(
      fc.property(
        capacityArb,
        fc.array(fc.tuple(fc.integer({ min: 0, max: 40 }), fc.boolean()), { maxLength: 40 }),
        (capacity, steps) => {
          const handles = createRing({ capacityPackets: capacity });
          const writer = new RingWriter(handles);
          const reader = new RingReader(handles);
          let written = 0;
          let cursor = 0;
          for (const [size, readNow] of steps) {
            writer.write(makePackets(written, size));
            written += size;
            if (!readNow) continue;
            const commit = reader.commitCursor;
            if (!reader.intact(cursor)) {
              assert.ok(commit - cursor > capacity * P, 'lapped only when truly more than capacity behind');
              cursor = reader.oldestSafe();
            }
            const dst = new Uint8Array(commit - cursor);
            assert.equal(reader.copy(cursor, commit, dst), true);
            assert.deepEqual(dst, makePackets(cursor / P, (commit - cursor) / P));
            cursor = commit;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
