// The H.264 SPS parser reads profile, level, cropped size, interlacing and VUI frame rate, from hand-built
// and captured parameter sets, and answers null (never throws) for truncated or foreign NAL units.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseH264Sps } from '../src/index.js';
import { BitWriter, hex } from './bits.js';

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
