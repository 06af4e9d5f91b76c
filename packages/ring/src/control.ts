// Header words any thread may read or CAS: the lease word and the stream status. This is all
// the main thread needs; it never touches the data or index buffers.
import {
  H_ATTACH,
  H_BITRATE,
  H_COMMIT,
  H_GEN_START,
  H_GENERATION,
  H_LAST_WRITE_MS,
  H_LEASE,
  H_META_SEQ,
  H_PSI_VERSION,
  H_STATE,
  LEASE_CLOSED,
  LEASE_CLOSING,
  LEASE_COUNT_MASK,
} from './layout.js';
import { openMemory } from './memory.js';
import { seqlockRead } from './sync.js';
import type { GenerationInfo, RingHandles, RingState } from './types.js';

/** State names by header code (the code is the index). */
export const RING_STATES: readonly RingState[] = ['opening', 'live', 'stalled', 'failed', 'closed'];
const CLOSED_CODE = RING_STATES.indexOf('closed');

export function stateCode(state: RingState): number {
  const code = RING_STATES.indexOf(state);
  if (code < 0) throw new RangeError(`Unknown ring state "${String(state)}".`);
  return code;
}

/**
 * Lease and status words of a ring, usable from any thread including main.
 *
 * Lease word: bits 0-27 count the readers holding a lease, LEASE_CLOSING stops new leases
 * while holders drain, LEASE_CLOSED is final. Grace-period rule for the closer: note
 * `attachCount`, wait, and close only if `attachCount` is unchanged and `tryClose()` wins; a
 * changed count means a client joined (and maybe left) meanwhile.
 */
export class RingControl {
  readonly #h32: Int32Array;
  readonly #h64: BigInt64Array;
  readonly #hf64: Float64Array;

  constructor(handles: RingHandles) {
    const memory = openMemory(handles);
    this.#h32 = memory.h32;
    this.#h64 = memory.h64;
    this.#hf64 = memory.hf64;
  }

  /** Takes a lease (CAS increment). False once the ring is closing or closed. */
  tryAcquire(): boolean {
    for (;;) {
      const word = Atomics.load(this.#h32, H_LEASE / 4);
      if ((word & (LEASE_CLOSING | LEASE_CLOSED)) !== 0) return false;
      if ((word & LEASE_COUNT_MASK) === LEASE_COUNT_MASK) return false;
      // a failed CAS means another thread changed the word: retry with the new value
      if (Atomics.compareExchange(this.#h32, H_LEASE / 4, word, word + 1) === word) {
        // counted after the increment, so a holder has always counted before it can release
        Atomics.add(this.#h64, H_ATTACH / 8, 1n);
        return true;
      }
    }
  }

  /** Returns a lease. False (and no change) if no lease is held: a double release is a bug. */
  release(): boolean {
    for (;;) {
      const word = Atomics.load(this.#h32, H_LEASE / 4);
      if ((word & LEASE_COUNT_MASK) === 0) return false;
      if (Atomics.compareExchange(this.#h32, H_LEASE / 4, word, word - 1) === word) return true;
    }
  }

  /** Refuses new leases from now on; holders keep theirs until they release. */
  markClosing(): void {
    Atomics.or(this.#h32, H_LEASE / 4, LEASE_CLOSING);
  }

  /**
   * Closes the ring iff no lease is held, by CAS from exactly zero readers (closing or not)
   * to CLOSED; then publishes state 'closed'. False if a reader holds a lease or already closed.
   */
  tryClose(): boolean {
    const lease = H_LEASE / 4;
    const won =
      Atomics.compareExchange(this.#h32, lease, 0, LEASE_CLOSED) === 0 ||
      Atomics.compareExchange(this.#h32, lease, LEASE_CLOSING, LEASE_CLOSED) === LEASE_CLOSING;
    if (won) Atomics.store(this.#h32, H_STATE / 4, CLOSED_CODE);
    return won;
  }

  /** Readers holding a lease now. */
  get readers(): number {
    return Atomics.load(this.#h32, H_LEASE / 4) & LEASE_COUNT_MASK;
  }

  /** True once markClosing() or tryClose() succeeded: no new lease will be granted. */
  get closing(): boolean {
    return (Atomics.load(this.#h32, H_LEASE / 4) & (LEASE_CLOSING | LEASE_CLOSED)) !== 0;
  }

  get closed(): boolean {
    return (Atomics.load(this.#h32, H_LEASE / 4) & LEASE_CLOSED) !== 0;
  }

  /** Successful tryAcquire() calls ever. */
  get attachCount(): number {
    return Number(Atomics.load(this.#h64, H_ATTACH / 8));
  }

  get state(): RingState {
    return RING_STATES[Atomics.load(this.#h32, H_STATE / 4)] ?? 'failed';
  }

  /** CAS of the state word, for a controller that must not override the owner's newer state. */
  compareAndSetState(expected: RingState, next: RingState): boolean {
    const from = stateCode(expected);
    return Atomics.compareExchange(this.#h32, H_STATE / 4, from, stateCode(next)) === from;
  }

  /** Current generation (u32). */
  get generation(): number {
    return Atomics.load(this.#h32, H_GENERATION / 4) >>> 0;
  }

  /** Generation with the cursor where it began, read consistently; null if the writer is stuck. */
  generationInfo(): GenerationInfo | null {
    const h32 = this.#h32;
    const hf64 = this.#hf64;
    return (
      seqlockRead(h32, H_META_SEQ / 4, () => ({
        generation: h32[H_GENERATION / 4]! >>> 0,
        startCursor: hf64[H_GEN_START / 8]!,
      })) ?? null
    );
  }

  /** Measured bitrate in bits/s (0 until the owner measured it). */
  get bitrate(): number {
    return Number(Atomics.load(this.#h64, H_BITRATE / 8));
  }

  /** Wall-clock ms of the owner's last touch(); 0 before the first. */
  get lastWriteMs(): number {
    return Number(Atomics.load(this.#h64, H_LAST_WRITE_MS / 8));
  }

  /** Bumped on every PSI change; cheap change detection. */
  get psiVersion(): number {
    return Atomics.load(this.#h32, H_PSI_VERSION / 4) >>> 0;
  }

  /** Total bytes committed to the ring so far. */
  get commitCursor(): number {
    return Number(Atomics.load(this.#h64, H_COMMIT / 8));
  }
}
