/**
 * Monotonic totals of the shards' per-stream counters, kept on main so Prometheus counters never go down:
 * not when a stream closes (its last values stay in the totals), and not when a shard restarts or a
 * stream moves to another owner (their counters restart at zero; a value below the last one seen is
 * read as a reset and counted from zero). The only loss is what a dying shard counted after its last
 * `stats` message (at most one interval). Work is O(1) per observed stream per second; rendering reads
 * the totals only.
 */
import type { OwnerStats, ShardStreamStats } from '../protocol.js';

/** Per-shard, per-stream counters (shipped cumulative per stream and shard). */
export const SHARD_FIELDS = ['bytesOut', 'skips', 'drops', 'nullPackets', 'hlsSegmentsServed'] as const;
/** Owner (ingest) counters, one owner per stream. */
export const OWNER_FIELDS = ['bytesIn', 'reconnects', 'segments', 'discontinuities', 'syncLosses'] as const;

export type ShardField = (typeof SHARD_FIELDS)[number];
export type OwnerField = (typeof OWNER_FIELDS)[number];

const SHARD_INDEX = new Map(SHARD_FIELDS.map((f, i) => [f, i]));
const OWNER_INDEX = new Map(OWNER_FIELDS.map((f, i) => [f, i]));

interface OwnerLast {
  shard: number;
  readonly values: Float64Array;
}

/** Adds the increase of `next` over `last` into `totals` (a drop means the source restarted at zero). */
function accumulate(last: Float64Array, next: readonly number[], totals: Float64Array): void {
  for (let i = 0; i < next.length; i++) {
    const v = next[i]!;
    if (!(v >= 0)) continue;
    const prev = last[i]!;
    totals[i]! += v >= prev ? v - prev : v;
    last[i] = v;
  }
}

export class TrafficTotals {
  readonly #shardLast = new Map<number, Map<number, Float64Array>>();
  readonly #ownerLast = new Map<number, OwnerLast>();
  readonly #shardTotals = new Map<number, Float64Array>();
  readonly #ownerTotals = new Float64Array(OWNER_FIELDS.length);
  readonly #scratch: number[] = [];

  observeShard(shardId: number, s: ShardStreamStats): void {
    let byShard = this.#shardLast.get(s.streamId);
    if (!byShard) {
      byShard = new Map();
      this.#shardLast.set(s.streamId, byShard);
    }
    let last = byShard.get(shardId);
    if (!last) {
      last = new Float64Array(SHARD_FIELDS.length);
      byShard.set(shardId, last);
    }
    const v = this.#scratch;
    v.length = 0;
    for (const f of SHARD_FIELDS) v.push(s[f]);
    accumulate(last, v, this.#totalsOf(shardId));
  }

  observeOwner(shardId: number, o: OwnerStats): void {
    let last = this.#ownerLast.get(o.streamId);
    if (!last) {
      last = { shard: shardId, values: new Float64Array(OWNER_FIELDS.length) };
      this.#ownerLast.set(o.streamId, last);
    } else if (last.shard !== shardId) {
      // A new owner (the old shard died): its counters start from zero.
      last.shard = shardId;
      last.values.fill(0);
    }
    const v = this.#scratch;
    v.length = 0;
    for (const f of OWNER_FIELDS) v.push(o[f]);
    accumulate(last.values, v, this.#ownerTotals);
  }

  /** The stream closed: its counted values stay in the totals; its baselines go. */
  forget(streamId: number): void {
    this.#shardLast.delete(streamId);
    this.#ownerLast.delete(streamId);
  }

  /** A shard restarted: every baseline it reported is gone with it (new streams counters start at zero). */
  forgetShard(shardId: number): void {
    for (const byShard of this.#shardLast.values()) byShard.delete(shardId);
  }

  shardTotal(shardId: number, field: ShardField): number {
    return this.#shardTotals.get(shardId)?.[SHARD_INDEX.get(field)!] ?? 0;
  }

  /** Shards that ever reported a stream counter. */
  shardIds(): number[] {
    return [...this.#shardTotals.keys()].sort((a, b) => a - b);
  }

  ownerTotal(field: OwnerField): number {
    return this.#ownerTotals[OWNER_INDEX.get(field) ?? 0] ?? 0;
  }

  /** Streams with baselines (for tests and a leak check). */
  get tracked(): number {
    return this.#shardLast.size + this.#ownerLast.size;
  }

  #totalsOf(shardId: number): Float64Array {
    let t = this.#shardTotals.get(shardId);
    if (!t) {
      t = new Float64Array(SHARD_FIELDS.length);
      this.#shardTotals.set(shardId, t);
    }
    return t;
  }
}
