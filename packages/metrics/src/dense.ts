// Dense HDR accumulators: per-minute blocks, the cumulative histogram, and query scratch space.
import { COUNTS_LENGTH, indexOfUs } from './layout.js';
import type { Sparse } from './sparse.js';

/** A full counts array (Float64: exact to 2^53 samples per bin) with exact count/sum/min/max. */
export class Dense {
  readonly counts = new Float64Array(COUNTS_LENGTH);
  count = 0;
  sumUs = 0;
  minUs = Number.POSITIVE_INFINITY;
  maxUs = 0;

  addSparse(s: Sparse): void {
    const counts = this.counts;
    for (let i = 0; i < s.indices.length; i++) counts[s.indices[i]!]! += s.counts[i]!;
    this.#addStats(s.count, s.sumUs, s.minUs, s.maxUs);
  }

  addDense(d: Dense): void {
    if (d.count === 0) return;
    const counts = this.counts;
    const src = d.counts;
    // Only the occupied index range: min and max bound every non-zero bin.
    const last = indexOfUs(d.maxUs);
    for (let i = indexOfUs(d.minUs); i <= last; i++) counts[i]! += src[i]!;
    this.#addStats(d.count, d.sumUs, d.minUs, d.maxUs);
  }

  reset(): void {
    if (this.count === 0) return;
    this.counts.fill(0, indexOfUs(this.minUs), indexOfUs(this.maxUs) + 1);
    this.count = 0;
    this.sumUs = 0;
    this.minUs = Number.POSITIVE_INFINITY;
    this.maxUs = 0;
  }

  #addStats(count: number, sumUs: number, minUs: number, maxUs: number): void {
    this.count += count;
    this.sumUs += sumUs;
    if (minUs < this.minUs) this.minUs = minUs;
    if (maxUs > this.maxUs) this.maxUs = maxUs;
  }
}
