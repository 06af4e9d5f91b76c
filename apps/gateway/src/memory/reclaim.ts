/**
 * Closed streams give their rings back promptly. A ring is three SharedArrayBuffers; their memory goes
 * back to the allocator (and, at 12–48 MiB each, to the OS) only once every thread that ever held a
 * handle to them (main, each shard, the probe thread) has garbage-collected its last one. V8 does not
 * count ring bytes as heap pressure, so a thread that serves little may skip major collections for many
 * minutes: 200 closed streams then kept ~480 MB resident with nothing referring to them. So each thread
 * that drops a ring asks for one full collection shortly after; a burst of closes costs one collection,
 * and collections are spaced by a minimum interval so a stream-churn storm never turns into a GC storm.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Wait after a release, so a burst of closes (and the owner's in-flight reads) settle first. */
export const RECLAIM_DELAY_MS = 1000;
/** At most one collection per thread per this interval. */
export const RECLAIM_MIN_INTERVAL_MS = 5000;

export interface ReclaimClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): unknown };
}

const realClock: ReclaimClock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms) };

/**
 * Coalesces "a ring was dropped" into one `collect()` `delayMs` after the first release of a burst, and at
 * most one per `minIntervalMs`.
 */
export class RingReclaimer {
  readonly #collect: () => void;
  readonly #clock: ReclaimClock;
  readonly #delayMs: number;
  readonly #minIntervalMs: number;
  #dueAtMs: number | null = null;
  #lastMs = Number.NEGATIVE_INFINITY;
  #collections = 0;

  constructor(
    collect: () => void,
    clock: ReclaimClock = realClock,
    delayMs = RECLAIM_DELAY_MS,
    minIntervalMs = RECLAIM_MIN_INTERVAL_MS,
  ) {
    this.#collect = collect;
    this.#clock = clock;
    this.#delayMs = delayMs;
    this.#minIntervalMs = minIntervalMs;
  }

  /** Collections run so far. */
  get collections(): number {
    return this.#collections;
  }

  /** A ring handle was dropped by this thread. */
  released(): void {
    // A pending collection runs after this release anyway; never postponing it means steady churn cannot
    // starve collection.
    if (this.#dueAtMs !== null) return;
    const now = this.#clock.now();
    this.#dueAtMs = Math.max(now + this.#delayMs, this.#lastMs + this.#minIntervalMs);
    this.#arm(this.#dueAtMs - now);
  }

  #arm(ms: number): void {
    this.#clock.setTimeout(() => this.#fire(), ms).unref?.();
  }

  #fire(): void {
    const due = this.#dueAtMs;
    if (due === null) return;
    const now = this.#clock.now();
    if (now < due) {
      this.#arm(due - now);
      return;
    }
    this.#dueAtMs = null;
    this.#lastMs = now;
    this.#collections++;
    this.#collect();
  }
}

let collector: (() => void) | null | undefined;

/**
 * A full collection of this thread's heap, or null when the runtime refuses to expose one. The flag is
 * process-wide and idempotent; the function is taken from a fresh context so no global `gc` is needed.
 */
export function fullCollector(): (() => void) | null {
  if (collector === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('gc');
      collector = typeof gc === 'function' ? () => (gc as () => void)() : null;
    } catch {
      collector = null;
    }
  }
  return collector;
}

let shared: RingReclaimer | null | undefined;

/** This thread's reclaimer (one per thread); null when no collector is available (nothing to do). */
export function threadReclaimer(): RingReclaimer | null {
  if (shared === undefined) {
    const gc = fullCollector();
    shared = gc ? new RingReclaimer(gc) : null;
  }
  return shared;
}

/** Call when this thread drops its last handle to a ring. */
export function ringReleased(): void {
  threadReclaimer()?.released();
}
