// The one Annex B start-code scanner (random-access detection and the media probe both use it): unit
// boundaries with 3- and 4-byte start codes, the range it is given, early stop; and the NAL header fields.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { h264NalType, hevcNalType, isH264Idr, isH264Sps, isHevcIrap, scanNalUnits } from '../src/index.js';

const u8 = (a: number[]): Uint8Array => Uint8Array.from(a);

function units(data: Uint8Array, from = 0, to = data.length): number[][] {
  const out: number[][] = [];
  scanNalUnits(data, from, to, (s, e) => {
    out.push([...data.subarray(s, e)]);
    return false;
  });
  return out;
}

describe('scanNalUnits', () => {
  it('splits units at 3- and 4-byte start codes, without the zero byte of the next start code', () => {
    // biome-ignore format: one line per unit
    const au = u8([
      0, 0, 0, 1, 0x09, 0xf0,
      0, 0, 0, 1, 0x67, 0x4d, 0x00,
      0, 0, 1, 0x68, 0xee,
      0, 0, 1, 0x65, 0x88, 0x84,
    ]);
    assert.deepEqual(units(au), [
      [0x09, 0xf0],
      [0x67, 0x4d],
      [0x68, 0xee],
      [0x65, 0x88, 0x84],
    ]);
  });

  it('keeps to the range it is given and skips empty units', () => {
    const data = u8([0x47, 0, 0, 1, 0, 0, 1, 0x41, 0x9a, 0x77, 0, 0, 1, 0x65]);
    assert.deepEqual(units(data, 1, 10), [[0x41, 0x9a, 0x77]]);
    assert.deepEqual(units(u8([1, 2, 3, 0, 0, 2, 0])), [], 'no start code: no unit');
    assert.deepEqual(units(u8([0, 0, 1])), [], 'a start code at the very end has no unit');
  });

  it('stops at the first unit the visitor accepts and says so', () => {
    const data = u8([0, 0, 1, 0x67, 1, 0, 0, 1, 0x65, 2, 0, 0, 1, 0x65, 3]);
    const seen: number[] = [];
    const found = scanNalUnits(data, 0, data.length, (s) => {
      seen.push(data[s]!);
      return isH264Idr(data[s]!);
    });
    assert.equal(found, true);
    assert.deepEqual(seen, [0x67, 0x65]);
    assert.equal(
      scanNalUnits(data, 0, data.length, () => false),
      false,
    );
  });
});

describe('NAL header fields', () => {
  it('reads H.264 and HEVC unit types', () => {
    assert.equal(h264NalType(0x65), 5);
    assert.equal(isH264Idr(0x65), true);
    assert.equal(isH264Idr(0x41), false);
    assert.equal(isH264Sps(0x67), true);
    assert.equal(isH264Sps(0x68), false);
    assert.equal(hevcNalType(0x42), 33, 'an HEVC SPS');
    assert.equal(isHevcIrap(0x26), true, 'IDR_W_RADL (19)');
    assert.equal(isHevcIrap(0x02), false, 'TRAIL_R (1)');
  });
});
