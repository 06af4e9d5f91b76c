/**
 * H.264 sequence parameter set (ITU-T H.264 §7.3.2.1.1) and the VUI timing it may carry (Annex E.1.1):
 * profile, level, coded size after cropping, frame rate. Pure; never throws (null = not an SPS we can read).
 */
import { isH264Sps } from '@shardcast/mpegts';
import { BitOverrun, BitReader, unescapeRbsp } from './bit-reader.js';

const MB_SIZE = 16;
// aspect_ratio_idc value announcing an explicit sar_width/sar_height (Table E-1).
const EXTENDED_SAR = 255;

// profile_idc values whose SPS carries chroma_format_idc and the bit depths (§7.3.2.1.1).
const HIGH_PROFILES: ReadonlySet<number> = new Set([
  100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135,
]);

export interface H264Sps {
  readonly profileIdc: number;
  readonly profile: string;
  readonly level: string;
  readonly width: number;
  readonly height: number;
  readonly interlaced: boolean;
  /** From VUI timing (time_scale / (2 * num_units_in_tick)), or null when absent. */
  readonly frameRate: number | null;
}

/** ffprobe's profile names (libavcodec `ff_h264_profiles`). */
function profileName(idc: number, constraints: number): string {
  const set1 = (constraints & 0x40) !== 0;
  const set3 = (constraints & 0x10) !== 0;
  switch (idc) {
    case 66:
      return set1 ? 'Constrained Baseline' : 'Baseline';
    case 77:
      return 'Main';
    case 88:
      return 'Extended';
    case 100:
      return 'High';
    case 110:
      return set3 ? 'High 10 Intra' : 'High 10';
    case 122:
      return set3 ? 'High 4:2:2 Intra' : 'High 4:2:2';
    case 244:
      return set3 ? 'High 4:4:4 Intra' : 'High 4:4:4 Predictive';
    case 44:
      return 'CAVLC 4:4:4';
    default:
      return `profile ${idc}`;
  }
}

function levelName(idc: number, profileIdc: number, constraints: number): string {
  // Level 1b: level_idc 11 with constraint_set3 in Baseline/Main/Extended (§A.3.1), or level_idc 9.
  if (idc === 9 || (idc === 11 && (constraints & 0x10) !== 0 && [66, 77, 88].includes(profileIdc)))
    return '1b';
  return (idc / 10).toFixed(1);
}

function skipScalingList(r: BitReader, size: number): void {
  let last = 8;
  let next = 8;
  for (let j = 0; j < size; j++) {
    if (next !== 0) next = (last + r.se() + 256) % 256;
    last = next === 0 ? last : next;
  }
}

/** Parses the SPS NAL unit in data[start, end) (start = its header byte). */
export function parseH264Sps(data: Uint8Array, start: number, end: number): H264Sps | null {
  if (end - start < 4 || !isH264Sps(data[start]!)) return null;
  try {
    return readSps(new BitReader(unescapeRbsp(data, start + 1, end)));
  } catch (err) {
    if (err instanceof BitOverrun) return null;
    throw err;
  }
}

function readSps(r: BitReader): H264Sps | null {
  const profileIdc = r.u(8);
  const constraints = r.u(8);
  const levelIdc = r.u(8);
  r.ue(); // seq_parameter_set_id
  let chromaFormatIdc = 1;
  let separateColourPlane = false;
  if (HIGH_PROFILES.has(profileIdc)) {
    chromaFormatIdc = r.ue();
    if (chromaFormatIdc > 3) return null;
    if (chromaFormatIdc === 3) separateColourPlane = r.flag();
    r.ue(); // bit_depth_luma_minus8
    r.ue(); // bit_depth_chroma_minus8
    r.skip(1); // qpprime_y_zero_transform_bypass_flag
    if (r.flag()) {
      // seq_scaling_matrix_present_flag: 8 lists (12 for 4:4:4), 4x4 first then 8x8.
      const lists = chromaFormatIdc === 3 ? 12 : 8;
      for (let i = 0; i < lists; i++) if (r.flag()) skipScalingList(r, i < 6 ? 16 : 64);
    }
  }
  r.ue(); // log2_max_frame_num_minus4
  const pocType = r.ue();
  if (pocType === 0) {
    r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  } else if (pocType === 1) {
    r.skip(1); // delta_pic_order_always_zero_flag
    r.se(); // offset_for_non_ref_pic
    r.se(); // offset_for_top_to_bottom_field
    const cycle = r.ue();
    if (cycle > 255) return null;
    for (let i = 0; i < cycle; i++) r.se();
  }
  r.ue(); // max_num_ref_frames
  r.skip(1); // gaps_in_frame_num_value_allowed_flag
  const widthMbs = r.ue() + 1;
  const heightMapUnits = r.ue() + 1;
  const frameMbsOnly = r.flag();
  if (!frameMbsOnly) r.skip(1); // mb_adaptive_frame_field_flag
  r.skip(1); // direct_8x8_inference_flag
  let crop = [0, 0, 0, 0];
  if (r.flag()) crop = [r.ue(), r.ue(), r.ue(), r.ue()];
  // Crop units (§7.4.2.1.1, Table 6-1): ChromaArrayType 0 counts luma samples.
  const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
  const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
  const subHeightC = chromaArrayType === 1 ? 2 : 1;
  const cropX = chromaArrayType === 0 ? 1 : subWidthC;
  const cropY = (chromaArrayType === 0 ? 1 : subHeightC) * (frameMbsOnly ? 1 : 2);
  const width = widthMbs * MB_SIZE - cropX * (crop[0]! + crop[1]!);
  const height = (frameMbsOnly ? 1 : 2) * heightMapUnits * MB_SIZE - cropY * (crop[2]! + crop[3]!);
  if (width <= 0 || height <= 0) return null;
  const frameRate = r.flag() ? readVuiFrameRate(r) : null;
  return {
    profileIdc,
    profile: profileName(profileIdc, constraints),
    level: levelName(levelIdc, profileIdc, constraints),
    width,
    height,
    interlaced: !frameMbsOnly,
    frameRate,
  };
}

/** VUI up to timing_info (E.1.1); null when the SPS has no timing info. */
function readVuiFrameRate(r: BitReader): number | null {
  if (r.flag() && r.u(8) === EXTENDED_SAR) r.skip(32); // aspect_ratio_info: sar_width, sar_height
  if (r.flag()) r.skip(1); // overscan_info → overscan_appropriate_flag
  if (r.flag()) {
    // video_signal_type: video_format(3), video_full_range_flag(1), colour_description_present_flag
    r.skip(4);
    if (r.flag()) r.skip(24);
  }
  if (r.flag()) {
    r.ue(); // chroma_sample_loc_type_top_field
    r.ue(); // chroma_sample_loc_type_bottom_field
  }
  if (!r.flag()) return null; // timing_info_present_flag
  const unitsInTick = r.u(32);
  const timeScale = r.u(32);
  if (unitsInTick === 0 || timeScale === 0) return null;
  // One frame = two ticks (E.2.1: a tick is a field period).
  return roundRate(timeScale / (2 * unitsInTick));
}

/** Rates to 3 decimals (29.97, 23.976): enough to tell NTSC from PAL rates, stable across samples. */
export function roundRate(fps: number): number {
  return Math.round(fps * 1000) / 1000;
}
