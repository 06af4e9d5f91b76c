// Main-thread aggregation of every shard's interval snapshots. Single-threaded; not shared.
import { Dense } from './dense.js';
import { MAX_OPERATIONS } from './ops.js';
import { DEFAULT_LE_SECONDS, type PromSeries, promHistogramOf, renderPromHistogram } from './prometheus.js';
import { checkSnapshot } from './snapshot.js';
import { OpStore } from './store.js';
import { emptyStats, statsOf } from './summary.js';
import type {
  IngestResult,
  IntervalSnapshot,
  OperationStats,
  PerformanceQuery,
  PerformanceReport,
  PromHistogram,
} from './types.js';
import { isWindow, RETENTION_SECONDS } from './window.js';

const MS_PER_SECOND = 1000;
// Stands in for an operation never recorded; never written to.
const NEVER_RECORDED = new Dense();

/** Default family name of the exported latency histograms. */
export const DURATION_METRIC = 'shardcast_operation_duration_seconds';
const DURATION_HELP = 'Duration of gateway operations in seconds, from merged HDR histograms of every shard.';

/** Which outcome a Prometheus series covers; exported as the `outcome` label. */
export type Outcome = 'success' | 'error';

/** Lifetime counters of an aggregator, for the gateway's own metrics. */
export interface AggregatorStats {
  readonly snapshots: number;
  /** Snapshots refused whole (malformed or another layout). */
  readonly refused: number;
  /** Series of a new operation name beyond MAX_OPERATIONS: dropped. */
  readonly droppedSeries: number;
  /** Times the wall clock stepped back by more than the retention and the windows were cleared. */
  readonly clockResets: number;
  /** Samples the shards refused (rejected) or clamped to 10 min, summed from their snapshots. */
  readonly rejectedSamples: number;
  readonly clampedSamples: number;
}

export interface RenderOptions {
  readonly name?: string;
  readonly help?: string;
  /** Constant labels added to every series (e.g. a node name). */
  readonly labels?: Readonly<Record<string, string>>;
  readonly leSeconds?: readonly number[];
}

/**
 * Merges shard snapshots into per-second windows (15 min) and cumulative histograms per operation,
 * and answers `/metrics/performance` queries and Prometheus histograms from them.
 */
export class Aggregator {
  readonly #ops = new Map<string, OpStore>();
  // Query scratch: one reused accumulator, so a report allocates no counts arrays.
  readonly #acc = new Dense();
  readonly #lastEndMs = new Map<number, number>();
  #newestSec = Number.NEGATIVE_INFINITY;
  #snapshots = 0;
  #refused = 0;
  #droppedSeries = 0;
  #clockResets = 0;
  #rejectedSamples = 0;
  #clampedSamples = 0;

  /** @param known operation names every report and histogram lists, recorded or not, in this order. */
  constructor(known: readonly string[] = []) {
    for (const op of known) this.#store(op);
  }

  /**
   * Merges one shard's snapshot; its samples count in the wall-clock second of `endMs`. The snapshot
   * is checked first and applied whole or not at all. Its typed arrays are kept (not copied): the
   * caller must not reuse them.
   */
  ingest(shardId: number, snap: IntervalSnapshot): IngestResult {
    const refusal = checkSnapshot(snap);
    if (refusal !== undefined) {
      this.#refused++;
      return refusal;
    }
    this.#snapshots++;
    this.#rejectedSamples += snap.rejected;
    this.#clampedSamples += snap.clamped;
    this.#lastEndMs.set(shardId, snap.endMs);
    const sec = Math.floor(snap.endMs / MS_PER_SECOND);
    if (sec <= this.#newestSec - RETENTION_SECONDS) this.#clockSteppedBack();
    if (sec > this.#newestSec) this.#newestSec = sec;
    for (const s of snap.series) {
      const store = this.#store(s.op);
      if (store === undefined) {
        this.#droppedSeries++;
        continue;
      }
      store.addCumulative(s);
      store.addWindow(sec, s);
    }
    return { ok: true };
  }

  /**
   * The `/metrics/performance` body. `window` seconds cover the seconds (now - window, now], exact
   * over the merged per-second buckets; 'all' is everything since start. Every known operation is
   * listed (empty stats when idle); `operation` narrows the report to that one name, known or not.
   */
  query(q: PerformanceQuery, nowMs: number): PerformanceReport {
    if (!isWindow(q.window))
      throw new RangeError('window must be an integer from 1 to 900 or "all" (use parseWindow).');
    const names = q.operation === undefined ? this.operations() : [q.operation];
    // fromEntries defines own keys, so even `?operation=__proto__` stays a plain key in the JSON.
    const operations = Object.fromEntries(names.map((op) => [op, this.#statsOf(op, q.window, nowMs)]));
    return { window_seconds: q.window, operations };
  }

  /** Cumulative classic histogram of one operation and outcome (zeros for a name never recorded). */
  toPrometheusHistogram(
    op: string,
    outcome: Outcome = 'success',
    leSeconds = DEFAULT_LE_SECONDS,
  ): PromHistogram {
    const store = this.#ops.get(op);
    if (store === undefined) return promHistogramOf(NEVER_RECORDED, leSeconds);
    return promHistogramOf(outcome === 'success' ? store.allOk : store.allFail, leSeconds);
  }

  /**
   * Exposition text of the latency family for every operation and both outcomes (labels
   * `operation`, `outcome`), zeros included so `rate()` works from the first scrape.
   */
  renderPrometheus(options: RenderOptions = {}): string {
    const series: PromSeries[] = [];
    for (const op of this.operations()) {
      for (const outcome of ['success', 'error'] as const) {
        series.push({
          labels: { ...options.labels, operation: op, outcome },
          histogram: this.toPrometheusHistogram(op, outcome, options.leSeconds),
        });
      }
    }
    return renderPromHistogram(options.name ?? DURATION_METRIC, options.help ?? DURATION_HELP, series);
  }

  /** Known operations first (fixed order), then other recorded names in order of appearance. */
  operations(): string[] {
    return [...this.#ops.keys()];
  }

  /** endMs of the last snapshot ingested from a shard (e.g. to spot a shard that stopped reporting). */
  lastSnapshotMs(shardId: number): number | undefined {
    return this.#lastEndMs.get(shardId);
  }

  /** Bytes held by histogram arrays (windows + cumulative), for a memory gauge. Walks every slot. */
  retainedBytes(): number {
    let bytes = 0;
    for (const store of this.#ops.values()) bytes += store.retainedBytes();
    return bytes;
  }

  get stats(): AggregatorStats {
    return {
      snapshots: this.#snapshots,
      refused: this.#refused,
      droppedSeries: this.#droppedSeries,
      clockResets: this.#clockResets,
      rejectedSamples: this.#rejectedSamples,
      clampedSamples: this.#clampedSamples,
    };
  }

  #statsOf(op: string, window: number | 'all', nowMs: number): OperationStats {
    const store = this.#ops.get(op);
    if (store === undefined) return emptyStats();
    if (window === 'all') return statsOf(store.allOk, store.allFail.count);
    const nowSec = Math.floor(nowMs / MS_PER_SECOND);
    const acc = this.#acc;
    acc.reset();
    const failed = store.collect(nowSec - window + 1, nowSec, acc);
    return statsOf(acc, failed);
  }

  #store(op: string): OpStore | undefined {
    let store = this.#ops.get(op);
    if (store === undefined && this.#ops.size < MAX_OPERATIONS) {
      store = new OpStore();
      this.#ops.set(op, store);
    }
    return store;
  }

  // A snapshot a whole retention behind the newest one means the wall clock jumped back (no live
  // shard is 15 min late): the old windows would hide every new second, so start them afresh.
  // Smaller steps back only blur the seconds they overlap; a monotonic time base avoids both.
  #clockSteppedBack(): void {
    this.#clockResets++;
    this.#newestSec = Number.NEGATIVE_INFINITY;
    for (const store of this.#ops.values()) store.clearWindows();
  }
}
