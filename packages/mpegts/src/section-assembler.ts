// Reassembles one PSI table section from the packets of one PID (ISO/IEC 13818-1 §2.4.4.1, §2.4.4.2):
// a section starts after the pointer_field of a packet with payload_unit_start_indicator and may continue
// over the following packets. Keeps raw copies of the carrying packets so they can be replayed as-is.
import { TS_PACKET_SIZE } from './constants.js';
import { payloadOffset, readPusi } from './packet.js';
import { MAX_SECTION_SIZE, SECTION_HEADER_SIZE, sectionSize } from './psi.js';

/** A PAT/PMT section of at most 1024 bytes needs at most 6 packets of 184 bytes (pointer included). */
export const MAX_SECTION_PACKETS = 6;
// table_id 0xFF marks stuffing: no further section in this packet (§2.4.4.1).
const STUFFING_TABLE_ID = 0xff;

/** Receives complete sections and framing errors. Views are valid only during the call. */
export interface SectionHandler {
  onSection(section: Uint8Array, packets: Uint8Array): void;
  onSectionError(detail: string): void;
}

/** Section reassembly for one PID with fixed buffers: no allocation per packet. */
export class SectionAssembler {
  readonly #section = new Uint8Array(MAX_SECTION_SIZE);
  readonly #packets = new Uint8Array(MAX_SECTION_PACKETS * TS_PACKET_SIZE);
  readonly #handler: SectionHandler;
  #active = false;
  #length = 0;
  // Whole section size once its header has arrived, else 0.
  #expected = 0;
  #packetCount = 0;

  constructor(handler: SectionHandler) {
    this.#handler = handler;
  }

  /** Feeds the PSI packet at data[off, off + 188). */
  push(data: Uint8Array, off: number): void {
    const p = payloadOffset(data, off);
    if (p < 0) return;
    const end = off + TS_PACKET_SIZE;
    if (!readPusi(data, off)) {
      if (this.#active && this.#record(data, off)) this.#append(data, p, end);
      return;
    }
    const pointer = data[p]!;
    const start = p + 1 + pointer;
    if (start > end) {
      this.#active = false;
      this.#handler.onSectionError(`pointer_field ${pointer} overruns the packet`);
      return;
    }
    if (this.#active) {
      // Bytes before the pointed-to start finish the previous section (§2.4.4.2).
      if (this.#record(data, off)) this.#append(data, p + 1, start);
      if (this.#active) {
        this.#active = false;
        this.#handler.onSectionError('section cut short by the next section start');
      }
    }
    if (start >= end || data[start] === STUFFING_TABLE_ID) return;
    this.#active = true;
    this.#length = 0;
    this.#expected = 0;
    this.#packetCount = 0;
    if (this.#record(data, off)) this.#append(data, start, end);
  }

  /** Drops a partly assembled section (after lost packets). */
  reset(): void {
    this.#active = false;
  }

  #record(data: Uint8Array, off: number): boolean {
    if (this.#packetCount >= MAX_SECTION_PACKETS) {
      this.#active = false;
      this.#handler.onSectionError(`section spans more than ${MAX_SECTION_PACKETS} packets`);
      return false;
    }
    this.#packets.set(data.subarray(off, off + TS_PACKET_SIZE), this.#packetCount * TS_PACKET_SIZE);
    this.#packetCount++;
    return true;
  }

  #append(data: Uint8Array, from: number, to: number): void {
    const n = Math.min(to - from, MAX_SECTION_SIZE - this.#length);
    if (n <= 0) return;
    this.#section.set(data.subarray(from, from + n), this.#length);
    this.#length += n;
    if (this.#expected === 0 && this.#length >= SECTION_HEADER_SIZE) {
      this.#expected = sectionSize(this.#section, 0);
      if (this.#expected > MAX_SECTION_SIZE) {
        this.#active = false;
        this.#handler.onSectionError(`section_length ${this.#expected - SECTION_HEADER_SIZE} is too large`);
        return;
      }
    }
    if (this.#expected > 0 && this.#length >= this.#expected) {
      this.#active = false;
      this.#handler.onSection(
        this.#section.subarray(0, this.#expected),
        this.#packets.subarray(0, this.#packetCount * TS_PACKET_SIZE),
      );
    }
  }
}
