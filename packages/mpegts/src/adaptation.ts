// Adaptation field (ISO/IEC 13818-1 §2.4.3.4, §2.4.3.5).
import { TS_HEADER_SIZE, TS_PACKET_SIZE } from './constants.js';
import { decodePcr } from './timestamps.js';
import { type AdaptationField, NO_VALUE } from './types.js';

const FLAG_DISCONTINUITY = 0x80;
const FLAG_RANDOM_ACCESS = 0x40;
const FLAG_ES_PRIORITY = 0x20;
const FLAG_PCR = 0x10;
const FLAG_OPCR = 0x08;
const PCR_FIELD_SIZE = 6;
// Largest adaptation_field_length: the whole packet after the header and the length byte.
const MAX_ADAPTATION_LENGTH = TS_PACKET_SIZE - TS_HEADER_SIZE - 1;

/** adaptation_field_length of the packet at `off`, or -1 without adaptation field or when it overruns. */
export function adaptationFieldLength(data: Uint8Array, off: number): number {
  if ((data[off + 3]! & 0x20) === 0) return NO_VALUE;
  const len = data[off + TS_HEADER_SIZE]!;
  return len <= MAX_ADAPTATION_LENGTH ? len : NO_VALUE;
}

/** The adaptation field flags byte, or 0 when the packet has no (or an empty) adaptation field. */
export function adaptationFlags(data: Uint8Array, off: number): number {
  const len = adaptationFieldLength(data, off);
  return len > 0 ? data[off + TS_HEADER_SIZE + 1]! : 0;
}

/** discontinuity_indicator. */
export function hasDiscontinuity(data: Uint8Array, off: number): boolean {
  return (adaptationFlags(data, off) & FLAG_DISCONTINUITY) !== 0;
}

/** random_access_indicator. */
export function hasRandomAccessIndicator(data: Uint8Array, off: number): boolean {
  return (adaptationFlags(data, off) & FLAG_RANDOM_ACCESS) !== 0;
}

/** Offset of the 6-byte PCR field of the packet at `off`, or -1 when it carries no PCR. */
export function pcrFieldOffset(data: Uint8Array, off: number): number {
  const len = adaptationFieldLength(data, off);
  // The flags byte plus the PCR field must fit inside adaptation_field_length.
  if (len < 1 + PCR_FIELD_SIZE) return NO_VALUE;
  if ((data[off + TS_HEADER_SIZE + 1]! & FLAG_PCR) === 0) return NO_VALUE;
  return off + TS_HEADER_SIZE + 2;
}

/** PCR of the packet at `off` in 27 MHz units, or -1. */
export function readPcr(data: Uint8Array, off: number): number {
  const at = pcrFieldOffset(data, off);
  return at < 0 ? NO_VALUE : decodePcr(data, at);
}

/** Parses the adaptation field of the packet at `off`, or returns null when there is none. */
export function parseAdaptationField(data: Uint8Array, off: number): AdaptationField | null {
  const len = adaptationFieldLength(data, off);
  if (len < 0) return null;
  const flags = len > 0 ? data[off + TS_HEADER_SIZE + 1]! : 0;
  let at = off + TS_HEADER_SIZE + 2;
  let pcr = NO_VALUE;
  let opcr = NO_VALUE;
  const end = off + TS_HEADER_SIZE + 1 + len;
  if ((flags & FLAG_PCR) !== 0 && at + PCR_FIELD_SIZE <= end) {
    pcr = decodePcr(data, at);
    at += PCR_FIELD_SIZE;
  }
  if ((flags & FLAG_OPCR) !== 0 && at + PCR_FIELD_SIZE <= end) {
    opcr = decodePcr(data, at);
  }
  return {
    length: len,
    discontinuity: (flags & FLAG_DISCONTINUITY) !== 0,
    randomAccess: (flags & FLAG_RANDOM_ACCESS) !== 0,
    esPriority: (flags & FLAG_ES_PRIORITY) !== 0,
    pcr,
    opcr,
  };
}
