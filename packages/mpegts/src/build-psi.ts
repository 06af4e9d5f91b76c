// Builds PAT and PMT sections and single-packet carriers (ISO/IEC 13818-1 §2.4.4.3, §2.4.4.8) with the
// CRC_32 of Annex A.
import {
  PAT_PID,
  SYNC_BYTE,
  TABLE_ID_PAT,
  TABLE_ID_PMT,
  TS_HEADER_SIZE,
  TS_MAX_PAYLOAD,
  TS_PACKET_SIZE,
} from './constants.js';
import { crc32Mpeg2 } from './crc32.js';
import { SECTION_CRC_SIZE, SECTION_HEADER_SIZE } from './psi.js';

/** Options of a one-program PAT. */
export interface PatSpec {
  readonly transportStreamId?: number;
  readonly version?: number;
  readonly programs: readonly { readonly programNumber: number; readonly pmtPid: number }[];
}

/** One elementary stream entry of a PMT to build. */
export interface PmtStreamSpec {
  readonly streamType: number;
  readonly pid: number;
  /** Raw ES_info descriptor bytes. */
  readonly descriptors?: Uint8Array;
}

/** Options of a PMT. */
export interface PmtSpec {
  readonly programNumber: number;
  readonly version?: number;
  readonly pcrPid: number;
  readonly streams: readonly PmtStreamSpec[];
  /** Raw program_info descriptor bytes. */
  readonly programInfo?: Uint8Array;
}

const LONG_HEADER_SIZE = 5;
const POINTER_FIELD_SIZE = 1;
const STUFFING = 0xff;

// Writes table_id, section_length, id, version and section numbers; returns the offset after them.
function writeLongHeader(
  out: Uint8Array,
  tableId: number,
  id: number,
  version: number,
  size: number,
): number {
  const sectionLength = size - SECTION_HEADER_SIZE;
  out[0] = tableId;
  out[1] = 0xb0 | ((sectionLength >> 8) & 0x0f); // section_syntax_indicator=1, '0', reserved '11'
  out[2] = sectionLength & 0xff;
  out[3] = (id >> 8) & 0xff;
  out[4] = id & 0xff;
  out[5] = 0xc1 | ((version & 0x1f) << 1); // reserved '11', version, current_next_indicator=1
  out[6] = 0; // section_number
  out[7] = 0; // last_section_number
  return SECTION_HEADER_SIZE + LONG_HEADER_SIZE;
}

function writeCrc(out: Uint8Array): void {
  const end = out.length - SECTION_CRC_SIZE;
  const crc = crc32Mpeg2(out, 0, end);
  out[end] = crc >>> 24;
  out[end + 1] = (crc >>> 16) & 0xff;
  out[end + 2] = (crc >>> 8) & 0xff;
  out[end + 3] = crc & 0xff;
}

/** Builds a complete program_association_section, CRC included. */
export function buildPatSection(spec: PatSpec): Uint8Array {
  const size = SECTION_HEADER_SIZE + LONG_HEADER_SIZE + spec.programs.length * 4 + SECTION_CRC_SIZE;
  const out = new Uint8Array(size);
  let p = writeLongHeader(out, TABLE_ID_PAT, spec.transportStreamId ?? 1, spec.version ?? 0, size);
  for (const prog of spec.programs) {
    out[p++] = (prog.programNumber >> 8) & 0xff;
    out[p++] = prog.programNumber & 0xff;
    out[p++] = 0xe0 | ((prog.pmtPid >> 8) & 0x1f); // reserved '111'
    out[p++] = prog.pmtPid & 0xff;
  }
  writeCrc(out);
  return out;
}

/** Builds a complete TS_program_map_section, CRC included. */
export function buildPmtSection(spec: PmtSpec): Uint8Array {
  const info = spec.programInfo ?? new Uint8Array(0);
  let loopSize = 0;
  for (const s of spec.streams) loopSize += 5 + (s.descriptors?.length ?? 0);
  const size = SECTION_HEADER_SIZE + LONG_HEADER_SIZE + 4 + info.length + loopSize + SECTION_CRC_SIZE;
  const out = new Uint8Array(size);
  let p = writeLongHeader(out, TABLE_ID_PMT, spec.programNumber, spec.version ?? 0, size);
  out[p++] = 0xe0 | ((spec.pcrPid >> 8) & 0x1f);
  out[p++] = spec.pcrPid & 0xff;
  out[p++] = 0xf0 | ((info.length >> 8) & 0x0f);
  out[p++] = info.length & 0xff;
  out.set(info, p);
  p += info.length;
  for (const s of spec.streams) {
    const d = s.descriptors ?? new Uint8Array(0);
    out[p++] = s.streamType & 0xff;
    out[p++] = 0xe0 | ((s.pid >> 8) & 0x1f);
    out[p++] = s.pid & 0xff;
    out[p++] = 0xf0 | ((d.length >> 8) & 0x0f);
    out[p++] = d.length & 0xff;
    out.set(d, p);
    p += d.length;
  }
  writeCrc(out);
  return out;
}

/**
 * Wraps a section that fits one packet (<= 183 bytes) into a 188-byte packet: pusi set, pointer_field 0,
 * 0xFF stuffing after the section. Returns null when the section does not fit.
 */
export function buildSectionPacket(pid: number, section: Uint8Array, cc = 0): Uint8Array | null {
  if (section.length + POINTER_FIELD_SIZE > TS_MAX_PAYLOAD) return null;
  const out = new Uint8Array(TS_PACKET_SIZE).fill(STUFFING);
  out[0] = SYNC_BYTE;
  out[1] = 0x40 | ((pid >> 8) & 0x1f); // payload_unit_start_indicator
  out[2] = pid & 0xff;
  out[3] = 0x10 | (cc & 0x0f); // payload only
  out[TS_HEADER_SIZE] = 0; // pointer_field
  out.set(section, TS_HEADER_SIZE + POINTER_FIELD_SIZE);
  return out;
}

/** A PAT in one packet on PID 0 (null when it does not fit one packet). */
export function buildPatPacket(spec: PatSpec, cc = 0): Uint8Array | null {
  return buildSectionPacket(PAT_PID, buildPatSection(spec), cc);
}

/** A PMT in one packet on `pmtPid` (null when it does not fit one packet). */
export function buildPmtPacket(pmtPid: number, spec: PmtSpec, cc = 0): Uint8Array | null {
  return buildSectionPacket(pmtPid, buildPmtSection(spec), cc);
}
