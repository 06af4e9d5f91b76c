// The overwrite rule, shared by the byte reader and the segment index.
import { H_RESERVE_PACKETS_LO, TS_PACKET_SIZE } from './layout.js';
import type { RingMemory } from './memory.js';
import { fence, packetsLo } from './sync.js';

/**
 * True iff bytes from `from` on have not been (and are not being) overwritten:
 * from >= reserve - capacity. Plain reads of the region made before this call are ordered
 * before the reserve load by the fence, so "true" vouches for them.
 *
 * Uses the 32-bit packet-count mirror of the reserve cursor, compared in serial-number
 * arithmetic, so it allocates nothing. Exact while reserve - from < 2^32 packets (~807 GB),
 * i.e. unless the writer writes 807 GB between a reader's commit load and this check. A
 * `from` beyond the reserve cursor reads as a huge distance: not intact.
 */
export function isIntact(memory: RingMemory, from: number): boolean {
  fence();
  const reserveLo = Atomics.load(memory.h32, H_RESERVE_PACKETS_LO / 4);
  return (reserveLo - packetsLo(from)) >>> 0 <= memory.capacityPackets;
}

/** Physical byte offset of a cursor (a multiple of 188 below 2^53). */
export function physical(memory: RingMemory, cursor: number): number {
  // ToInt32 keeps the low 32 bits of the packet count, and 2^32 is a multiple of capacity
  return ((cursor / TS_PACKET_SIZE) & memory.mask) * TS_PACKET_SIZE;
}
