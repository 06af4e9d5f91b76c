// Sparse HDR histograms: how one second of one operation is kept on main for 15 minutes.
import type { SeriesSnapshot } from './types.js';

/** Ascending (index, count) pairs plus exact count/sum/min/max. Never mutated once built. */
export type Sparse = Pick<SeriesSnapshot, 'count' | 'sumUs' | 'minUs' | 'maxUs' | 'indices' | 'counts'>;

/** Merges two sparse histograms into a new one (a merge of two sorted index lists). */
export function mergeSparse(a: Sparse, b: Sparse): Sparse {
  const ai = a.indices;
  const bi = b.indices;
  const idx = new Uint16Array(ai.length + bi.length);
  const cnt = new Uint32Array(ai.length + bi.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < ai.length && j < bi.length) {
    const x = ai[i]!;
    const y = bi[j]!;
    if (x === y) {
      idx[n] = x;
      cnt[n] = a.counts[i++]! + b.counts[j++]!;
    } else if (x < y) {
      idx[n] = x;
      cnt[n] = a.counts[i++]!;
    } else {
      idx[n] = y;
      cnt[n] = b.counts[j++]!;
    }
    n++;
  }
  for (; i < ai.length; i++, n++) {
    idx[n] = ai[i]!;
    cnt[n] = a.counts[i]!;
  }
  for (; j < bi.length; j++, n++) {
    idx[n] = bi[j]!;
    cnt[n] = b.counts[j]!;
  }
  return {
    count: a.count + b.count,
    sumUs: a.sumUs + b.sumUs,
    minUs: Math.min(a.minUs, b.minUs),
    maxUs: Math.max(a.maxUs, b.maxUs),
    // Shrink to the merged length so 15 minutes of seconds hold no slack.
    indices: n === idx.length ? idx : idx.slice(0, n),
    counts: n === cnt.length ? cnt : cnt.slice(0, n),
  };
}
