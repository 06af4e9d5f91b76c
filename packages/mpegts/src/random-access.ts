// Random-access detection at a video PES start: the adaptation field's random_access_indicator
// (ISO/IEC 13818-1 §2.4.3.5) or a decoder refresh NAL unit / sequence header found in the same packet.
// Only the bytes of that one packet are scanned: cheap, and what a live ingest can know at once.
import { hasRandomAccessIndicator } from './adaptation.js';
import { TS_PACKET_SIZE } from './constants.js';
import { isH264Idr, isHevcIrap, scanNalUnits } from './nal.js';
import { payloadOffset, readPusi } from './packet.js';
import { parsePesHeader } from './pes.js';
import type { AudioCodec, VideoCodec } from './types.js';

// MPEG-2 video sequence_header_code (ISO/IEC 13818-2 §6.2.2.1): a decoder can start here.
const MPEG2_SEQUENCE_HEADER = 0xb3;

// True when the first unit header byte of some start code in data[start, end) passes `test`.
function anyUnitHeader(data: Uint8Array, start: number, end: number, test: (b: number) => boolean): boolean {
  return scanNalUnits(data, start, end, (s) => test(data[s]!));
}

const isMpeg2SequenceHeader = (b: number): boolean => b === MPEG2_SEQUENCE_HEADER;

/**
 * True when data[start, end) holds the start of an H.264 IDR slice. An access unit that opens with AUD,
 * SPS and PPS qualifies as long as its IDR slice begins inside the range.
 */
export function hasH264Idr(data: Uint8Array, start: number, end: number): boolean {
  return anyUnitHeader(data, start, end, isH264Idr);
}

/** True when data[start, end) holds the start of an HEVC IRAP picture (NAL types 16..23). */
export function hasHevcIrap(data: Uint8Array, start: number, end: number): boolean {
  return anyUnitHeader(data, start, end, isHevcIrap);
}

/** True when data[start, end) holds an MPEG-2 video sequence header. */
export function hasMpeg2SequenceHeader(data: Uint8Array, start: number, end: number): boolean {
  return anyUnitHeader(data, start, end, isMpeg2SequenceHeader);
}

/** Looks for a codec-specific random-access unit in elementary stream bytes data[start, end). */
export function hasRandomAccessUnit(
  codec: VideoCodec | AudioCodec | null,
  data: Uint8Array,
  start: number,
  end: number,
): boolean {
  switch (codec) {
    case 'h264':
      return hasH264Idr(data, start, end);
    case 'hevc':
      return hasHevcIrap(data, start, end);
    case 'mpeg2':
    case 'mpeg1':
      return hasMpeg2SequenceHeader(data, start, end);
    default:
      return false;
  }
}

/**
 * True when the packet at `off` starts a video PES (payload_unit_start_indicator) at which a decoder can
 * start: random_access_indicator set, or a codec refresh unit in the ES bytes of this packet.
 */
export function isRandomAccessPacket(
  data: Uint8Array,
  off: number,
  codec: VideoCodec | AudioCodec | null,
): boolean {
  if (!readPusi(data, off)) return false;
  if (hasRandomAccessIndicator(data, off)) return true;
  const p = payloadOffset(data, off);
  if (p < 0) return false;
  const end = off + TS_PACKET_SIZE;
  const pes = parsePesHeader(data, p, end);
  return pes !== null && hasRandomAccessUnit(codec, data, pes.payloadOffset, end);
}
