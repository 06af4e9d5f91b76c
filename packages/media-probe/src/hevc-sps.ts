/**
 * HEVC sequence parameter set (ITU-T H.265 §7.3.2.2) up to the conformance window: profile, tier, level
 * and the displayed size. The frame rate is taken from DTS spacing instead (the VUI sits behind the
 * short-term reference picture sets, which are not worth parsing here). Pure; never throws.
 */
import { HEVC_NAL_SPS, hevcNalType } from '@shardcast/mpegts';
import { BitOverrun, BitReader, unescapeRbsp } from './bit-reader.js';

const NAL_HEADER_BYTES = 2;
const MAX_SUB_LAYERS = 8;
// Bits of sub_layer_profile (88) and sub_layer_level_idc (8) in profile_tier_level (§7.3.3).
const SUB_LAYER_PROFILE_BITS = 88;
const SUB_LAYER_LEVEL_BITS = 8;
// general_progressive..general_reserved/inbld flags between the compatibility flags and the level.
const GENERAL_CONSTRAINT_BITS = 48;

export interface HevcSps {
  readonly profile: string;
  readonly level: string;
  readonly tier: 'Main' | 'High';
  readonly width: number;
  readonly height: number;
}

/** ffprobe's names (libavcodec `ff_hevc_profiles`). */
function profileName(idc: number): string {
  switch (idc) {
    case 1:
      return 'Main';
    case 2:
      return 'Main 10';
    case 3:
      return 'Main Still Picture';
    case 4:
      return 'Rext';
    default:
      return `profile ${idc}`;
  }
}

/** Parses the SPS NAL unit in data[start, end) (start = its first header byte). */
export function parseHevcSps(data: Uint8Array, start: number, end: number): HevcSps | null {
  if (end - start < 6 || hevcNalType(data[start]!) !== HEVC_NAL_SPS) return null;
  try {
    return readSps(new BitReader(unescapeRbsp(data, start + NAL_HEADER_BYTES, end)));
  } catch (err) {
    if (err instanceof BitOverrun) return null;
    throw err;
  }
}

function readSps(r: BitReader): HevcSps | null {
  r.skip(4); // sps_video_parameter_set_id
  const maxSubLayersMinus1 = r.u(3);
  r.skip(1); // sps_temporal_id_nesting_flag
  // profile_tier_level(1, maxSubLayersMinus1), §7.3.3
  r.skip(2); // general_profile_space
  const highTier = r.flag();
  const profileIdc = r.u(5);
  r.skip(32); // general_profile_compatibility_flag[32]
  r.skip(GENERAL_CONSTRAINT_BITS);
  const levelIdc = r.u(8);
  const profilePresent: boolean[] = [];
  const levelPresent: boolean[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.flag());
    levelPresent.push(r.flag());
  }
  if (maxSubLayersMinus1 > 0) r.skip(2 * (MAX_SUB_LAYERS - maxSubLayersMinus1)); // reserved_zero_2bits
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skip(SUB_LAYER_PROFILE_BITS);
    if (levelPresent[i]) r.skip(SUB_LAYER_LEVEL_BITS);
  }
  r.ue(); // sps_seq_parameter_set_id
  const chromaFormatIdc = r.ue();
  if (chromaFormatIdc > 3) return null;
  const separateColourPlane = chromaFormatIdc === 3 ? r.flag() : false;
  let width = r.ue();
  let height = r.ue();
  if (r.flag()) {
    // conformance_window offsets count chroma samples (Table 6-1).
    const chroma = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chroma === 1 || chroma === 2 ? 2 : 1;
    const subHeightC = chroma === 1 ? 2 : 1;
    const [left, right, top, bottom] = [r.ue(), r.ue(), r.ue(), r.ue()];
    width -= subWidthC * (left + right);
    height -= subHeightC * (top + bottom);
  }
  if (width <= 0 || height <= 0) return null;
  return {
    profile: profileName(profileIdc),
    // general_level_idc = 30 × level (§A.4.1): 93 → 3.1.
    level: (levelIdc / 30).toFixed(1),
    tier: highTier ? 'High' : 'Main',
    width,
    height,
  };
}
