// Any thread's view of a ring: bytes, RAP/PSI records, segment index. Lock-free; never blocks
// or slows the writer.
//
// Socket-writer contract (the per-shard client pump), per tick and stream:
//   commit = reader.commitCursor            once per stream per tick (loads a BigInt)
//   for each client at cursor c < commit:
//     if (!reader.intact(c)) skip forward   lapped before sending: jump to the newest RAP, count it
//     r = reader.regions(c, commit)         1 or 2 views, cached: no allocation at the live edge
//     write r.first (and r.second)          the socket copies the bytes out
//     if (!reader.intact(c)) close client   lapped DURING the send: the sent bytes may be corrupt;
//                                           close the client and count it
//     c = commit
// `copy()` packages the same protocol for a destination buffer (HLS segments, analysis jobs).
import { RingControl } from './control.js';
import { isIntact, physical } from './lap.js';
import {
  H_COMMIT,
  H_PSI,
  H_PSI_COUNT,
  H_PSI_SEQ,
  H_RAP_CURSOR,
  H_RAP_GENERATION,
  H_RAP_PSI,
  H_RAP_PSI_COUNT,
  H_RAP_SEQ,
  H_RESERVE,
  TS_PACKET_SIZE,
} from './layout.js';
import { openMemory, type RingMemory } from './memory.js';
import { storeProgress } from './progress.js';
import { loadPsi } from './psi.js';
import { indexVersion, readSegment, segmentBounds } from './segments.js';
import { assertCursor, seqlockRead } from './sync.js';
import type { RandomAccessPoint, RingHandles, RingRegions, SegmentBounds, SegmentEntry } from './types.js';

// Direct-mapped cache of subarray views keyed by (physical offset, length). Clients at the live
// edge ask for the same range within a tick, so they share views instead of allocating.
const VIEW_CACHE_SIZE = 16;
const EMPTY = new Uint8Array(0);

/** Reader of one ring, one per ring per thread (it caches views and the last commit cursor). */
export class RingReader {
  /** Lease and status words of the same ring. */
  readonly control: RingControl;
  readonly #m: RingMemory;
  #knownCommit = 0;
  readonly #regions: RingRegions = { count: 0, first: EMPTY, second: EMPTY };
  readonly #cacheAt = new Int32Array(VIEW_CACHE_SIZE).fill(-1);
  readonly #cacheLength = new Int32Array(VIEW_CACHE_SIZE);
  readonly #cacheView: Uint8Array[] = new Array<Uint8Array>(VIEW_CACHE_SIZE).fill(EMPTY);

  constructor(handles: RingHandles) {
    this.#m = openMemory(handles);
    this.control = new RingControl(handles);
  }

  get capacityPackets(): number {
    return this.#m.capacityPackets;
  }

  get capacityBytes(): number {
    return this.#m.capacityBytes;
  }

  /** Bytes readers may read: [oldestSafe(), commitCursor). Loads a BigInt: once per tick, not per client. */
  get commitCursor(): number {
    return this.#loadCommit();
  }

  /** End of the region the writer may be overwriting right now (≥ commitCursor). */
  get reserveCursor(): number {
    return Number(Atomics.load(this.#m.h64, H_RESERVE / 8));
  }

  /**
   * Oldest cursor that is safe to start reading with `marginBytes` (rounded up to whole
   * packets) of headroom before the writer laps it; never beyond the commit cursor.
   */
  oldestSafe(marginBytes = 0): number {
    const margin = Math.ceil(Math.max(0, marginBytes) / TS_PACKET_SIZE) * TS_PACKET_SIZE;
    const floor = Math.max(0, this.reserveCursor - this.#m.capacityBytes + margin);
    return Math.min(floor, this.commitCursor);
  }

  /**
   * Reports, for reader thread `slot` (0..63, e.g. the shard id), the cursor of its slowest client that is
   * still reading. The writer uses the least advanced fresh report to pace an upstream that runs ahead of
   * real time.
   */
  reportProgress(slot: number, cursor: number, nowMs: number): void {
    storeProgress(this.#m, slot, cursor, nowMs);
  }

  /** Seqlock check: bytes from `from` on are not overwritten (call after consuming them). No allocation. */
  intact(from: number): boolean {
    return isIntact(this.#m, from);
  }

  /**
   * Views of [from, to): one, or two when the range wraps the physical end (split on a packet
   * boundary). Returns this reader's shared RingRegions object, overwritten by the next call.
   * Throws RangeError unless from ≤ to ≤ commit, both are cursors and to - from ≤ capacity.
   * Does not check for laps: call intact(from) before and after consuming.
   */
  regions(from: number, to: number): RingRegions {
    this.#checkRange(from, to);
    const m = this.#m;
    const out = this.#regions;
    const length = to - from;
    if (length === 0) {
      out.count = 0;
      out.first = EMPTY;
      out.second = EMPTY;
      return out;
    }
    const at = physical(m, from);
    const head = Math.min(length, m.capacityBytes - at);
    out.first = this.#view(at, head);
    if (head === length) {
      out.count = 1;
      out.second = EMPTY;
    } else {
      out.count = 2;
      out.second = this.#view(0, length - head);
    }
    return out;
  }

  /**
   * Copies [from, to) into `dst` at `dstOffset` and returns intact(from) checked after the
   * copy: false means the copy may be torn and must be discarded.
   */
  copy(from: number, to: number, dst: Uint8Array, dstOffset = 0): boolean {
    if (!Number.isSafeInteger(dstOffset) || dstOffset < 0 || dstOffset + (to - from) > dst.length) {
      throw new RangeError(`copy() needs ${to - from} bytes of room in dst at offset ${dstOffset}.`);
    }
    const r = this.regions(from, to);
    if (r.count > 0) dst.set(r.first, dstOffset);
    if (r.count > 1) dst.set(r.second, dstOffset + r.first.length);
    return this.intact(from);
  }

  /** Newest RAP with its PSI copy, or null before the first mark. Check intact(cursor) before use. */
  readRandomAccess(): RandomAccessPoint | null {
    const { h32, hf64, h8 } = this.#m;
    const point = seqlockRead(h32, H_RAP_SEQ / 4, () => ({
      cursor: hf64[H_RAP_CURSOR / 8]!,
      psi: loadPsi(h8, H_RAP_PSI, h32, H_RAP_PSI_COUNT / 4),
      generation: h32[H_RAP_GENERATION / 4]! >>> 0,
    }));
    return point !== undefined && point.cursor >= 0 ? point : null;
  }

  /** Copy of the latest PSI packets (empty before the first setPsi); null only if the writer is stuck. */
  readPsi(): Uint8Array | null {
    const { h32, h8 } = this.#m;
    return seqlockRead(h32, H_PSI_SEQ / 4, () => loadPsi(h8, H_PSI, h32, H_PSI_COUNT / 4)) ?? null;
  }

  /** Segment `seq`, or null if unknown, its slot was reused or its bytes were overwritten. */
  readSegment(seq: number): SegmentEntry | null {
    return readSegment(this.#m, seq);
  }

  /** Oldest readable and newest published seq; null before the first publish. */
  segmentBounds(): SegmentBounds | null {
    return segmentBounds(this.#m);
  }

  /** Bumped on every publish: key playlist caches on it. */
  get indexVersion(): number {
    return indexVersion(this.#m);
  }

  #checkRange(from: number, to: number): void {
    assertCursor('from', from);
    assertCursor('to', to);
    // the cached commit is a lower bound of the real one; reload only when it is not enough
    if (to > this.#knownCommit) this.#loadCommit();
    if (from > to || to > this.#knownCommit || to - from > this.#m.capacityBytes) {
      throw new RangeError(
        `Range [${from}, ${to}) must satisfy from <= to <= commit (${this.#knownCommit}) and span at most the capacity.`,
      );
    }
  }

  #loadCommit(): number {
    const commit = Number(Atomics.load(this.#m.h64, H_COMMIT / 8));
    this.#knownCommit = commit;
    return commit;
  }

  #view(at: number, length: number): Uint8Array {
    const slot = ((at / TS_PACKET_SIZE) ^ (length / TS_PACKET_SIZE)) & (VIEW_CACHE_SIZE - 1);
    if (this.#cacheAt[slot] === at && this.#cacheLength[slot] === length) return this.#cacheView[slot]!;
    const view = this.#m.data.subarray(at, at + length);
    this.#cacheAt[slot] = at;
    this.#cacheLength[slot] = length;
    this.#cacheView[slot] = view;
    return view;
  }
}
