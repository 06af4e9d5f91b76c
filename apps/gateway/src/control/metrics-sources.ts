/**
 * What the Prometheus exporter reads, as narrow views of main's state, so tests can feed synthetic ones
 * (test/support/metrics-load.ts). Observability builds the live one.
 */
import type { DockerEnginesStatus, ProvisionStatus } from '@shardcast/docker-engines';
import type { EngineState } from '@shardcast/engines';
import type { Aggregator } from '@shardcast/metrics';
import type { ProbePoolStats } from '../probe/probe-pool.js';
import type { ProbeResult, StreamMedia } from '../probe/probe-scheduler.js';
import type { OwnerStats, ShardStats, ShardStreamStats } from '../protocol.js';
import type { LifecycleType } from './event-bus.js';
import type { LifecycleCounts } from './lifecycle.js';
import type { QueueStats } from './orchestrator-queue.js';
import type { Readiness } from './telemetry.js';
import type { OwnerField, ShardField } from './traffic-totals.js';

/** One stream as the exporter sees it (StreamEntry fits). */
export interface StreamView {
  readonly id: number;
  readonly token: string;
  readonly state: string;
  readonly ownerStats: OwnerStats | null;
  readonly shardStats: ReadonlyMap<number, ShardStreamStats>;
  readonly control: { bitrate(): number };
}

/** Everything the exporter reads, as narrow views (the benchmark feeds synthetic ones). */
export interface MetricsSources {
  readonly aggregator: Aggregator;
  streams(): Iterable<StreamView>;
  /** HLS viewers of a stream, counted once gateway-wide. */
  hlsViewers(streamId: number): number;
  shards(): readonly ShardStats[];
  readonly shardCount: number;
  isShardReady(shardId: number): boolean;
  restarts(): ReadonlyMap<number, number>;
  readiness(): Readiness;
  readonly traffic: {
    shardIds(): number[];
    shardTotal(shardId: number, field: ShardField): number;
    ownerTotal(field: OwnerField): number;
  };
  readonly lifecycle: { readonly counts: LifecycleCounts };
  published(): ReadonlyMap<LifecycleType, number>;
  engines(): readonly EngineState[];
  docker(): DockerEnginesStatus | null;
  /** Null unless `--provision on`. */
  provisioning?(): ProvisionStatus | null;
  media(): Iterable<[number, StreamMedia]>;
  probeResults(): ReadonlyMap<ProbeResult, number>;
  probePool(): ProbePoolStats | null;
  orchestrator(): QueueStats | null;
}
