// Issue 5 (stream insight): the pure media probe reads codec, profile, level, size, frame rate, GOP and
// audio layout from MPEG-TS bytes, and never throws whatever the bytes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DEFAULT_FIXTURE } from '@shardcast/engine-sim';
import fc from 'fast-check';
import { findAc3, findAdts, findMpegAudio } from '../src/probe/audio-headers.js';
import { parseH264Sps } from '../src/probe/h264-sps.js';
import { parseHevcSps } from '../src/probe/hevc-sps.js';
import { isComplete, probeTs } from '../src/probe/ts-probe.js';

const fixture = readFileSync(DEFAULT_FIXTURE);
const FIXTURE = new Uint8Array(fixture.buffer, fixture.byteOffset, fixture.length);

/** MSB-first bit writer with Exp-Golomb codes, to hand-build parameter sets field by field. */
class BitWriter {
  readonly bits: number[] = [];
  u(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) this.bits.push(Math.floor(v / 2 ** i) % 2);
    return this;
  }
  ue(v: number): this {
    const len = Math.floor(Math.log2(v + 1));
    this.u(len, 0);
    return this.u(len + 1, v + 1);
  }
  /** RBSP trailing bits, then emulation prevention (H.264 §7.4.1): 00 00 0x (x ≤ 3) → 00 00 03 0x. */
  nal(header: number[]): Uint8Array {
    this.bits.push(1);
    while (this.bits.length % 8 !== 0) this.bits.push(0);
    const out = [...header];
    let zeros = 0;
    for (let i = 0; i < this.bits.length; i += 8) {
      const b = Number.parseInt(this.bits.slice(i, i + 8).join(''), 2);
      if (zeros >= 2 && b <= 3) {
        out.push(3);
        zeros = 0;
      }
      out.push(b);
      zeros = b === 0 ? zeros + 1 : 0;
    }
    return Uint8Array.from(out);
  }
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

describe('H.264 SPS', () => {
  test('a hand-built High profile SPS: cropping to 1080 lines and VUI timing of 29.97 fps', () => {
    const sps = new BitWriter()
      .u(8, 100) // profile_idc: High
      .u(8, 0) // constraint_set0..5 flags, reserved_zero_2bits
      .u(8, 40) // level_idc: 4.0
      .ue(0) // seq_parameter_set_id
      .ue(1) // chroma_format_idc: 4:2:0
      .ue(0) // bit_depth_luma_minus8
      .ue(0) // bit_depth_chroma_minus8
      .u(1, 0) // qpprime_y_zero_transform_bypass_flag
      .u(1, 0) // seq_scaling_matrix_present_flag
      .ue(0) // log2_max_frame_num_minus4
      .ue(0) // pic_order_cnt_type
      .ue(2) // log2_max_pic_order_cnt_lsb_minus4
      .ue(4) // max_num_ref_frames
      .u(1, 0) // gaps_in_frame_num_value_allowed_flag
      .ue(119) // pic_width_in_mbs_minus1: 120 MBs = 1920
      .ue(67) // pic_height_in_map_units_minus1: 68 MBs = 1088
      .u(1, 1) // frame_mbs_only_flag
      .u(1, 1) // direct_8x8_inference_flag
      .u(1, 1) // frame_cropping_flag
      .ue(0) // frame_crop_left_offset
      .ue(0) // frame_crop_right_offset
      .ue(0) // frame_crop_top_offset
      .ue(4) // frame_crop_bottom_offset: 4 × 2 lines (4:2:0) = 8 → 1080
      .u(1, 1) // vui_parameters_present_flag
      .u(1, 1) // aspect_ratio_info_present_flag
      .u(8, 1) // aspect_ratio_idc: 1:1
      .u(1, 0) // overscan_info_present_flag
      .u(1, 1) // video_signal_type_present_flag
      .u(3, 5) // video_format: unspecified
      .u(1, 0) // video_full_range_flag
      .u(1, 1) // colour_description_present_flag
      .u(8, 1) // colour_primaries: BT.709
      .u(8, 1) // transfer_characteristics
      .u(8, 1) // matrix_coefficients
      .u(1, 0) // chroma_loc_info_present_flag
      .u(1, 1) // timing_info_present_flag
      .u(32, 1001) // num_units_in_tick
      .u(32, 60000) // time_scale: 60000 / (2 × 1001) = 29.97 fps
      .u(1, 1) // fixed_frame_rate_flag
      .nal([0x67]); // forbidden_zero_bit 0, nal_ref_idc 3, nal_unit_type 7 (SPS)
    const r = parseH264Sps(sps, 0, sps.length);
    assert.deepEqual(r, {
      profileIdc: 100,
      profile: 'High',
      level: '4.0',
      width: 1920,
      height: 1080,
      interlaced: false,
      frameRate: 29.97,
    });
  });

  test('captured SPS: x264 Main 640x360 at 25 fps (the engine-sim fixture)', () => {
    const sps = hex('674d401eeca05017fcb808800000030080000019078b16cb');
    assert.ok(Buffer.from(sps).includes(Buffer.from([0, 0, 3])), 'it carries an emulation prevention byte');
    const r = parseH264Sps(sps, 0, sps.length);
    assert.equal(r?.profile, 'Main');
    assert.equal(r?.level, '3.0');
    assert.equal(r?.width, 640);
    assert.equal(r?.height, 360);
    assert.equal(r?.frameRate, 25);
  });

  test('captured SPS: x264 High interlaced 720x576 (PAL fields)', () => {
    const sps = hex('6764001eacd940b424d8088000000300800000190f8a14cb');
    const r = parseH264Sps(sps, 0, sps.length);
    assert.deepEqual(
      [r?.profile, r?.level, r?.width, r?.height, r?.interlaced, r?.frameRate],
      ['High', '3.0', 720, 576, true, 25],
    );
  });

  test('truncated or foreign NAL units give null, not an exception', () => {
    const sps = hex('674d401eeca05017fcb808800000030080000019078b16cb');
    for (let n = 0; n < 10; n++) assert.equal(parseH264Sps(sps, 0, n), null, `cut at ${n}`);
    assert.equal(parseH264Sps(hex('68ee3c80'), 0, 4), null, 'a PPS is not an SPS');
  });
});

describe('HEVC SPS', () => {
  test('captured SPS: x265 Main, level 3.1, 1280x720', () => {
    const sps = hex('42010101600000030090000003000003005da00280802d16595952930bc05a02000007d20000ea6010');
    assert.deepEqual(parseHevcSps(sps, 0, sps.length), {
      profile: 'Main',
      level: '3.1',
      tier: 'Main',
      width: 1280,
      height: 720,
    });
  });
});

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

describe('probeTs', () => {
  test('the engine-sim fixture: h264 Main 640x360 25 fps GOP 25, aac LC 48 kHz stereo (its README)', () => {
    const m = probeTs(FIXTURE);
    assert.ok(m);
    assert.deepEqual(m.video, {
      pid: 256,
      codec: 'h264',
      profile: 'Main',
      level: '3.0',
      width: 640,
      height: 360,
      frame_rate: 25,
      gop_frames: 25,
      gop_seconds: 1,
      interlaced: false,
    });
    assert.deepEqual(m.audio, {
      pid: 257,
      codec: 'aac',
      profile: 'LC',
      sample_rate: 48000,
      channels: 2,
      language: null,
    });
    assert.deepEqual(
      m.tracks.map((t) => [t.pid, t.kind, t.codec]),
      [
        [256, 'video', 'h264'],
        [257, 'audio', 'aac'],
      ],
    );
    assert.ok(isComplete(m));
    assert.ok(
      m.sampled_seconds !== null && m.sampled_seconds > 7.5,
      `covers the loop (${m.sampled_seconds} s)`,
    );
  });

  test('half a second of the fixture: codec and size known, GOP not yet (a follow-up probe is due)', () => {
    const m = probeTs(FIXTURE, 188 * 400);
    assert.equal(m?.video?.width, 640);
    assert.equal(m?.video?.gop_frames, null);
    assert.equal(isComplete(m!), false);
  });

  test('no PAT/PMT in the sample: null', () => {
    // The fixture's audio and video packets only (PIDs 256 and 257), PSI removed.
    const media: Uint8Array[] = [];
    for (let off = 0; off + 188 <= FIXTURE.length; off += 188) {
      const pid = ((FIXTURE[off + 1]! & 0x1f) << 8) | FIXTURE[off + 2]!;
      if (pid === 256 || pid === 257) media.push(FIXTURE.subarray(off, off + 188));
    }
    assert.ok(media.length > 1000);
    assert.equal(probeTs(Buffer.concat(media)), null);
    assert.equal(probeTs(new Uint8Array(188 * 4)), null);
  });

  test('never throws on arbitrary or damaged bytes', () => {
    const damaged = fc
      .tuple(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 188, max: 188 * 600 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 200 }),
      )
      .map(([start, length, flips]) => {
        const copy = FIXTURE.slice(start * 188, start * 188 + length);
        for (const [at, v] of flips) if (copy.length > 0) copy[at % copy.length] = v;
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 4000 }), damaged), (bytes) => {
        probeTs(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
