/**
 * Even spreading of stats calls: with n engines and interval I, one call every I/n ms, each call for the
 * engine sampled least recently (never-sampled engines first). Every engine is then sampled once per
 * interval and the daemon sees a steady trickle instead of a burst of n calls. Pure: time is passed in.
 */

/** Spacing between two calls for `engines` engines. */
export function stepMs(intervalMs: number, engines: number): number {
  return intervalMs / Math.max(1, engines);
}

/**
 * When the next tick fires: one step after the previous one (absolute, so timer lateness does not
 * accumulate), or now when the schedule has fallen more than a step behind (a blocked loop, a sleep).
 */
export function nextTickAt(prevTickAtMs: number, step: number, nowMs: number): number {
  const next = prevTickAtMs + step;
  return next < nowMs - step ? nowMs : next;
}

/** Round-robin by least recent sample; ids in `busy` (a call in flight) are passed over. */
export class SpreadPlanner {
  readonly #lastMs = new Map<string, number>();

  /** Keeps only the given engines (new ones start as never sampled). */
  sync(ids: Iterable<string>): void {
    const keep = new Set(ids);
    for (const id of this.#lastMs.keys()) if (!keep.has(id)) this.#lastMs.delete(id);
    for (const id of keep) if (!this.#lastMs.has(id)) this.#lastMs.set(id, Number.NEGATIVE_INFINITY);
  }

  get size(): number {
    return this.#lastMs.size;
  }

  /** The engine due next, or null when every engine is busy. Ties break by id for a stable order. */
  next(busy: ReadonlySet<string>): string | null {
    let best: string | null = null;
    let bestMs = Number.POSITIVE_INFINITY;
    for (const [id, ms] of this.#lastMs) {
      if (busy.has(id)) continue;
      if (ms < bestMs || (ms === bestMs && best !== null && id < best)) {
        best = id;
        bestMs = ms;
      }
    }
    return best;
  }

  /** Records that a call for `id` started at `nowMs`. */
  mark(id: string, nowMs: number): void {
    if (this.#lastMs.has(id)) this.#lastMs.set(id, nowMs);
  }
}
