// Interval snapshots after they cross a thread: checking, transfer lists, conversion to the library.
import type { Int32Histogram } from 'hdr-histogram-js';
import {
  COUNTS_LENGTH,
  HIGHEST_US,
  LOWEST_EQUIVALENT_US,
  newHdrHistogram,
  SIGNIFICANT_DIGITS,
} from './layout.js';
import { isOperationName } from './ops.js';
import type { IngestRefusal, IntervalSnapshot, SeriesSnapshot } from './types.js';

function malformed(message: string): IngestRefusal {
  return { ok: false, reason: 'malformed', message };
}

function isCount(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) >= 0;
}

function checkSeries(s: SeriesSnapshot): string | undefined {
  if (typeof s !== 'object' || s === null) return 'series entry is not an object';
  if (typeof s.op !== 'string' || !isOperationName(s.op)) return 'series has an invalid operation name';
  if (typeof s.ok !== 'boolean') return `series ${s.op}: ok is not a boolean`;
  if (!(s.indices instanceof Uint16Array) || !(s.counts instanceof Uint32Array)) {
    return `series ${s.op}: indices/counts are not Uint16Array/Uint32Array`;
  }
  if (s.indices.length !== s.counts.length || s.indices.length === 0) return `series ${s.op}: bad lengths`;
  if (!isCount(s.count) || !isCount(s.minUs) || !isCount(s.maxUs) || !isCount(s.sumUs)) {
    return `series ${s.op}: count/min/max/sum are not non-negative integers`;
  }
  if (s.minUs > s.maxUs || s.maxUs > HIGHEST_US) return `series ${s.op}: min/max out of range`;
  let total = 0;
  let prev = -1;
  for (let i = 0; i < s.indices.length; i++) {
    const idx = s.indices[i]!;
    const c = s.counts[i]!;
    if (idx <= prev || idx >= COUNTS_LENGTH || c === 0)
      return `series ${s.op}: indices not ascending or zero count`;
    prev = idx;
    total += c;
  }
  if (total !== s.count) return `series ${s.op}: counts do not add up to count`;
  return undefined;
}

/**
 * Checks a snapshot received from another thread before anything of it is applied: version, layout,
 * and every series' invariants (ascending in-range indices, positive counts adding up to `count`).
 * Returns the refusal, or undefined when the snapshot is sound.
 */
export function checkSnapshot(snap: IntervalSnapshot): IngestRefusal | undefined {
  if (typeof snap !== 'object' || snap === null || snap.version !== 1)
    return malformed('unknown snapshot version');
  if (snap.digits !== SIGNIFICANT_DIGITS) {
    return {
      ok: false,
      reason: 'layout',
      message: `snapshot uses ${snap.digits} digits, expected ${SIGNIFICANT_DIGITS}`,
    };
  }
  if (!Number.isFinite(snap.startMs) || !Number.isFinite(snap.endMs))
    return malformed('startMs/endMs not finite');
  if (!isCount(snap.rejected) || !isCount(snap.clamped)) return malformed('rejected/clamped are not counts');
  if (!Array.isArray(snap.series)) return malformed('series is not an array');
  for (const s of snap.series) {
    const problem = checkSeries(s);
    if (problem !== undefined) return malformed(problem);
  }
  return undefined;
}

/**
 * The buffers of a snapshot, for `postMessage(snap, snapshotTransferList(snap))`: the recorder
 * allocated each one exactly for this snapshot, so moving them copies nothing and frees the sender.
 */
export function snapshotTransferList(snap: IntervalSnapshot): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const s of snap.series) out.push(s.indices.buffer as ArrayBuffer, s.counts.buffer as ArrayBuffer);
  return out;
}

/**
 * Rebuilds a library histogram (same layout) from a series, e.g. for HdrHistogram log export or to
 * compare against one recorded directly: counts per index, total, max and min-non-zero all match.
 */
export function seriesToHdr(s: SeriesSnapshot): Int32Histogram {
  const h = newHdrHistogram();
  let minNonZero = s.minUs;
  for (let i = 0; i < s.indices.length; i++) {
    const idx = s.indices[i]!;
    h.setCountAtIndex(idx, s.counts[i]!);
    // Zero-valued samples do not count for minNonZeroValue; the next bin's lowest value stands in.
    if (minNonZero === 0 && idx > 0) minNonZero = LOWEST_EQUIVALENT_US[idx]!;
  }
  h.setTotalCount(s.count);
  h.maxValue = s.maxUs;
  if (minNonZero > 0) h.minNonZeroValue = minNonZero;
  return h;
}
