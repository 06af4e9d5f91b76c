/**
 * @shardcast/ring: the per-stream ring in SharedArrayBuffers (docs/architecture.md).
 *
 * ```
 *  logical stream: cursors count bytes ever written (multiples of 188), never wrap
 *
 *                 reserve - capacity                commit         reserve
 *   ... lost ...  |<============ readable ==========>|~~ writer ~~~|
 *                 |                                  |  copying    |
 *   the copy of [commit, reserve) lands on the physical slots of
 *   [commit - capacity, reserve - capacity): those bytes are lost the moment reserve moves
 *
 *  physical buffer: capacity = 188 * 2^k bytes, packet n sits at (n & (2^k - 1)) * 188
 *   +--------+--------+--------+-- ... --+--------+
 *   | pkt 0  | pkt 1  | pkt 2  |         | pkt N-1|   a range crossing the end comes back
 *   +--------+--------+--------+-- ... --+--------+   as two views split at that boundary
 * ```
 *
 * - Empty: commit = 0. Full: commit >= capacity, and it stays full from then on.
 * - Overwrite policy: the single writer never waits for readers. To write [c, e) it stores
 *   reserve = e, copies, then stores commit = e (a write longer than the capacity keeps only
 *   its tail). Readers never get bytes at or beyond commit.
 * - Seqlock rule: after consuming [a, b) a reader calls `intact(a)`, true iff
 *   a >= reserve - capacity; false means the consumed bytes may be torn.
 * - Records (RAP, latest PSI, each segment slot) have per-record seqlocks: odd version while the
 *   writer fills them; readers retry until a copy sits between two equal even versions.
 */

export { RING_STATES, RingControl } from './control.js';
export { capacityForBudget, createRing } from './create.js';
export {
  DEFAULT_SEGMENT_SLOTS,
  MAX_CAPACITY_PACKETS,
  MIN_CAPACITY_PACKETS,
  PSI_MAX_PACKETS,
  READER_SLOTS,
  TS_PACKET_SIZE,
} from './layout.js';
export { RingReader } from './reader.js';
export type {
  GenerationInfo,
  RandomAccessPoint,
  RingHandles,
  RingOptions,
  RingRegions,
  RingState,
  SegmentBounds,
  SegmentEntry,
} from './types.js';
export { RingWriter } from './writer.js';
