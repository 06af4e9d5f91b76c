/**
 * Telemetry on the main thread: the latest per-shard statistics (clients, loop lag), readiness, and the
 * merged latency histograms. Shards push a `stats` message every second; nothing here polls a shard.
 */

import type { EngineRegistry } from '@shardcast/docker-engines';
import { Aggregator } from '@shardcast/metrics';
import type { GatewayConfig } from '../config/types.js';
import type { EngineRef, ShardStats } from '../protocol.js';
import type { StreamDirectory } from './directory.js';
import type { ShardSupervisor } from './supervisor.js';

/** A shard whose event loop lags more than this is not ready. */
export const READY_MAX_LAG_MS = 250;
/** Shard stats older than this are stale (the shard is stuck or gone). */
const STALE_MS = 5000;

export interface Readiness {
  readonly ready: boolean;
  readonly shards: { readonly ready: number; readonly total: number };
  readonly maxLoopLagMs: number;
  readonly healthyEngines: number;
  readonly reasons: readonly string[];
}

export class Telemetry {
  readonly #directory: StreamDirectory;
  readonly #registry: EngineRegistry;
  readonly #supervisor: ShardSupervisor;
  readonly #shards = new Map<number, ShardStats>();
  readonly aggregator = new Aggregator();
  readonly startedAtMs = Date.now();

  constructor(
    _config: GatewayConfig,
    directory: StreamDirectory,
    registry: EngineRegistry,
    supervisor: ShardSupervisor,
  ) {
    this.#directory = directory;
    this.#registry = registry;
    this.#supervisor = supervisor;
  }

  start(): void {}

  stop(): void {}

  shardStats(shardId: number, stats: ShardStats): void {
    this.#shards.set(shardId, stats);
    this.#directory.recordShardStats(shardId, stats.streams);
    this.#directory.recordOwnerStats(stats.owned);
    this.aggregator.ingest(shardId, stats.metrics);
  }

  ownerEvent(_streamId: number, _event: string, _engine: EngineRef, _detail: Record<string, unknown>): void {}

  shards(): ShardStats[] {
    return [...this.#shards.values()];
  }

  readiness(nowMs = Date.now()): Readiness {
    const reasons: string[] = [];
    const total = this.#supervisor.size;
    const ready = this.#supervisor.readyCount;
    if (ready < total) reasons.push(`${total - ready} of ${total} shards are not ready`);
    let maxLag = 0;
    for (let i = 0; i < total; i++) {
      const s = this.#shards.get(i);
      if (!s || nowMs - s.atMs > STALE_MS) {
        if (this.#supervisor.isReady(i) && nowMs - this.startedAtMs > STALE_MS)
          reasons.push(`shard ${i} sent no statistics for 5 s`);
        continue;
      }
      maxLag = Math.max(maxLag, s.loopLagMs);
    }
    if (maxLag > READY_MAX_LAG_MS)
      reasons.push(`event-loop lag ${maxLag.toFixed(0)} ms exceeds ${READY_MAX_LAG_MS} ms`);
    const healthyEngines = this.#registry.list().filter((e) => e.healthy).length;
    if (healthyEngines === 0) reasons.push('no healthy engine');
    return {
      ready: reasons.length === 0,
      shards: { ready, total },
      maxLoopLagMs: maxLag,
      healthyEngines,
      reasons,
    };
  }
}
