import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRing, RingReader, RingWriter } from '../src/index.js';
import { H_META_SEQ, H_PSI_SEQ, H_RAP_SEQ } from '../src/layout.js';
import { makePackets, makeTagged, taggedValue } from './ts-packets.js';

const P = 188;

function ring() {
  const handles = createRing({ capacityPackets: 8 });
  return { handles, writer: new RingWriter(handles), reader: new RingReader(handles) };
}

describe('status words', () => {
  it('bitrate and last-write time are readable from any reader', () => {
    const { writer, reader } = ring();
    writer.setBitrate(4_500_000.4);
    writer.touch(1_700_000_000_123);
    assert.equal(reader.control.bitrate, 4_500_000);
    assert.equal(reader.control.lastWriteMs, 1_700_000_000_123);
  });

  it('bumpGeneration returns the new generation and records where it started', () => {
    const { writer, reader } = ring();
    writer.write(makePackets(0, 3));
    assert.equal(writer.bumpGeneration(), 1);
    writer.write(makePackets(3, 2));
    assert.equal(writer.bumpGeneration(), 2);
    assert.equal(reader.control.generation, 2);
    assert.deepEqual(reader.control.generationInfo(), { generation: 2, startCursor: 5 * P });
  });

  it('a writer reopened on the same handles continues at the commit cursor', () => {
    const { handles, writer } = ring();
    writer.write(makePackets(0, 3));
    const again = new RingWriter(handles);
    assert.equal(again.commitCursor, 3 * P);
    again.write(makePackets(3, 1));
    assert.equal(new RingReader(handles).commitCursor, 4 * P);
  });
});

describe('latest PSI', () => {
  it('setPsi stores a copy and bumps the version', () => {
    const { writer, reader } = ring();
    const psi = makeTagged(7, 2);
    assert.equal(reader.control.psiVersion, 0);
    writer.setPsi(psi);
    psi.fill(0); // the ring keeps its own copy
    assert.equal(reader.control.psiVersion, 1);
    const copy = reader.readPsi();
    assert.ok(copy);
    assert.equal(copy.length, 2 * P);
    assert.equal(taggedValue(copy), 7);
  });

  it('rejects partial packets and more than PSI_MAX_PACKETS', () => {
    const { writer } = ring();
    assert.throws(() => writer.setPsi(new Uint8Array(100)), RangeError);
    assert.throws(() => writer.setPsi(makeTagged(1, 5)), RangeError);
  });
});

describe('random-access point', () => {
  it('is null until marked, then returns cursor, PSI copy and generation', () => {
    const { writer, reader } = ring();
    assert.equal(reader.readRandomAccess(), null);
    writer.write(makePackets(0, 4));
    writer.bumpGeneration();
    const psi = makeTagged(42, 2);
    writer.markRandomAccess(2 * P, psi);
    psi.fill(0);
    const rap = reader.readRandomAccess();
    assert.ok(rap);
    assert.equal(rap.cursor, 2 * P);
    assert.equal(rap.generation, 1);
    assert.equal(taggedValue(rap.psi), 42);
  });

  it('a newer mark replaces the record, including a shorter PSI', () => {
    const { writer, reader } = ring();
    writer.write(makePackets(0, 4));
    writer.markRandomAccess(0, makeTagged(1, 3));
    writer.markRandomAccess(3 * P, makeTagged(2, 1));
    const rap = reader.readRandomAccess();
    assert.equal(rap?.cursor, 3 * P);
    assert.equal(rap?.psi.length, P);
    assert.equal(taggedValue(rap?.psi ?? new Uint8Array()), 2);
  });

  it('accepts the cursor 0 with an empty PSI', () => {
    const { writer, reader } = ring();
    writer.write(makePackets(0, 1));
    writer.markRandomAccess(0, new Uint8Array(0));
    assert.deepEqual(reader.readRandomAccess(), { cursor: 0, psi: new Uint8Array(0), generation: 0 });
  });

  it('refuses a cursor that is misaligned or not yet committed', () => {
    const { writer } = ring();
    writer.write(makePackets(0, 2));
    assert.throws(() => writer.markRandomAccess(2 * P, makeTagged(1, 1)), RangeError);
    assert.throws(() => writer.markRandomAccess(100, makeTagged(1, 1)), RangeError);
    assert.throws(() => writer.markRandomAccess(P, makeTagged(1, 5)), RangeError);
  });
});

describe('seqlock records with a stuck writer', () => {
  it('readers give up with null instead of returning a half-written record or hanging', () => {
    const { handles, writer, reader } = ring();
    writer.write(makePackets(0, 2));
    writer.markRandomAccess(P, makeTagged(3, 1));
    const h32 = new Int32Array(handles.header);
    for (const seq of [H_RAP_SEQ, H_PSI_SEQ, H_META_SEQ]) Atomics.add(h32, seq / 4, 1); // odd: "writing"
    assert.equal(reader.readRandomAccess(), null);
    assert.equal(reader.readPsi(), null);
    assert.equal(reader.control.generationInfo(), null);
    for (const seq of [H_RAP_SEQ, H_PSI_SEQ, H_META_SEQ]) Atomics.add(h32, seq / 4, 1); // writer finished
    assert.equal(reader.readRandomAccess()?.cursor, P);
  });
});
