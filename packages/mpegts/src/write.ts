// Writing helpers: patch fields of existing packets in place and build null packets
// (ISO/IEC 13818-1 §2.4.3.2, §2.4.3.5, §2.4.3.7).
import { pcrFieldOffset } from './adaptation.js';
import { NULL_PID, SYNC_BYTE, TS_PACKET_SIZE } from './constants.js';
import { payloadOffset } from './packet.js';
import { parsePesHeader } from './pes.js';
import { encodePcr, encodeTimestamp } from './timestamps.js';
import { NO_VALUE } from './types.js';

/** '0010' prefix of a PTS alone, '0011' of a PTS followed by a DTS, '0001' of the DTS (§2.4.3.7). */
export const PTS_ONLY_PREFIX = 0b0010;
export const PTS_WITH_DTS_PREFIX = 0b0011;
export const DTS_PREFIX = 0b0001;
const NULL_PAYLOAD_FILL = 0xff;

/** Sets continuity_counter of the packet at `off`. */
export function setContinuityCounter(data: Uint8Array, off: number, cc: number): void {
  data[off + 3] = (data[off + 3]! & 0xf0) | (cc & 0x0f);
}

/** Rewrites the PCR (27 MHz units) of the packet at `off`. Returns false when the packet has no PCR. */
export function writePcr(data: Uint8Array, off: number, pcr: number): boolean {
  const at = pcrFieldOffset(data, off);
  if (at < 0) return false;
  encodePcr(data, at, pcr);
  return true;
}

/**
 * Rewrites PTS and DTS (90 kHz) of the PES header that starts the payload of the packet at `off`. Only
 * fields that exist are written: pass -1 to leave one alone. Returns false when the packet starts no PES
 * or a requested field is absent.
 */
export function writePesTimestamps(data: Uint8Array, off: number, pts: number, dts = NO_VALUE): boolean {
  const p = payloadOffset(data, off);
  if (p < 0) return false;
  const pes = parsePesHeader(data, p, off + TS_PACKET_SIZE);
  if (pes === null) return false;
  if ((pts >= 0 && pes.ptsOffset < 0) || (dts >= 0 && pes.dtsOffset < 0)) return false;
  if (pts >= 0)
    encodeTimestamp(data, pes.ptsOffset, pes.dtsOffset >= 0 ? PTS_WITH_DTS_PREFIX : PTS_ONLY_PREFIX, pts);
  if (dts >= 0) encodeTimestamp(data, pes.dtsOffset, DTS_PREFIX, dts);
  return true;
}

/** Writes one null packet (PID 0x1FFF, payload only, 0xFF fill) at `off`; null packets carry any CC. */
export function writeNullPacket(data: Uint8Array, off: number, cc = 0): void {
  data[off] = SYNC_BYTE;
  data[off + 1] = (NULL_PID >> 8) & 0x1f;
  data[off + 2] = NULL_PID & 0xff;
  data[off + 3] = 0x10 | (cc & 0x0f);
  data.fill(NULL_PAYLOAD_FILL, off + 4, off + TS_PACKET_SIZE);
}

/** A new buffer of `count` null packets. */
export function buildNullPackets(count = 1): Uint8Array {
  const out = new Uint8Array(count * TS_PACKET_SIZE);
  for (let i = 0; i < count; i++) writeNullPacket(out, i * TS_PACKET_SIZE);
  return out;
}
