/**
 * Latency histograms (hdr-histogram-js, 3 significant digits, microsecond resolution) and their summary
 * in milliseconds. Histograms cross threads as compressed base64 and are merged by addition, so a
 * percentile over several load-generator workers is exact, not an average of percentiles.
 */
import {
  build,
  decodeFromCompressedBase64,
  encodeIntoCompressedBase64,
  type Histogram,
} from 'hdr-histogram-js';

/** One hour, in microseconds: anything slower is clamped (and is a failure long before that). */
const HIGHEST_US = 3_600_000_000;
const SIGNIFICANT_DIGITS = 3;

export interface LatencySummary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: HIGHEST_US,
    numberOfSignificantValueDigits: SIGNIFICANT_DIGITS,
    useWebAssembly: false,
  });
}

/** Records a duration given in milliseconds. */
export function recordMs(h: Histogram, ms: number): void {
  const us = Math.round(ms * 1000);
  h.recordValue(Math.min(HIGHEST_US, Math.max(1, us)));
}

export function summarize(h: Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) return { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 };
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count,
    p50: ms(h.getValueAtPercentile(50)),
    p95: ms(h.getValueAtPercentile(95)),
    p99: ms(h.getValueAtPercentile(99)),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** Adds an encoded histogram (from another thread) into `into`. */
export function mergeEncoded(into: Histogram, encoded: string): void {
  if (encoded === '') return;
  const other = decodeFromCompressedBase64(encoded, 32, false);
  into.add(other);
  other.destroy();
}
