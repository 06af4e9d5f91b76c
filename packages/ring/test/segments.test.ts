import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRing, RingReader, RingWriter, type SegmentEntry } from '../src/index.js';
import { S_VERSION, X_SLOTS } from '../src/layout.js';
import { makePackets, makeTagged, taggedValue } from './ts-packets.js';

const P = 188;

function ring(capacityPackets = 64, segmentSlots = 4) {
  const handles = createRing({ capacityPackets, segmentSlots });
  return { handles, writer: new RingWriter(handles), reader: new RingReader(handles) };
}

function entry(seq: number, start: number, end: number, extra: Partial<SegmentEntry> = {}): SegmentEntry {
  return {
    seq,
    start,
    end,
    durationUs: 2_000_000,
    discontinuity: false,
    discontinuitySequence: 0,
    programDateTimeMs: 1_700_000_000_000 + seq * 2000,
    forcedCut: false,
    independent: true,
    generation: 0,
    psi: makeTagged(seq, 2),
    ...extra,
  };
}

describe('segment index', () => {
  it('publishes and reads back every field, PSI copied', () => {
    const { writer, reader } = ring();
    writer.write(makePackets(0, 10));
    const published = entry(5, 0, 4 * P, {
      discontinuity: true,
      discontinuitySequence: 3,
      forcedCut: true,
      independent: false,
      generation: 2,
      durationUs: 1_966_666,
    });
    writer.publishSegment(published);
    assert.deepEqual(reader.readSegment(5), published);
    assert.equal(taggedValue(reader.readSegment(5)?.psi ?? new Uint8Array()), 5);
  });

  it('bumps the index version and the bounds on every publish', () => {
    const { writer, reader } = ring();
    writer.write(makePackets(0, 10));
    const v0 = reader.indexVersion;
    writer.publishSegment(entry(0, 0, 2 * P));
    writer.publishSegment(entry(1, 2 * P, 5 * P));
    assert.equal(reader.indexVersion, v0 + 2);
    assert.deepEqual(reader.segmentBounds(), { firstAvailable: 0, last: 1 });
  });

  it('answers null for unknown, unpublished and invalid seqs', () => {
    const { writer, reader } = ring();
    writer.write(makePackets(0, 10));
    assert.equal(reader.readSegment(0), null);
    writer.publishSegment(entry(7, 0, 2 * P));
    assert.equal(reader.readSegment(6), null);
    assert.equal(reader.readSegment(8), null);
    assert.equal(reader.readSegment(-1), null);
    assert.equal(reader.readSegment(7.5), null);
    assert.equal(reader.readSegment(3), null, 'same slot as 7, never published');
  });

  it('a reused slot no longer answers for its old seq', () => {
    const { writer, reader } = ring(64, 4);
    writer.write(makePackets(0, 12));
    for (let seq = 0; seq < 6; seq++) writer.publishSegment(entry(seq, seq * 2 * P, (seq * 2 + 2) * P));
    assert.equal(reader.readSegment(0), null);
    assert.equal(reader.readSegment(1), null);
    assert.equal(reader.readSegment(2)?.start, 4 * P);
    assert.equal(reader.readSegment(5)?.start, 10 * P);
    assert.deepEqual(reader.segmentBounds(), { firstAvailable: 2, last: 5 });
  });

  it('a segment whose bytes were overwritten is gone, and the bounds move past it', () => {
    const { writer, reader } = ring(8, 16);
    writer.write(makePackets(0, 8));
    writer.publishSegment(entry(0, 0, 3 * P));
    writer.publishSegment(entry(1, 3 * P, 6 * P));
    writer.write(makePackets(8, 1)); // packet 0 is overwritten
    assert.equal(reader.readSegment(0), null);
    assert.equal(reader.readSegment(1)?.seq, 1);
    assert.deepEqual(reader.segmentBounds(), { firstAvailable: 1, last: 1 });
    writer.write(makePackets(9, 8));
    assert.deepEqual(reader.segmentBounds(), { firstAvailable: 2, last: 1 }, 'nothing readable');
  });

  it('stores generations up to 2^32 - 1', () => {
    const { writer, reader } = ring();
    writer.write(makePackets(0, 2));
    writer.publishSegment(entry(0, 0, P, { generation: 0xffff_ffff }));
    assert.equal(reader.readSegment(0)?.generation, 0xffff_ffff);
  });

  it('handles media sequence numbers beyond 2^32', () => {
    const { writer, reader } = ring(64, 128);
    writer.write(makePackets(0, 4));
    const seq = 2 ** 32 + 77;
    writer.publishSegment(entry(seq, 0, P));
    writer.publishSegment(entry(seq + 1, P, 2 * P));
    assert.equal(reader.readSegment(seq)?.seq, seq);
    assert.deepEqual(reader.segmentBounds(), { firstAvailable: seq, last: seq + 1 });
  });

  it('refuses non-consecutive seqs and out-of-order or uncommitted ranges', () => {
    const { writer } = ring(8, 4);
    writer.write(makePackets(0, 6));
    writer.publishSegment(entry(3, P, 2 * P));
    assert.throws(() => writer.publishSegment(entry(5, 2 * P, 3 * P)), RangeError, 'gap');
    assert.throws(() => writer.publishSegment(entry(3, 2 * P, 3 * P)), RangeError, 'repeat');
    assert.throws(() => writer.publishSegment(entry(4, 0, P)), RangeError, 'start goes back');
    assert.throws(() => writer.publishSegment(entry(4, 2 * P, 7 * P)), RangeError, 'not committed');
    assert.throws(() => writer.publishSegment(entry(4, 2 * P, 2 * P)), RangeError, 'empty');
    assert.throws(() => writer.publishSegment(entry(4, 2 * P, 3 * P + 1)), RangeError, 'misaligned');
    assert.throws(
      () => writer.publishSegment(entry(4, 2 * P, 3 * P, { durationUs: Number.NaN })),
      RangeError,
    );
    assert.throws(() => writer.publishSegment(entry(4, 2 * P, 3 * P, { psi: makeTagged(1, 5) })), RangeError);
    assert.throws(() => writer.publishSegment(entry(4, 2 * P, 3 * P, { generation: -1 })), RangeError);
    writer.publishSegment(entry(4, 2 * P, 3 * P));
  });

  it('a writer reopened on the same handles continues the sequence', () => {
    const { handles, writer } = ring();
    writer.write(makePackets(0, 4));
    writer.publishSegment(entry(10, P, 2 * P));
    const again = new RingWriter(handles);
    assert.throws(() => again.publishSegment(entry(12, 2 * P, 3 * P)), RangeError);
    assert.throws(() => again.publishSegment(entry(11, 0, P)), RangeError, 'start before the previous');
    again.publishSegment(entry(11, 2 * P, 3 * P));
  });

  it('never returns a slot the writer is in the middle of filling', () => {
    const { handles, writer, reader } = ring(64, 4);
    writer.write(makePackets(0, 4));
    writer.publishSegment(entry(0, 0, P));
    const x32 = new Int32Array(handles.index);
    Atomics.add(x32, (X_SLOTS + S_VERSION) / 4, 1); // slot 0 is "being written"
    assert.equal(reader.readSegment(0), null);
    Atomics.add(x32, (X_SLOTS + S_VERSION) / 4, 1);
    assert.equal(reader.readSegment(0)?.seq, 0);
  });
});
