// The one HDR histogram layout every shard and the main thread share.
//
// Values are integer microseconds. The layout (bucket count, sub-bucket resolution, counts-array
// length) is taken from hdr-histogram-js itself, so a counts-array index here means exactly what it
// means in the library; `indexOfUs` is the library's `countsArrayIndex` rewritten with `Math.clz32`
// (the library's version costs ~185 ns per record, this one ~6 ns), and a test checks they agree.
//
// Why 2 significant digits: every value is kept within 1/128 (0.78 %) of its true value, which is
// finer than any latency SLO or Prometheus bucket ladder needs, and the counts array is 3072 slots
// (12 KiB as Uint32). At 3 digits it would be 21 504 slots (84 KiB) and a busy operation's per-second
// sparse histogram would hold up to 7x more distinct bins, which the 15-minute window pays for.
import { Int32Histogram } from 'hdr-histogram-js';

/** Lowest discernible value: 1 µs. */
export const LOWEST_US = 1;
/** Highest tracked value: 10 minutes in µs. Larger values are recorded as this value (and counted). */
export const HIGHEST_US = 600_000_000;
/** HDR significant value digits (see the header comment for why 2). */
export const SIGNIFICANT_DIGITS = 2;

const reference = new Int32Histogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS);

/** Length of the HDR counts array for this layout (3072). */
export const COUNTS_LENGTH: number = reference.countsArrayLength;

const HALF_MAGNITUDE = reference.subBucketHalfCountMagnitude;
const HALF_COUNT = reference.subBucketHalfCount;
const UNIT_MAGNITUDE = reference.unitMagnitude;
const BUCKET_SHIFT = 31 - HALF_MAGNITUDE - UNIT_MAGNITUDE;

// clz32 and >>> need values below 2^31; indices are shipped as Uint16.
if (HIGHEST_US >= 2 ** 31 || COUNTS_LENGTH > 0xffff) throw new Error('metrics layout out of range');

/**
 * HDR counts-array index of an integer value in [0, HIGHEST_US]. Callers normalise first
 * (`normalizeUs`); the index math is `JsHistogram.countsArrayIndex` with log2 replaced by clz32.
 */
export function indexOfUs(v: number): number {
  const bucket = Math.max(BUCKET_SHIFT - Math.clz32(v), 0);
  return ((bucket + 1) << HALF_MAGNITUDE) + (v >>> (bucket + UNIT_MAGNITUDE)) - HALF_COUNT;
}

function table(fn: (i: number) => number): Float64Array {
  const out = new Float64Array(COUNTS_LENGTH);
  for (let i = 0; i < COUNTS_LENGTH; i++) out[i] = fn(i);
  return out;
}

/** Lowest value (µs) that lands in each index: the library's `valueFromIndex`. */
export const LOWEST_EQUIVALENT_US: Float64Array = table((i) => reference.valueFromIndex(i));

/**
 * Highest value (µs) that lands in each index: the library's `highestEquivalentValue`, which is what
 * `getValueAtPercentile` reports and what the Prometheus bucket rule compares against `le`.
 */
export const HIGHEST_EQUIVALENT_US: Float64Array = table((i) =>
  reference.highestEquivalentValue(reference.valueFromIndex(i)),
);

/** A fresh, empty library histogram with this layout (for interop and reference checks). */
export function newHdrHistogram(): Int32Histogram {
  return new Int32Histogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_DIGITS);
}
