// Annex B elementary stream helpers shared by random-access detection and the media probe: one start-code
// scanner and the NAL header fields both need (ITU-T H.264 §7.3.1 / Table 7-1, H.265 §7.3.1.2 /
// Table 7-1). MPEG-2 video start codes (ISO/IEC 13818-2 §6.2) use the same 00 00 01 prefix, so the
// scanner serves them too.

/** H.264 nal_unit_type of an IDR slice. */
export const H264_NAL_IDR = 5;
/** H.264 nal_unit_type of a sequence parameter set. */
export const H264_NAL_SPS = 7;
/** HEVC nal_unit_type of a sequence parameter set. */
export const HEVC_NAL_SPS = 33;
// H.264 keeps the type in the low 5 bits of the one header byte.
const H264_NAL_TYPE_MASK = 0x1f;
// HEVC keeps it in bits 1..6 of the first of two header bytes.
const HEVC_NAL_TYPE_MASK = 0x3f;
// HEVC IRAP nal_unit_type range BLA_W_LP..RSV_IRAP_VCL23.
const HEVC_NAL_IRAP_FIRST = 16;
const HEVC_NAL_IRAP_LAST = 23;

export function h264NalType(header: number): number {
  return header & H264_NAL_TYPE_MASK;
}

export function hevcNalType(header: number): number {
  return (header >> 1) & HEVC_NAL_TYPE_MASK;
}

export function isH264Idr(header: number): boolean {
  return h264NalType(header) === H264_NAL_IDR;
}

export function isH264Sps(header: number): boolean {
  return h264NalType(header) === H264_NAL_SPS;
}

/** True for an HEVC intra random access point picture (BLA, IDR, CRA and the reserved IRAP types). */
export function isHevcIrap(header: number): boolean {
  const t = hevcNalType(header);
  return t >= HEVC_NAL_IRAP_FIRST && t <= HEVC_NAL_IRAP_LAST;
}

/**
 * Calls `visit(start, end)` for each unit after a 00 00 01 start code in data[from, to): `start` is its
 * first header byte, `end` is where the next start code begins (trailing zero bytes, such as the first
 * byte of a 4-byte start code, are not part of it) or `to`. Stops as soon as `visit` returns true and
 * says whether it did. Empty units are skipped.
 */
export function scanNalUnits(
  data: Uint8Array,
  from: number,
  to: number,
  visit: (start: number, end: number) => boolean,
): boolean {
  let unitStart = -1;
  // i indexes the third byte of a candidate 00 00 01.
  for (let i = from + 2; i < to; i++) {
    if (data[i] !== 0x01) {
      // Fast skip: a byte > 1 cannot be part of a start code prefix ending within the next two bytes.
      if (data[i]! > 0x01) i += 2;
      continue;
    }
    if (data[i - 1] !== 0x00 || data[i - 2] !== 0x00) continue;
    if (unitStart >= 0) {
      let end = i - 2;
      while (end > unitStart && data[end - 1] === 0x00) end--;
      if (end > unitStart && visit(unitStart, end)) return true;
    }
    unitStart = i + 1;
  }
  return unitStart >= 0 && unitStart < to && visit(unitStart, to);
}
