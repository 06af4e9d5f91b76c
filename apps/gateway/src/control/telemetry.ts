/**
 * Telemetry on the main thread: the latest per-shard statistics (clients, loop lag), readiness, the
 * merged latency histograms, monotonic traffic totals and the lifecycle event bus. Shards push a `stats`
 * message every second; nothing here polls a shard. Main's own timings (`stream_open`,
 * `docker_stats_collection`) go through a main-thread Recorder that joins the same Aggregator as a
 * pseudo-shard, so every latency has one source of truth.
 */

import type { ProvisionStatus } from '@shardcast/docker-engines';
import type { EngineRegistry } from '@shardcast/engines';
import { Aggregator, Recorder } from '@shardcast/metrics';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { OPERATIONS, type OperationName } from '../operations.js';
import type { ClientEvent, EngineRef, EngineSessionRef, ShardStats } from '../protocol.js';
import type { StreamDirectory } from './directory.js';
import { EventBus } from './event-bus.js';
import { HlsSessions } from './hls-sessions.js';
import { Lifecycle } from './lifecycle.js';
import type { ShardSupervisor } from './supervisor.js';
import { TrafficTotals } from './traffic-totals.js';

/** A shard whose event loop lags more than this is not ready. */
export const READY_MAX_LAG_MS = 250;
/** Shard stats older than this are stale (the shard is stuck or gone). */
const STALE_MS = 5000;
/** Aggregator source id of the main thread's own recorder (shard ids are 0..63). */
export const MAIN_METRICS_SOURCE = 1000;
const MAIN_SNAPSHOT_MS = 1000;

export interface Readiness {
  readonly ready: boolean;
  readonly shards: { readonly ready: number; readonly total: number };
  readonly maxLoopLagMs: number;
  readonly healthyEngines: number;
  readonly reasons: readonly string[];
  /** With `--provision on`: the daemon, the creation breaker and the fleet size. */
  readonly provisioning?: ProvisionReadiness;
}

export interface ProvisionReadiness {
  readonly docker: 'up' | 'down';
  readonly docker_error: string | null;
  readonly breaker: 'open' | 'closed';
  readonly breaker_reason: string | null;
  readonly desired: number;
  readonly managed: number;
}

/** What telemetry reads from the shard supervisor (a narrow view, so a router can be built in-process). */
export type ShardReadiness = Pick<ShardSupervisor, 'size' | 'readyCount' | 'isReady'>;

export class Telemetry {
  readonly #directory: StreamDirectory;
  readonly #registry: EngineRegistry;
  readonly #supervisor: ShardReadiness;
  readonly #shards = new Map<number, ShardStats>();
  readonly #restarts = new Map<number, number>();
  readonly aggregator = new Aggregator(OPERATIONS);
  /** Main-thread timings (stream_open, docker_stats_collection). */
  readonly recorder = new Recorder(Date.now(), OPERATIONS);
  readonly traffic = new TrafficTotals();
  readonly bus = new EventBus();
  readonly lifecycle: Lifecycle;
  /** HLS viewers, counted once gateway-wide by session. */
  readonly hls: HlsSessions;
  readonly startedAtMs = Date.now();
  /** Set by the gateway with `--provision on`. */
  provisioning: (() => ProvisionStatus) | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(
    config: GatewayConfig,
    directory: StreamDirectory,
    registry: EngineRegistry,
    supervisor: ShardReadiness,
    log: Logger | null = null,
  ) {
    this.#directory = directory;
    this.#registry = registry;
    this.#supervisor = supervisor;
    this.lifecycle = new Lifecycle(this.bus, registry, this.recorder, log);
    this.lifecycle.attach(directory);
    this.hls = new HlsSessions(config.hlsViewerTimeoutSeconds * 1000);
    directory.on('closed', (e) => {
      this.traffic.forget(e.id);
      this.lifecycle.clients(-1, this.hls.forget(e.id, Date.now()), 0, () => e.token);
    });
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#flushMain(), MAIN_SNAPSHOT_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#flushMain();
  }

  /** Records a main-thread operation (e.g. the DockerEngines `onCollect` hook). */
  recordMain(op: OperationName, ms: number, ok: boolean): void {
    this.recorder.recordMs(op, ms, ok);
  }

  shardStats(shardId: number, stats: ShardStats): void {
    this.#shards.set(shardId, stats);
    this.#directory.recordShardStats(shardId, stats.streams);
    this.#directory.recordOwnerStats(stats.owned);
    this.aggregator.ingest(shardId, stats.metrics);
    // Only streams the directory still knows: a late report of a closed stream would count twice.
    for (const s of stats.streams)
      if (this.#directory.byId(s.streamId)) this.traffic.observeShard(shardId, s);
    for (const o of stats.owned) if (this.#directory.byId(o.streamId)) this.traffic.observeOwner(shardId, o);
    const events: ClientEvent[] = [...(stats.clientEvents ?? [])];
    for (const s of stats.streams) {
      if (s.hlsSessions.length > 0 && this.#directory.byId(s.streamId)) {
        events.push(...this.hls.observe(s.streamId, s.hlsSessions, stats.atMs));
      }
    }
    if (events.length || stats.clientEventsDropped) {
      this.lifecycle.clients(
        shardId,
        events,
        stats.clientEventsDropped ?? 0,
        (id) => this.#directory.byId(id)?.token ?? null,
      );
    }
  }

  ownerSession(streamId: number, engine: EngineRef, session: EngineSessionRef): void {
    const entry = this.#directory.byId(streamId);
    if (entry) this.lifecycle.session(entry, engine, session);
  }

  /** A shard died; its stream counters restart with its successor. */
  shardDown(shardId: number): void {
    this.#shards.delete(shardId);
    this.traffic.forgetShard(shardId);
  }

  shardRestarted(shardId: number): void {
    this.#restarts.set(shardId, (this.#restarts.get(shardId) ?? 0) + 1);
  }

  /** Respawns per shard since start. */
  restarts(): ReadonlyMap<number, number> {
    return this.#restarts;
  }

  shards(): ShardStats[] {
    return [...this.#shards.values()];
  }

  get shardCount(): number {
    return this.#supervisor.size;
  }

  isShardReady(shardId: number): boolean {
    return this.#supervisor.isReady(shardId);
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
    const p = this.provisioning?.() ?? null;
    if (healthyEngines === 0) {
      const why = p?.breaker.open ? ` (engine creation paused: ${p.breaker.reason})` : '';
      reasons.push(`no healthy engine${why}`);
    }
    return {
      ready: reasons.length === 0,
      shards: { ready, total },
      maxLoopLagMs: maxLag,
      healthyEngines,
      reasons,
      ...(p
        ? {
            provisioning: {
              docker: p.docker.up ? 'up' : 'down',
              docker_error: p.docker.error,
              breaker: p.breaker.open ? 'open' : 'closed',
              breaker_reason: p.breaker.reason,
              desired: p.desired,
              managed: p.managed,
            },
          }
        : {}),
    };
  }

  #flushMain(): void {
    const now = Date.now();
    this.aggregator.ingest(MAIN_METRICS_SOURCE, this.recorder.snapshot(now));
    const left = this.hls.expire(now);
    if (left.length) this.lifecycle.clients(-1, left, 0, (id) => this.#directory.byId(id)?.token ?? null);
  }
}
