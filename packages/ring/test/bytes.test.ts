import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRing, RingReader, RingWriter } from '../src/index.js';
import { H_COMMIT, H_RESERVE, H_RESERVE_PACKETS_LO } from '../src/layout.js';
import { makePackets } from './ts-packets.js';

const P = 188;

function ring(capacityPackets: number) {
  const handles = createRing({ capacityPackets });
  return { handles, writer: new RingWriter(handles), reader: new RingReader(handles) };
}

function joined(reader: RingReader, from: number, to: number): Uint8Array {
  const r = reader.regions(from, to);
  const out = new Uint8Array(to - from);
  if (r.count > 0) out.set(r.first);
  if (r.count > 1) out.set(r.second, r.first.length);
  return out;
}

describe('RingWriter.write / RingReader.regions', () => {
  it('returns written bytes in one view while no wrap happens', () => {
    const { writer, reader } = ring(8);
    assert.equal(writer.write(makePackets(0, 3)), 3 * P);
    assert.equal(reader.commitCursor, 3 * P);
    assert.equal(reader.reserveCursor, 3 * P);
    const r = reader.regions(P, 3 * P);
    assert.equal(r.count, 1);
    assert.deepEqual(Uint8Array.from(r.first), makePackets(1, 2));
  });

  it('splits a range that crosses the physical end into two views at a packet boundary', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 3));
    writer.write(makePackets(3, 3)); // packets 3,4,5 → slots 3,0,1
    const r = reader.regions(2 * P, 6 * P);
    assert.equal(r.count, 2);
    assert.equal(r.first.length, 2 * P); // slots 2,3
    assert.equal(r.second.length, 2 * P); // slots 0,1
    assert.equal(r.first.byteOffset, 2 * P);
    assert.equal(r.second.byteOffset, 0);
    assert.deepEqual(joined(reader, 2 * P, 6 * P), makePackets(2, 4));
  });

  it('a range ending exactly at the physical end is one view', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 4));
    const r = reader.regions(P, 4 * P);
    assert.equal(r.count, 1);
    assert.equal(r.first.byteOffset + r.first.length, 4 * P);
  });

  it('an exact-capacity write fills the ring and everything in it stays intact', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 1));
    writer.write(makePackets(1, 4)); // wraps: slots 1,2,3,0
    assert.equal(reader.commitCursor, 5 * P);
    assert.equal(reader.intact(P), true);
    assert.equal(reader.intact(0), false);
    assert.deepEqual(joined(reader, P, 5 * P), makePackets(1, 4));
  });

  it('a write longer than the capacity keeps only its tail and advances by its full length', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 2));
    writer.write(makePackets(2, 7)); // packets 2..8; only 5..8 can be kept
    assert.equal(reader.commitCursor, 9 * P);
    assert.equal(reader.oldestSafe(), 5 * P);
    assert.equal(reader.intact(5 * P), true);
    assert.equal(reader.intact(4 * P), false);
    assert.deepEqual(joined(reader, 5 * P, 9 * P), makePackets(5, 4));
  });

  it('lap detection is exact at the boundary: from >= reserve - capacity', () => {
    const { writer, reader } = ring(8);
    writer.write(makePackets(0, 20));
    const boundary = 20 * P - 8 * P;
    assert.equal(reader.intact(boundary), true);
    assert.equal(reader.intact(boundary - P), false);
    assert.equal(reader.intact(20 * P), true); // nothing read yet at the edge
    assert.equal(reader.intact(21 * P), false); // beyond the writer: not a valid cursor
    writer.write(makePackets(20, 1));
    assert.equal(reader.intact(boundary), false);
    assert.equal(reader.intact(boundary + P), true);
  });

  it('intact() uses the reserve cursor, so a copy in progress already counts as a lap', () => {
    const { writer, reader, handles } = ring(4);
    writer.write(makePackets(0, 4));
    // simulate the writer between "store reserve" and "store commit" for 2 more packets
    new BigInt64Array(handles.header)[H_RESERVE / 8] = BigInt(6 * P);
    Atomics.store(new Int32Array(handles.header), H_RESERVE_PACKETS_LO / 4, 6);
    assert.equal(reader.commitCursor, 4 * P, 'commit has not moved');
    assert.equal(reader.intact(P), false, 'packet 1 is being overwritten');
    assert.equal(reader.intact(2 * P), true);
    assert.equal(reader.oldestSafe(), 2 * P);
    assert.throws(() => reader.regions(4 * P, 5 * P), RangeError, 'bytes beyond commit are never handed out');
  });

  it('refuses ranges beyond commit, backwards, misaligned or longer than the capacity', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 6));
    assert.throws(() => reader.regions(0, 7 * P), RangeError);
    assert.throws(() => reader.regions(3 * P, 2 * P), RangeError);
    assert.throws(() => reader.regions(1, P + 1), RangeError);
    assert.throws(() => reader.regions(P, 6 * P), RangeError); // 5 packets > capacity 4
    assert.throws(() => reader.regions(-P, 0), RangeError);
  });

  it('an empty range yields no views', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 2));
    assert.equal(reader.regions(P, P).count, 0);
  });

  it('refuses writes that are not whole packets and ignores empty ones', () => {
    const { writer, reader } = ring(4);
    assert.throws(() => writer.write(new Uint8Array(100)), RangeError);
    assert.equal(writer.write(new Uint8Array(0)), 0);
    assert.equal(reader.commitCursor, 0);
  });

  it('hands out the same cached views for the same range (no allocation at the live edge)', () => {
    const { writer, reader } = ring(8);
    writer.write(makePackets(0, 10));
    const a = reader.regions(4 * P, 10 * P);
    const first = a.first;
    const second = a.second;
    const b = reader.regions(4 * P, 10 * P);
    assert.equal(b, a, 'the same result object is reused');
    assert.equal(b.first, first);
    assert.equal(b.second, second);
  });

  it('oldestSafe() keeps a margin of whole packets and never passes commit', () => {
    const { writer, reader } = ring(8);
    assert.equal(reader.oldestSafe(), 0);
    writer.write(makePackets(0, 20));
    assert.equal(reader.oldestSafe(), 12 * P);
    assert.equal(reader.oldestSafe(1), 13 * P);
    assert.equal(reader.oldestSafe(2 * P), 14 * P);
    assert.equal(reader.oldestSafe(100 * P), 20 * P);
  });
});

describe('RingReader.copy', () => {
  it('copies across the physical end and reports the region intact', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 6));
    const dst = new Uint8Array(5 * P);
    assert.equal(reader.copy(2 * P, 6 * P, dst, P), true);
    assert.deepEqual(dst.subarray(P), makePackets(2, 4));
  });

  it('reports false when the region was overwritten', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 4));
    writer.write(makePackets(4, 1));
    assert.equal(reader.copy(0, 4 * P, new Uint8Array(4 * P)), false);
    assert.equal(reader.copy(P, 5 * P, new Uint8Array(4 * P)), true);
  });

  it('refuses a destination without room', () => {
    const { writer, reader } = ring(4);
    writer.write(makePackets(0, 2));
    assert.throws(() => reader.copy(0, 2 * P, new Uint8Array(P)), RangeError);
    assert.throws(() => reader.copy(0, P, new Uint8Array(2 * P), P + 1), RangeError);
  });
});

describe('cursor arithmetic far from zero', () => {
  it('keeps lap detection exact past 2^32 packets (32-bit mirror wraps, BigInt cursor does not)', () => {
    const { reader, handles } = ring(4);
    // place the cursors just below a multiple of 2^32 packets, as if the ring had run for years
    const base = (2 ** 32 - 2) * P;
    const h64 = new BigInt64Array(handles.header);
    h64[H_COMMIT / 8] = BigInt(base);
    h64[H_RESERVE / 8] = BigInt(base);
    Atomics.store(new Int32Array(handles.header), H_RESERVE_PACKETS_LO / 4, (base / P) | 0);
    const late = new RingWriter(handles);
    assert.equal(late.commitCursor, base);
    late.write(makePackets(0, 6)); // crosses the 2^32-packet mark
    assert.equal(reader.commitCursor, base + 6 * P);
    assert.equal(reader.intact(base + 2 * P), true);
    assert.equal(reader.intact(base + P), false);
    assert.deepEqual(joined(reader, base + 2 * P, base + 6 * P), makePackets(2, 4));
  });
});
