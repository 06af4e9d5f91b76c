// Reference answers for the tests: one hdr-histogram-js histogram fed every value directly.
import { Int32Histogram } from 'hdr-histogram-js';
import type { OperationStats } from '../src/index.js';

export const MS = 1000;

/** A library histogram with the package's layout (1 µs .. 10 min, 2 digits), built independently. */
export function libHistogram(values: readonly number[]): Int32Histogram {
  const h = new Int32Histogram(1, 600_000_000, 2);
  for (const v of values) h.recordValue(v);
  return h;
}

/**
 * What the report must say for these successful values (integer µs) and failure count: percentiles
 * from the library's getValueAtPercentile capped at the exact max, exact min/max/avg.
 */
export function referenceStats(ok: readonly number[], failed: number): OperationStats {
  const count = ok.length + failed;
  const empty: OperationStats = {
    count,
    avg_ms: null,
    p50_ms: null,
    p95_ms: null,
    p99_ms: null,
    p999_ms: null,
    min_ms: null,
    max_ms: null,
    success_rate: count === 0 ? null : ok.length / count,
  };
  if (ok.length === 0) return empty;
  const h = libHistogram(ok);
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  let sum = 0;
  for (const v of ok) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  const p = (x: number): number => Math.min(h.getValueAtPercentile(x), max) / MS;
  return {
    ...empty,
    avg_ms: Math.round(sum / ok.length) / MS,
    p50_ms: p(50),
    p95_ms: p(95),
    p99_ms: p(99),
    p999_ms: p(99.9),
    min_ms: min / MS,
    max_ms: max / MS,
  };
}
