// Classic Prometheus histograms derived from the merged HDR counts (one source of truth), and their
// text exposition lines (Prometheus exposition format 0.0.4), to append to prom-client's output.
//
// Bucket rule: an HDR bin counts in bucket `le` iff the bin's highest-equivalent value is <= le.
// Every sample therefore lands in a bucket whose le is >= the sample; the only samples counted one
// bucket higher than their raw value would put them are those sharing an HDR bin (<= 0.78 % wide)
// that straddles le. The result is a deterministic function of the counts, so instances agree.
import type { Dense } from './dense.js';
import { HIGHEST_EQUIVALENT_US, indexOfUs } from './layout.js';
import type { PromBucket, PromHistogram } from './types.js';

const US_PER_SECOND = 1_000_000;

/** Default `le` ladder in seconds: 0.5 ms .. 60 s, roughly 1-2.5-5 per decade. */
export const DEFAULT_LE_SECONDS: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

// The text format's rules, shared with the gateway's gauge and counter families.
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const NEEDS_ESCAPE = /[\\"\n]/;

/** A valid metric name. */
export function isMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/** A valid label name that is not reserved (`__` prefix). */
export function isLabelName(name: string): boolean {
  return LABEL_NAME.test(name) && !name.startsWith('__');
}

/** Label value escaping: backslash, double quote, line feed (most values need none: tested first). */
export function escapeLabelValue(v: string | number): string {
  const s = typeof v === 'number' ? String(v) : v;
  return NEEDS_ESCAPE.test(s) ? s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : s;
}

/** HELP text escaping: backslash, line feed. */
export function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A sample value as the text format writes it. */
export function formatNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

/** Largest HDR index whose highest-equivalent value is <= leUs (-1 when none). */
function cutIndex(leUs: number): number {
  let lo = -1;
  let hi = HIGHEST_EQUIVALENT_US.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (HIGHEST_EQUIVALENT_US[mid]! <= leUs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Returns why a ladder is unusable (not finite, not > 0, not strictly ascending), or undefined. */
export function checkLadder(le: readonly number[]): string | undefined {
  for (let i = 0; i < le.length; i++) {
    const v = le[i]!;
    if (!Number.isFinite(v) || v <= 0) return `le[${i}] must be a finite number of seconds above 0.`;
    if (i > 0 && v <= le[i - 1]!) return `le[${i}] must be greater than le[${i - 1}].`;
  }
  return undefined;
}

/**
 * Cumulative buckets (the ladder, then +Inf = count), sum in seconds (exact: the sum of the recorded
 * whole-µs values) and count, from a dense histogram.
 */
export function promHistogramOf(h: Dense, leSeconds: readonly number[] = DEFAULT_LE_SECONDS): PromHistogram {
  const problem = checkLadder(leSeconds);
  if (problem !== undefined) throw new RangeError(problem);
  const buckets: PromBucket[] = [];
  const last = h.count > 0 ? indexOfUs(h.maxUs) : -1;
  let i = 0;
  let acc = 0;
  for (const le of leSeconds) {
    const stop = Math.min(cutIndex(Math.round(le * US_PER_SECOND)), last);
    for (; i <= stop; i++) acc += h.counts[i]!;
    buckets.push({ le, count: acc });
  }
  buckets.push({ le: Number.POSITIVE_INFINITY, count: h.count });
  return { buckets, sum: h.sumUs / US_PER_SECOND, count: h.count };
}

/** One labelled histogram of a family. */
export interface PromSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly histogram: PromHistogram;
}

function labelText(labels: Readonly<Record<string, string>>): string {
  let out = '';
  for (const [k, v] of Object.entries(labels)) {
    if (!isLabelName(k) || k === 'le') {
      throw new TypeError(`Label name "${k}" is not a valid Prometheus label name for a histogram.`);
    }
    out += `${out === '' ? '' : ','}${k}="${escapeLabelValue(v)}"`;
  }
  return out;
}

/**
 * Renders a histogram family: HELP, TYPE, then per series every `_bucket{...,le}`, `_sum`, `_count`,
 * each line ending in a newline. Throws a TypeError for an invalid metric or label name (a
 * programming error, caught by the first test that renders it).
 */
export function renderPromHistogram(name: string, help: string, series: readonly PromSeries[]): string {
  if (!isMetricName(name))
    throw new TypeError(`Metric name "${name}" is not a valid Prometheus metric name.`);
  const lines = [`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} histogram`];
  for (const { labels, histogram } of series) {
    const base = labelText(labels);
    const sep = base === '' ? '' : ',';
    for (const b of histogram.buckets) {
      lines.push(`${name}_bucket{${base}${sep}le="${formatNumber(b.le)}"} ${b.count}`);
    }
    const braces = base === '' ? '' : `{${base}}`;
    lines.push(
      `${name}_sum${braces} ${formatNumber(histogram.sum)}`,
      `${name}_count${braces} ${histogram.count}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
