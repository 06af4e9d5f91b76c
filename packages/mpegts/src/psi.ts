// PSI sections: PAT (ISO/IEC 13818-1 §2.4.4.3) and PMT (§2.4.4.8), with the pointer_field (§2.4.4.2)
// and CRC_32 (Annex A).
import { TABLE_ID_PAT, TABLE_ID_PMT, TS_PACKET_SIZE } from './constants.js';
import { crc32Mpeg2 } from './crc32.js';
import { payloadOffset, readPusi } from './packet.js';
import { classifyStream, findLanguage } from './stream-types.js';
import { type ElementaryStream, NO_VALUE, type Pat, type Pmt } from './types.js';

/** table_id + flags/section_length: the bytes before section_length starts counting. */
export const SECTION_HEADER_SIZE = 3;
/** Bytes of the CRC_32 at the end of every long-form section. */
export const SECTION_CRC_SIZE = 4;
/** Largest section_length of a PAT or PMT (§2.4.4.4, §2.4.4.9: first two bits '00'). */
export const MAX_SECTION_LENGTH = 1021;
/** Largest whole PAT/PMT section in bytes. */
export const MAX_SECTION_SIZE = SECTION_HEADER_SIZE + MAX_SECTION_LENGTH;

// Long-form header: transport_stream_id/program_number .. last_section_number.
const LONG_HEADER_SIZE = 5;
const PAT_ENTRY_SIZE = 4;
const PMT_FIXED_SIZE = 4; // reserved + PCR_PID, reserved + program_info_length
const ES_ENTRY_HEADER_SIZE = 5;

/** Total byte size (3 + section_length) of the section whose table_id is at `at`. */
export function sectionSize(data: Uint8Array, at: number): number {
  return SECTION_HEADER_SIZE + (((data[at + 1]! & 0x0f) << 8) | data[at + 2]!);
}

/** True when the CRC_32 of the section at data[start, end) checks (the CRC over all bytes is 0). */
export function verifySectionCrc(data: Uint8Array, start: number, end: number): boolean {
  return end - start > SECTION_CRC_SIZE && crc32Mpeg2(data, start, end) === 0;
}

/**
 * Offset of the table_id of the section that starts in the PSI packet at `off` (payload + pointer_field),
 * or -1 when the packet starts no section or the pointer overruns the packet.
 */
export function sectionStartInPacket(data: Uint8Array, off: number): number {
  if (!readPusi(data, off)) return NO_VALUE;
  const p = payloadOffset(data, off);
  if (p < 0) return NO_VALUE;
  const start = p + 1 + data[p]!;
  return start < off + TS_PACKET_SIZE ? start : NO_VALUE;
}

// Checks the long-form section framing shared by PAT and PMT; returns the section end or -1.
function checkLongSection(data: Uint8Array, at: number, end: number, tableId: number, crc: boolean): number {
  if (at + SECTION_HEADER_SIZE + LONG_HEADER_SIZE + SECTION_CRC_SIZE > end) return NO_VALUE;
  if (data[at] !== tableId) return NO_VALUE;
  if ((data[at + 1]! & 0x80) === 0) return NO_VALUE; // section_syntax_indicator must be 1
  const size = sectionSize(data, at);
  if (size - SECTION_HEADER_SIZE > MAX_SECTION_LENGTH) return NO_VALUE;
  if (size < SECTION_HEADER_SIZE + LONG_HEADER_SIZE + SECTION_CRC_SIZE) return NO_VALUE;
  const sectionEnd = at + size;
  if (sectionEnd > end) return NO_VALUE;
  if (crc && !verifySectionCrc(data, at, sectionEnd)) return NO_VALUE;
  // current_next_indicator = 0: the table is announced, not yet valid; callers act on current tables only.
  if ((data[at + 5]! & 0x01) === 0) return NO_VALUE;
  return sectionEnd;
}

/**
 * Parses a program_association_section whose table_id is at `at`. Returns null when the bytes are not a
 * current, complete PAT (or the CRC fails while `crc` is true).
 */
export function parsePatSection(data: Uint8Array, at = 0, end = data.length, crc = true): Pat | null {
  const sectionEnd = checkLongSection(data, at, end, TABLE_ID_PAT, crc);
  if (sectionEnd < 0) return null;
  const programs: { programNumber: number; pmtPid: number }[] = [];
  let networkPid = NO_VALUE;
  const loopEnd = sectionEnd - SECTION_CRC_SIZE;
  for (
    let p = at + SECTION_HEADER_SIZE + LONG_HEADER_SIZE;
    p + PAT_ENTRY_SIZE <= loopEnd;
    p += PAT_ENTRY_SIZE
  ) {
    const programNumber = (data[p]! << 8) | data[p + 1]!;
    const pid = ((data[p + 2]! & 0x1f) << 8) | data[p + 3]!;
    if (programNumber === 0) networkPid = pid;
    else programs.push({ programNumber, pmtPid: pid });
  }
  return {
    transportStreamId: (data[at + 3]! << 8) | data[at + 4]!,
    version: (data[at + 5]! >> 1) & 0x1f,
    programs,
    networkPid,
  };
}

/**
 * Parses a TS_program_map_section whose table_id is at `at`. Returns null when the bytes are not a current,
 * complete PMT (or the CRC fails while `crc` is true).
 */
export function parsePmtSection(data: Uint8Array, at = 0, end = data.length, crc = true): Pmt | null {
  const sectionEnd = checkLongSection(data, at, end, TABLE_ID_PMT, crc);
  if (sectionEnd < 0) return null;
  const fixed = at + SECTION_HEADER_SIZE + LONG_HEADER_SIZE;
  const loopEnd = sectionEnd - SECTION_CRC_SIZE;
  if (fixed + PMT_FIXED_SIZE > loopEnd) return null;
  const pcrPid = ((data[fixed]! & 0x1f) << 8) | data[fixed + 1]!;
  const programInfoLength = ((data[fixed + 2]! & 0x0f) << 8) | data[fixed + 3]!;
  let p = fixed + PMT_FIXED_SIZE + programInfoLength;
  if (p > loopEnd) return null;
  const streams: ElementaryStream[] = [];
  let video: ElementaryStream | null = null;
  let audio: ElementaryStream | null = null;
  while (p + ES_ENTRY_HEADER_SIZE <= loopEnd) {
    const streamType = data[p]!;
    const pid = ((data[p + 1]! & 0x1f) << 8) | data[p + 2]!;
    const esInfoLength = ((data[p + 3]! & 0x0f) << 8) | data[p + 4]!;
    const infoStart = p + ES_ENTRY_HEADER_SIZE;
    const infoEnd = infoStart + esInfoLength;
    if (infoEnd > loopEnd) return null;
    const cls = classifyStream(streamType, data, infoStart, infoEnd);
    const es: ElementaryStream = {
      pid,
      streamType,
      kind: cls.kind,
      codec: cls.codec,
      language: findLanguage(data, infoStart, infoEnd),
    };
    streams.push(es);
    if (video === null && es.kind === 'video') video = es;
    if (audio === null && es.kind === 'audio') audio = es;
    p = infoEnd;
  }
  return {
    programNumber: (data[at + 3]! << 8) | data[at + 4]!,
    version: (data[at + 5]! >> 1) & 0x1f,
    pcrPid,
    streams,
    video,
    audio,
  };
}

/** Parses a PAT carried whole in the single packet at `off` (the common case). */
export function parsePatPacket(data: Uint8Array, off = 0): Pat | null {
  const at = sectionStartInPacket(data, off);
  return at < 0 ? null : parsePatSection(data, at, off + TS_PACKET_SIZE);
}

/** Parses a PMT carried whole in the single packet at `off` (the common case). */
export function parsePmtPacket(data: Uint8Array, off = 0): Pmt | null {
  const at = sectionStartInPacket(data, off);
  return at < 0 ? null : parsePmtSection(data, at, off + TS_PACKET_SIZE);
}
