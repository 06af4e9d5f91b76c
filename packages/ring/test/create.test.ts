import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capacityForBudget, createRing, RingControl, RingReader, RingWriter } from '../src/index.js';
import { makePackets } from './ts-packets.js';

describe('createRing', () => {
  it('allocates 188 * capacityPackets data bytes and an empty, opening ring', () => {
    const handles = createRing({ capacityPackets: 8 });
    assert.equal(handles.data.byteLength, 8 * 188);
    assert.ok(handles.header instanceof SharedArrayBuffer);
    assert.ok(handles.index instanceof SharedArrayBuffer);
    const reader = new RingReader(handles);
    assert.equal(reader.capacityPackets, 8);
    assert.equal(reader.capacityBytes, 8 * 188);
    assert.equal(reader.commitCursor, 0);
    assert.equal(reader.reserveCursor, 0);
    assert.equal(reader.control.state, 'opening');
    assert.equal(reader.control.generation, 0);
    assert.equal(reader.control.readers, 0);
    assert.equal(reader.control.closed, false);
    assert.equal(reader.readRandomAccess(), null);
    assert.equal(reader.segmentBounds(), null);
    assert.deepEqual(reader.readPsi(), new Uint8Array(0));
  });

  it('rejects capacities that are not powers of two in range', () => {
    for (const capacityPackets of [0, 3, 12, -4, 1.5, 2 ** 23, Number.NaN]) {
      assert.throws(() => createRing({ capacityPackets }), RangeError, `capacityPackets ${capacityPackets}`);
    }
    assert.doesNotThrow(() => createRing({ capacityPackets: 1 }));
  });

  it('rejects segment slot counts out of range', () => {
    for (const segmentSlots of [0, -1, 2.5, 65_537]) {
      assert.throws(() => createRing({ capacityPackets: 4, segmentSlots }), RangeError);
    }
  });

  it('handles survive structured cloning as shared memory (what postMessage does)', () => {
    const handles = createRing({ capacityPackets: 4 });
    const clone = structuredClone(handles);
    new RingWriter(handles).write(makePackets(0, 2));
    const reader = new RingReader(clone);
    assert.equal(reader.commitCursor, 376);
    assert.deepEqual(Uint8Array.from(reader.regions(0, 376).first), makePackets(0, 2));
  });

  it('refuses buffers that were not made by createRing', () => {
    const good = createRing({ capacityPackets: 4 });
    const foreignHeader = { ...good, header: new SharedArrayBuffer(good.header.byteLength) };
    assert.throws(() => new RingReader(foreignHeader), RangeError);
    const wrongData = { ...good, data: new SharedArrayBuffer(188) };
    assert.throws(() => new RingControl(wrongData), RangeError);
    const notShared = { ...good, data: new ArrayBuffer(4 * 188) as unknown as SharedArrayBuffer };
    assert.throws(() => new RingWriter(notShared), TypeError);
  });
});

describe('capacityForBudget', () => {
  it('picks the largest power of two whose packets fit the budget', () => {
    assert.equal(capacityForBudget(188 * 1024), 1024);
    assert.equal(capacityForBudget(188 * 1024 - 1), 512);
    assert.equal(capacityForBudget(188 * 1500), 1024);
    assert.equal(capacityForBudget(8 * 1024 * 1024), 32_768); // 8 MiB → 6 MiB of packets
  });

  it('clamps to the supported range', () => {
    assert.equal(capacityForBudget(0), 1);
    assert.equal(capacityForBudget(-5), 1);
    assert.equal(capacityForBudget(2 ** 40), 2 ** 22);
  });
});
