// PCR and PTS/DTS field coding and wrap-aware arithmetic (ISO/IEC 13818-1 §2.4.3.5, §2.4.3.7).
// Values are plain numbers: a 33-bit base times 300 stays far below 2^53.
import { PCR_WRAP, TIMESTAMP_WRAP } from './constants.js';

const TWO_POW_30 = 2 ** 30;
const TWO_POW_25 = 2 ** 25;
const HALF_TIMESTAMP_WRAP = TIMESTAMP_WRAP / 2;
const HALF_PCR_WRAP = PCR_WRAP / 2;
const PCR_BASE_MULTIPLIER = 300;

/** Reads the 6-byte PCR field at `at`: 33-bit base (90 kHz) * 300 + 9-bit extension = 27 MHz units. */
export function decodePcr(data: Uint8Array, at: number): number {
  const b4 = data[at + 4]!;
  // base[32..25] in byte 0, the rest fits a 32-bit int.
  const base =
    data[at]! * TWO_POW_25 +
    ((data[at + 1]! << 17) | (data[at + 2]! << 9) | (data[at + 3]! << 1) | (b4 >> 7));
  const ext = ((b4 & 0x01) << 8) | data[at + 5]!;
  return base * PCR_BASE_MULTIPLIER + ext;
}

/** Writes `pcr` (27 MHz units, reduced mod 2^33*300) as a 6-byte PCR field at `at`; 6 reserved bits = 1. */
export function encodePcr(data: Uint8Array, at: number, pcr: number): void {
  const v = ((pcr % PCR_WRAP) + PCR_WRAP) % PCR_WRAP;
  const base = Math.floor(v / PCR_BASE_MULTIPLIER);
  const ext = v - base * PCR_BASE_MULTIPLIER;
  const hi = Math.floor(base / TWO_POW_25); // base bits 32..25
  const lo = base - hi * TWO_POW_25; // base bits 24..0
  data[at] = hi;
  data[at + 1] = (lo >>> 17) & 0xff;
  data[at + 2] = (lo >>> 9) & 0xff;
  data[at + 3] = (lo >>> 1) & 0xff;
  data[at + 4] = ((lo & 0x01) << 7) | 0x7e | ((ext >> 8) & 0x01);
  data[at + 5] = ext & 0xff;
}

/** Reads a 5-byte PTS/DTS field at `at` (33 bits with marker bits, §2.4.3.7). */
export function decodeTimestamp(data: Uint8Array, at: number): number {
  const top = (data[at]! >> 1) & 0x07; // bits 32..30
  const rest =
    (data[at + 1]! << 22) | ((data[at + 2]! >> 1) << 15) | (data[at + 3]! << 7) | (data[at + 4]! >> 1);
  return top * TWO_POW_30 + rest;
}

/**
 * Writes a 5-byte PTS/DTS field at `at`. `prefix` is the 4-bit code in front of the value ('0010' PTS only,
 * '0011' PTS of a PTS+DTS pair, '0001' DTS); marker bits are set.
 */
export function encodeTimestamp(data: Uint8Array, at: number, prefix: number, ts: number): void {
  const v = ((ts % TIMESTAMP_WRAP) + TIMESTAMP_WRAP) % TIMESTAMP_WRAP;
  const top = Math.floor(v / TWO_POW_30);
  const rest = v - top * TWO_POW_30;
  data[at] = ((prefix & 0x0f) << 4) | (top << 1) | 0x01;
  data[at + 1] = (rest >>> 22) & 0xff;
  data[at + 2] = (((rest >>> 15) & 0x7f) << 1) | 0x01;
  data[at + 3] = (rest >>> 7) & 0xff;
  data[at + 4] = ((rest & 0x7f) << 1) | 0x01;
}

/** (ts + delta) mod 2^33, for 90 kHz PTS/DTS values. */
export function addTimestamp(ts: number, delta: number): number {
  return (((ts + delta) % TIMESTAMP_WRAP) + TIMESTAMP_WRAP) % TIMESTAMP_WRAP;
}

/** Signed difference a - b of two 90 kHz timestamps, assuming they are less than 2^32 apart (wrap-aware). */
export function timestampDiff(a: number, b: number): number {
  let d = (a - b) % TIMESTAMP_WRAP;
  if (d >= HALF_TIMESTAMP_WRAP) d -= TIMESTAMP_WRAP;
  else if (d < -HALF_TIMESTAMP_WRAP) d += TIMESTAMP_WRAP;
  return d;
}

/** (pcr + delta) mod 2^33*300, for 27 MHz PCR values. */
export function addPcr(pcr: number, delta: number): number {
  return (((pcr + delta) % PCR_WRAP) + PCR_WRAP) % PCR_WRAP;
}

/** Signed difference a - b of two 27 MHz PCR values (wrap-aware). */
export function pcrDiff(a: number, b: number): number {
  let d = (a - b) % PCR_WRAP;
  if (d >= HALF_PCR_WRAP) d -= PCR_WRAP;
  else if (d < -HALF_PCR_WRAP) d += PCR_WRAP;
  return d;
}
