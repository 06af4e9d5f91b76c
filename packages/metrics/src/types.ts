// Shared vocabulary of the metrics package: what crosses threads, what the gateway renders.

/**
 * One (operation, outcome) histogram recorded during one interval, as sparse HDR counts.
 * `indices` are ascending HDR counts-array indices of the shared layout; `counts[i]` (> 0) is the
 * number of samples at `indices[i]`. Values are integer microseconds.
 */
export interface SeriesSnapshot {
  readonly op: string;
  /** true: the operation succeeded; false: it failed (recorded apart, never merged into successes). */
  readonly ok: boolean;
  readonly count: number;
  /** Exact sum of the recorded (rounded, clamped) values, µs. */
  readonly sumUs: number;
  readonly minUs: number;
  readonly maxUs: number;
  readonly indices: Uint16Array;
  readonly counts: Uint32Array;
}

/**
 * Everything one shard recorded since its previous snapshot. A plain object of numbers, strings and
 * freshly allocated typed arrays: cheap to structured-clone, and its buffers may be transferred
 * (`snapshotTransferList`).
 */
export interface IntervalSnapshot {
  /** Encoding version; the aggregator rejects others. */
  readonly version: 1;
  /** HDR significant digits of the layout the indices refer to; the aggregator rejects a mismatch. */
  readonly digits: number;
  /** Wall-clock ms (Date.now()) when the interval began and ended. */
  readonly startMs: number;
  readonly endMs: number;
  /** Samples refused during the interval (negative, NaN, or an invalid/over-limit operation name). */
  readonly rejected: number;
  /** Samples above 10 min, recorded as 10 min. */
  readonly clamped: number;
  readonly series: readonly SeriesSnapshot[];
}

/** `window` of a performance query: seconds (1..900) ending now, or everything since start. */
export type Window = number | 'all';

export interface PerformanceQuery {
  /** One operation, or every operation when absent. */
  readonly operation?: string | undefined;
  readonly window: Window;
}

/**
 * Stats of one operation (avg, percentiles, success rate). `count` is successes + failures. Latency fields
 * are over successes only and are null when there is none; `success_rate` is ok / (ok + failed) in
 * [0, 1], null when count is 0.
 */
export interface OperationStats {
  count: number;
  avg_ms: number | null;
  p50_ms: number | null;
  p95_ms: number | null;
  p99_ms: number | null;
  p999_ms: number | null;
  min_ms: number | null;
  max_ms: number | null;
  success_rate: number | null;
}

/** The `/metrics/performance` JSON body. */
export interface PerformanceReport {
  window_seconds: Window;
  operations: Record<string, OperationStats>;
}

/** A refused query parameter, as data: the caller decides what error answer it becomes. */
export interface ParamError {
  readonly param: 'window' | 'operation';
  readonly message: string;
}

export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ParamError };

/** Why the aggregator refused a snapshot (nothing of it was applied). */
export interface IngestRefusal {
  readonly ok: false;
  readonly reason: 'malformed' | 'layout';
  readonly message: string;
}

export type IngestResult = { readonly ok: true } | IngestRefusal;

/** One classic Prometheus bucket: samples with HDR highest-equivalent value <= le seconds. */
export interface PromBucket {
  readonly le: number;
  readonly count: number;
}

/** A classic Prometheus histogram: cumulative buckets ending with le = +Inf, sum in seconds. */
export interface PromHistogram {
  readonly buckets: readonly PromBucket[];
  readonly sum: number;
  readonly count: number;
}
