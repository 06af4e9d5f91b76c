// Turns merged counts into the /metrics/performance numbers, with the library's percentile rule.
import type { Dense } from './dense.js';
import { HIGHEST_EQUIVALENT_US, indexOfUs } from './layout.js';
import type { OperationStats } from './types.js';

const US_PER_MS = 1000;
/** Percentiles reported, ascending: p50, p95, p99, p999. */
const PERCENTILES = [50, 95, 99, 99.9] as const;

/** hdr-histogram-js `ulp`, so the rank below rounds exactly as `getValueAtPercentile` does. */
function ulp(x: number): number {
  return 2 ** (Math.floor(Math.log2(x)) - 52);
}

/** Rank (1-based) of the sample at percentile p of `total`: the library's round-up-with-care rule. */
function rankAt(p: number, total: number): number {
  const fp = (p / 100) * total;
  return Math.max(Math.ceil(fp - ulp(fp)), 1);
}

/**
 * Values (µs) at PERCENTILES: HDR highest-equivalent value of the bin holding each rank (what the
 * library's getValueAtPercentile returns), capped at the exact max so that p999 <= max always.
 */
export function percentilesUs(h: Dense): number[] {
  const out: number[] = [];
  const counts = h.counts;
  const last = indexOfUs(h.maxUs);
  let k = 0;
  let rank = rankAt(PERCENTILES[0], h.count);
  let acc = 0;
  for (let i = indexOfUs(h.minUs); i <= last && k < PERCENTILES.length; i++) {
    acc += counts[i]!;
    while (k < PERCENTILES.length && acc >= rank) {
      out.push(Math.min(HIGHEST_EQUIVALENT_US[i]!, h.maxUs));
      k++;
      if (k < PERCENTILES.length) rank = rankAt(PERCENTILES[k]!, h.count);
    }
  }
  return out;
}

/** Stats of an operation nobody recorded in the window: count 0 and nulls (never a fake 100 %). */
export function emptyStats(): OperationStats {
  return {
    count: 0,
    avg_ms: null,
    p50_ms: null,
    p95_ms: null,
    p99_ms: null,
    p999_ms: null,
    min_ms: null,
    max_ms: null,
    success_rate: null,
  };
}

/** Stats from the merged successes and the number of failures over the same window. */
export function statsOf(ok: Dense, failed: number): OperationStats {
  const stats = emptyStats();
  stats.count = ok.count + failed;
  if (stats.count > 0) stats.success_rate = ok.count / stats.count;
  if (ok.count === 0) return stats;
  const [p50, p95, p99, p999] = percentilesUs(ok);
  // avg to the whole µs, like every other field.
  stats.avg_ms = Math.round(ok.sumUs / ok.count) / US_PER_MS;
  stats.p50_ms = p50! / US_PER_MS;
  stats.p95_ms = p95! / US_PER_MS;
  stats.p99_ms = p99! / US_PER_MS;
  stats.p999_ms = p999! / US_PER_MS;
  stats.min_ms = ok.minUs / US_PER_MS;
  stats.max_ms = ok.maxUs / US_PER_MS;
  return stats;
}
