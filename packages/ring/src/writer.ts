// The owner shard's side of a ring. Exactly one RingWriter per ring, in one thread; every
// other thread uses RingReader / RingControl. Contract violations (misaligned lengths,
// cursors beyond the commit cursor, non-consecutive segment seqs) throw RangeError: they are
// bugs in the caller, not stream conditions.
import { stateCode } from './control.js';
import { physical } from './lap.js';
import {
  H_BITRATE,
  H_COMMIT,
  H_GEN_START,
  H_GENERATION,
  H_LAST_WRITE_MS,
  H_LEASE,
  H_META_SEQ,
  H_PSI,
  H_PSI_COUNT,
  H_PSI_SEQ,
  H_PSI_VERSION,
  H_RAP_CURSOR,
  H_RAP_GENERATION,
  H_RAP_PSI,
  H_RAP_PSI_COUNT,
  H_RAP_SEQ,
  H_RESERVE,
  H_RESERVE_PACKETS_LO,
  H_STATE,
  LEASE_CLOSED,
  NO_SEQ,
  PSI_MAX_PACKETS,
  TS_PACKET_SIZE,
} from './layout.js';
import { openMemory, type RingMemory } from './memory.js';
import { slowestProgress } from './progress.js';
import { storePsi } from './psi.js';
import { lastSeq, loadSlot, storeSegment } from './segments.js';
import { assertCursor, assertPsi, fence, packetsLo, seqlockBegin, seqlockEnd } from './sync.js';
import type { RingHandles, RingState, SegmentEntry } from './types.js';

/** Single writer of a ring (the owner shard). */
export class RingWriter {
  readonly #m: RingMemory;
  #commit: number;
  #lastSeq: number;
  #lastSegmentStart: number;

  constructor(handles: RingHandles) {
    this.#m = openMemory(handles);
    this.#commit = Number(Atomics.load(this.#m.h64, H_COMMIT / 8));
    this.#lastSeq = lastSeq(this.#m);
    this.#lastSegmentStart = this.#lastSeq === NO_SEQ ? 0 : (loadSlot(this.#m, this.#lastSeq)?.start ?? 0);
  }

  /** Bytes the ring holds (188 * capacityPackets). */
  get capacityBytes(): number {
    return this.#m.capacityBytes;
  }

  /**
   * The least advanced cursor any reader thread reported within `freshMs` (see
   * RingReader.reportProgress), or -1 when none did: how far behind the writer its slowest reader is.
   */
  slowestReader(nowMs: number, freshMs: number): number {
    return slowestProgress(this.#m, nowMs, freshMs);
  }

  /** Total bytes written so far (what readers see as the commit cursor). */
  get commitCursor(): number {
    return this.#commit;
  }

  /**
   * Appends whole packets and returns the new commit cursor. Longer than the capacity: the
   * cursor advances by the full length but only the last `capacityBytes` are stored (the head
   * counts as written and instantly overwritten, so no reader can be handed it).
   */
  write(packets: Uint8Array): number {
    const length = packets.length;
    if (length % TS_PACKET_SIZE !== 0) {
      throw new RangeError(`write() takes whole 188-byte packets, got ${length} bytes.`);
    }
    if (length === 0) return this.#commit;
    const m = this.#m;
    const end = this.#commit + length;
    const kept = length > m.capacityBytes ? packets.subarray(length - m.capacityBytes) : packets;
    // 1. reserve: from now on readers treat [end - capacity, …) as the only safe bytes
    Atomics.store(m.h64, H_RESERVE / 8, BigInt(end));
    Atomics.store(m.h32, H_RESERVE_PACKETS_LO / 4, packetsLo(end));
    fence();
    // 2. copy, split at the physical end (always on a packet boundary)
    const at = physical(m, end - kept.length);
    const firstPart = Math.min(kept.length, m.capacityBytes - at);
    m.data.set(firstPart === kept.length ? kept : kept.subarray(0, firstPart), at);
    if (firstPart < kept.length) m.data.set(kept.subarray(firstPart), 0);
    // 3. commit: a seq-cst store is a release, the bytes above are visible before it
    Atomics.store(m.h64, H_COMMIT / 8, BigInt(end));
    this.#commit = end;
    return end;
  }

  /**
   * Records the newest random-access point: `cursor` is the packet where a keyframe starts
   * (already written), `psi` the PAT/PMT packets current just before it (copied).
   */
  markRandomAccess(cursor: number, psi: Uint8Array): void {
    assertCursor('cursor', cursor);
    if (cursor + TS_PACKET_SIZE > this.#commit) {
      throw new RangeError(`RAP cursor ${cursor} is not a committed packet (commit ${this.#commit}).`);
    }
    assertPsi(psi, PSI_MAX_PACKETS);
    const { h32, hf64, h8 } = this.#m;
    seqlockBegin(h32, H_RAP_SEQ / 4);
    hf64[H_RAP_CURSOR / 8] = cursor;
    h32[H_RAP_GENERATION / 4] = Atomics.load(h32, H_GENERATION / 4);
    storePsi(h8, H_RAP_PSI, h32, H_RAP_PSI_COUNT / 4, psi);
    seqlockEnd(h32, H_RAP_SEQ / 4);
  }

  /** Replaces the latest PSI packets (PAT + PMT) and bumps the PSI version. */
  setPsi(psi: Uint8Array): void {
    assertPsi(psi, PSI_MAX_PACKETS);
    const { h32, h8 } = this.#m;
    seqlockBegin(h32, H_PSI_SEQ / 4);
    storePsi(h8, H_PSI, h32, H_PSI_COUNT / 4, psi);
    seqlockEnd(h32, H_PSI_SEQ / 4);
    Atomics.add(h32, H_PSI_VERSION / 4, 1);
  }

  /** Starts a new generation at the current commit cursor; returns its number (u32, wraps). */
  bumpGeneration(): number {
    const { h32, hf64 } = this.#m;
    const next = (Atomics.load(h32, H_GENERATION / 4) + 1) | 0;
    seqlockBegin(h32, H_META_SEQ / 4);
    hf64[H_GEN_START / 8] = this.#commit;
    Atomics.store(h32, H_GENERATION / 4, next);
    seqlockEnd(h32, H_META_SEQ / 4);
    return next >>> 0;
  }

  /** Publishes the stream state. 'closed' is final: returns false and changes nothing once closed. */
  setState(state: RingState): boolean {
    const { h32 } = this.#m;
    const code = stateCode(state);
    const closed = stateCode('closed');
    for (;;) {
      const current = Atomics.load(h32, H_STATE / 4);
      if (current === closed || (Atomics.load(h32, H_LEASE / 4) & LEASE_CLOSED) !== 0) return false;
      if (Atomics.compareExchange(h32, H_STATE / 4, current, code) === current) return true;
    }
  }

  /** Measured bitrate, bits/s. */
  setBitrate(bitsPerSecond: number): void {
    Atomics.store(this.#m.h64, H_BITRATE / 8, BigInt(Math.max(0, Math.round(bitsPerSecond))));
  }

  /** Wall-clock ms of the latest upstream data; any thread compares it with its clock to see a stall. */
  touch(nowMs: number): void {
    Atomics.store(this.#m.h64, H_LAST_WRITE_MS / 8, BigInt(Math.max(0, Math.round(nowMs))));
  }

  /**
   * Publishes a segment: seq must be last + 1 (any integer ≥ 0 the first time), start no
   * earlier than the previous segment's start, start < end ≤ commit, end - start ≤ capacity.
   */
  publishSegment(entry: SegmentEntry): void {
    const { seq, start, end } = entry;
    if (!Number.isSafeInteger(seq) || seq < 0 || (this.#lastSeq !== NO_SEQ && seq !== this.#lastSeq + 1)) {
      throw new RangeError(`Segment seq must follow ${this.#lastSeq} by one, got ${seq}.`);
    }
    assertCursor('segment start', start);
    assertCursor('segment end', end);
    if (!(start < end && end <= this.#commit && end - start <= this.#m.capacityBytes)) {
      throw new RangeError(
        `Segment [${start}, ${end}) must be non-empty, committed (commit ${this.#commit}) and fit the ring.`,
      );
    }
    if (start < this.#lastSegmentStart) {
      throw new RangeError(`Segment start ${start} precedes the previous start ${this.#lastSegmentStart}.`);
    }
    for (const field of ['durationUs', 'discontinuitySequence', 'programDateTimeMs'] as const) {
      if (!Number.isFinite(entry[field]) || entry[field] < 0) {
        throw new RangeError(`Segment ${field} must be a finite number >= 0, got ${entry[field]}.`);
      }
    }
    if (!Number.isInteger(entry.generation) || entry.generation < 0 || entry.generation > 0xffff_ffff) {
      throw new RangeError(`Segment generation must be a u32, got ${entry.generation}.`);
    }
    assertPsi(entry.psi, PSI_MAX_PACKETS);
    storeSegment(this.#m, entry);
    this.#lastSeq = seq;
    this.#lastSegmentStart = start;
  }
}
