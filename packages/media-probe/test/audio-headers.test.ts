// Audio frame headers: ADTS, MPEG audio and AC-3 / E-AC-3 give codec, sample rate and channels.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findAc3, findAdts, findMpegAudio } from '../src/index.js';

describe('audio headers', () => {
  test('ADTS: profile LC, 44.1 kHz, stereo', () => {
    // syncword FFF, ID 0 (MPEG-4), layer 00, protection_absent 1 | profile 01 (LC), sf_index 0100 (44100),
    // private 0, channel_configuration 010 (2) ...
    const adts = Uint8Array.from([0x00, 0xff, 0xf1, 0x50, 0x80, 0x2e, 0x7f, 0xfc]);
    assert.deepEqual(findAdts(adts, 0, adts.length), {
      codec: 'aac',
      profile: 'LC',
      sampleRate: 44100,
      channels: 2,
    });
  });

  test('MPEG-1 layer II, 48 kHz, single channel', () => {
    // sync 11 bits, version 11 (MPEG-1), layer 10 (II), protection 1 | bitrate 1100, sf 01 (48000),
    // padding 0, private 0 | mode 11 (single channel)
    const mp2 = Uint8Array.from([0xff, 0xfd, 0xc4, 0xc0]);
    assert.deepEqual(findMpegAudio(mp2, 0, mp2.length), {
      codec: 'mp2',
      profile: null,
      sampleRate: 48000,
      channels: 1,
    });
  });

  test('AC-3 5.1 at 48 kHz and E-AC-3 stereo at 48 kHz', () => {
    // AC-3: syncword 0B77, crc1, fscod 00 + frmsizecod, bsid 8 + bsmod 0, acmod 111 (3/2), cmixlev,
    // surmixlev, lfeon 1
    const ac3 = Uint8Array.from([0x0b, 0x77, 0x00, 0x00, 0x1c, 0x40, 0xe1, 0xa0]);
    assert.deepEqual(findAc3(ac3, 0, ac3.length), {
      codec: 'ac3',
      profile: null,
      sampleRate: 48000,
      channels: 6,
    });
    // E-AC-3: syncword, strmtyp/substreamid/frmsiz, fscod 00, numblkscod 11, acmod 010, lfeon 0, bsid 16
    const eac3 = Uint8Array.from([0x0b, 0x77, 0x00, 0xff, 0x34, 0x80, 0x00, 0x00]);
    assert.deepEqual(findAc3(eac3, 0, eac3.length), {
      codec: 'eac3',
      profile: null,
      sampleRate: 48000,
      channels: 2,
    });
  });
});
