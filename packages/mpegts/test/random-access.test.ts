import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hasH264Idr, hasHevcIrap, isRandomAccessPacket } from '../src/index.js';
import { h264AccessUnit, packet, pesBytes, VIDEO_PID } from './fixtures.js';

const u8 = (a: number[]): Uint8Array => Uint8Array.from(a);

describe('random access', () => {
  it('finds an H.264 IDR after AUD, SPS and PPS', () => {
    const idr = u8(h264AccessUnit(true));
    assert.equal(hasH264Idr(idr, 0, idr.length), true);
    const p = u8(h264AccessUnit(false));
    assert.equal(hasH264Idr(p, 0, p.length), false);
  });

  it('does not take an SPS alone for a random-access point', () => {
    const spsOnly = u8([0, 0, 0, 1, 0x67, 0x4d, 0x40, 0x1e, 0, 0, 1, 0x68, 0xee]);
    assert.equal(hasH264Idr(spsOnly, 0, spsOnly.length), false);
  });

  it('finds HEVC IRAP NAL types 16..23 and nothing else', () => {
    for (let type = 0; type < 64; type++) {
      const nal = u8([0, 0, 1, (type << 1) & 0x7e, 0x01, 0xaf]);
      assert.equal(hasHevcIrap(nal, 0, nal.length), type >= 16 && type <= 23, `type ${type}`);
    }
  });

  it('detects random access from the indicator or the NAL units of the PES-start packet only', () => {
    const key = packet({
      pid: VIDEO_PID,
      cc: 0,
      pusi: true,
      payload: pesBytes(0xe0, 9000, -1, h264AccessUnit(true)),
    });
    assert.equal(isRandomAccessPacket(key, 0, 'h264'), true);
    const rai = packet({
      pid: VIDEO_PID,
      cc: 0,
      pusi: true,
      rai: true,
      payload: pesBytes(0xe0, 1, -1, [1, 2]),
    });
    assert.equal(isRandomAccessPacket(rai, 0, 'h264'), true);
    const delta = packet({
      pid: VIDEO_PID,
      cc: 0,
      pusi: true,
      payload: pesBytes(0xe0, 9000, -1, h264AccessUnit(false)),
    });
    assert.equal(isRandomAccessPacket(delta, 0, 'h264'), false);
    const notStart = packet({ pid: VIDEO_PID, cc: 0, payload: h264AccessUnit(true) });
    assert.equal(isRandomAccessPacket(notStart, 0, 'h264'), false);
  });
});
