// A dense HDR interval histogram for one (operation, outcome) in one shard: the hot-path target.
import { COUNTS_LENGTH, indexOfUs } from './layout.js';
import type { SeriesSnapshot } from './types.js';

export class IntervalHistogram {
  // Uint32 per slot: an interval is ~1 s, far from 2^32 samples in one bin.
  readonly #counts = new Uint32Array(COUNTS_LENGTH);
  count = 0;
  sumUs = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;

  /** Records an integer value already normalised to [0, HIGHEST_US]. */
  record(v: number): void {
    this.#counts[indexOfUs(v)]!++;
    this.count++;
    this.sumUs += v;
    if (v < this.minUs) this.minUs = v;
    if (v > this.maxUs) this.maxUs = v;
  }

  /**
   * Moves the recorded counts into a sparse series and resets. Only the index range between min and
   * max is scanned, and it is zeroed on the way, so the cost follows the spread, not the layout size.
   * `scratchIdx`/`scratchCnt` are caller-owned COUNTS_LENGTH buffers; the returned arrays are fresh
   * (exact size, safe to transfer).
   */
  drain(op: string, ok: boolean, scratchIdx: Uint16Array, scratchCnt: Uint32Array): SeriesSnapshot {
    const counts = this.#counts;
    const last = indexOfUs(this.maxUs);
    let n = 0;
    for (let i = indexOfUs(this.minUs); i <= last; i++) {
      const c = counts[i]!;
      if (c !== 0) {
        scratchIdx[n] = i;
        scratchCnt[n] = c;
        n++;
        counts[i] = 0;
      }
    }
    const series: SeriesSnapshot = {
      op,
      ok,
      count: this.count,
      sumUs: this.sumUs,
      minUs: this.minUs,
      maxUs: this.maxUs,
      indices: scratchIdx.slice(0, n),
      counts: scratchCnt.slice(0, n),
    };
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Number.POSITIVE_INFINITY;
    this.maxUs = 0;
    return series;
  }
}
