// Packet header accessors (ISO/IEC 13818-1 §2.4.3.2). Free functions over (data, offset) so the hot path
// reads numbers without allocating; parsePacketHeader() builds an object for convenience.
import { SYNC_BYTE, TS_HEADER_SIZE, TS_PACKET_SIZE } from './constants.js';
import type { PacketHeader } from './types.js';

/** True when a whole packet at `off` fits in `data` and starts with the sync byte. */
export function isPacketAt(data: Uint8Array, off: number): boolean {
  return off >= 0 && off + TS_PACKET_SIZE <= data.length && data[off] === SYNC_BYTE;
}

/** 13-bit PID of the packet at `off`. */
export function readPid(data: Uint8Array, off: number): number {
  return ((data[off + 1]! & 0x1f) << 8) | data[off + 2]!;
}

/** payload_unit_start_indicator. */
export function readPusi(data: Uint8Array, off: number): boolean {
  return (data[off + 1]! & 0x40) !== 0;
}

/** transport_error_indicator. */
export function readTei(data: Uint8Array, off: number): boolean {
  return (data[off + 1]! & 0x80) !== 0;
}

/** transport_scrambling_control (2 bits). */
export function readScrambling(data: Uint8Array, off: number): number {
  return (data[off + 3]! >> 6) & 0x03;
}

/** adaptation_field_control (2 bits). */
export function readAfc(data: Uint8Array, off: number): number {
  return (data[off + 3]! >> 4) & 0x03;
}

/** continuity_counter (4 bits). */
export function readCc(data: Uint8Array, off: number): number {
  return data[off + 3]! & 0x0f;
}

/** True when the packet carries payload bytes (afc 01 or 11). */
export function hasPayload(data: Uint8Array, off: number): boolean {
  return (data[off + 3]! & 0x10) !== 0;
}

/** True when the packet carries an adaptation field (afc 10 or 11). */
export function hasAdaptationField(data: Uint8Array, off: number): boolean {
  return (data[off + 3]! & 0x20) !== 0;
}

/**
 * Offset of the first payload byte of the packet at `off`, or -1 when it has no payload or the adaptation
 * field length overruns the packet.
 */
export function payloadOffset(data: Uint8Array, off: number): number {
  const b3 = data[off + 3]!;
  if ((b3 & 0x10) === 0) return -1;
  let p = off + TS_HEADER_SIZE;
  if ((b3 & 0x20) !== 0) p += 1 + data[p]!;
  // §2.4.3.5: with payload present the adaptation field is at most 182 bytes.
  return p < off + TS_PACKET_SIZE ? p : -1;
}

/** Parses the fixed header of the packet at `off` (which must hold 4 bytes). */
export function parsePacketHeader(data: Uint8Array, off = 0): PacketHeader {
  const b1 = data[off + 1]!;
  const b3 = data[off + 3]!;
  const afc = (b3 >> 4) & 0x03;
  return {
    pid: ((b1 & 0x1f) << 8) | data[off + 2]!,
    pusi: (b1 & 0x40) !== 0,
    tei: (b1 & 0x80) !== 0,
    priority: (b1 & 0x20) !== 0,
    scrambling: (b3 >> 6) & 0x03,
    afc,
    cc: b3 & 0x0f,
    hasAdaptation: (afc & 0b10) !== 0,
    hasPayload: (afc & 0b01) !== 0,
  };
}
