// Per-shard latency recorder: the hot path. One instance per shard thread; not shared across threads.
import { IntervalHistogram } from './interval.js';
import { COUNTS_LENGTH, HIGHEST_US, SIGNIFICANT_DIGITS } from './layout.js';
import { isOperationName, MAX_OPERATIONS } from './ops.js';
import type { IntervalSnapshot, SeriesSnapshot } from './types.js';

const US_PER_MS = 1000;

interface Slot {
  readonly ok: IntervalHistogram;
  readonly fail: IntervalHistogram;
}

/** Lifetime counters of a recorder, for the shard's own gauges. */
export interface RecorderStats {
  readonly operations: number;
  readonly rejectedTotal: number;
  readonly clampedTotal: number;
}

/**
 * Records operation latencies into interval HDR histograms, successes and failures apart, and hands
 * them over with `snapshot()`. Recording costs a Map lookup, an index computation and a few adds; it
 * never allocates after the first sample of a new operation name and never throws.
 */
export class Recorder {
  readonly #slots = new Map<string, Slot>();
  readonly #scratchIdx = new Uint16Array(COUNTS_LENGTH);
  readonly #scratchCnt = new Uint32Array(COUNTS_LENGTH);
  #startMs: number;
  #rejected = 0;
  #clamped = 0;
  #rejectedTotal = 0;
  #clampedTotal = 0;

  /**
   * @param startMs wall-clock ms at which the first interval begins.
   * @param known operation names whose slots exist from the start (so recording them never allocates).
   */
  constructor(startMs: number = Date.now(), known: readonly string[] = []) {
    this.#startMs = startMs;
    for (const op of known) this.#addSlot(op);
  }

  /**
   * Records one completed operation that took `us` microseconds; `ok` false records a failure.
   * The value is rounded to whole µs; above 10 min it is recorded as 10 min (counted as clamped);
   * NaN, negative values and invalid operation names are dropped (counted as rejected).
   */
  recordUs(op: string, us: number, ok: boolean): void {
    const slot = this.#slots.get(op) ?? this.#addSlot(op);
    // `!(us >= 0)` also catches NaN.
    if (slot === undefined || !(us >= 0)) {
      this.#rejected++;
      return;
    }
    let v = HIGHEST_US;
    if (us <= HIGHEST_US) {
      // Round half up to a small integer; cheaper than Math.round and keeps V8 on the Smi path.
      v = (us + 0.5) | 0;
    } else {
      this.#clamped++;
    }
    (ok ? slot.ok : slot.fail).record(v);
  }

  /** `recordUs` with milliseconds (e.g. a `performance.now()` difference). */
  recordMs(op: string, ms: number, ok: boolean): void {
    this.recordUs(op, ms * US_PER_MS, ok);
  }

  /**
   * Returns everything recorded since the previous snapshot (or construction) and starts a new
   * interval at `nowMs`. Only (operation, outcome) pairs with samples appear in `series`.
   */
  snapshot(nowMs: number): IntervalSnapshot {
    const series: SeriesSnapshot[] = [];
    for (const [op, slot] of this.#slots) {
      if (slot.ok.count > 0) series.push(slot.ok.drain(op, true, this.#scratchIdx, this.#scratchCnt));
      if (slot.fail.count > 0) series.push(slot.fail.drain(op, false, this.#scratchIdx, this.#scratchCnt));
    }
    const snap: IntervalSnapshot = {
      version: 1,
      digits: SIGNIFICANT_DIGITS,
      startMs: this.#startMs,
      endMs: nowMs,
      rejected: this.#rejected,
      clamped: this.#clamped,
      series,
    };
    this.#startMs = nowMs;
    this.#rejectedTotal += this.#rejected;
    this.#clampedTotal += this.#clamped;
    this.#rejected = 0;
    this.#clamped = 0;
    return snap;
  }

  get stats(): RecorderStats {
    return {
      operations: this.#slots.size,
      rejectedTotal: this.#rejectedTotal + this.#rejected,
      clampedTotal: this.#clampedTotal + this.#clamped,
    };
  }

  #addSlot(op: string): Slot | undefined {
    if (this.#slots.size >= MAX_OPERATIONS || !isOperationName(op)) return undefined;
    const slot = { ok: new IntervalHistogram(), fail: new IntervalHistogram() };
    this.#slots.set(op, slot);
    return slot;
  }
}
