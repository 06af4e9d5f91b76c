/**
 * The dashboard feed on main. Once per second it samples the chart series (kept for 15 minutes, served by
 * `GET /api/v1/live/history`) and, while any shard reports an open `/api/v1/live` socket, builds ONE
 * snapshot, serializes it once (twice when a socket holds the API key) and broadcasts the strings to the
 * shards, which publish them to their sockets with uWS pub/sub. Cost is per second, not per viewer.
 * `GET /api/v1/live` answers the same snapshot over HTTP: the page polls it when its socket fails.
 */
import type { EngineRegistry } from '@shardcast/engines';
import type { GatewayConfig } from '../config/types.js';
import type { StreamMedia } from '../probe/probe-scheduler.js';
import type { MainToShard, ShardStats } from '../protocol.js';
import { AdminGate } from './admin-gate.js';
import { type ApiRequest, type ApiResponse, apiError, json } from './api-response.js';
import { presentsKey } from './auth.js';
import { ClientRoster } from './client-roster.js';
import type { StreamDirectory } from './directory.js';
import type { LifecycleEvent } from './event-bus.js';
import {
  type LiveEvent,
  type LiveSnapshot,
  type LiveTiles,
  liveEngine,
  liveStream,
  type StreamRates,
  withClients,
} from './live-snapshot.js';
import type { Telemetry } from './telemetry.js';

const TICK_MS = 1000;
/** Chart history: one point per second for 15 minutes. */
export const HISTORY_POINTS = 900;
/** Stream and engine events kept; the newest are in every snapshot. */
const EVENTS_KEPT = 50;
const EVENTS_IN_SNAPSHOT = 20;
/** The p99 latencies of the snapshot cover this many seconds of the HDR windows. */
const P99_WINDOW_S = 10;
/** An HTTP poll reuses a snapshot younger than this. */
const SNAPSHOT_REUSE_MS = 900;
const BITS_PER_BYTE = 8;

export const LIVE_PATH = '/api/v1/live';
export const HISTORY_PATH = '/api/v1/live/history';

/** Columns of one history point, in order (the history answer names them). */
export const HISTORY_COLUMNS = [
  'at_ms',
  'egress_bits_per_s',
  'ingest_bits_per_s',
  'ts_viewers',
  'hls_viewers',
  'mpegts_client_join_p99_ms',
  'hls_manifest_generation_p99_ms',
  'docker_api_calls_per_min',
] as const;
type HistoryPoint = (number | null)[];

export interface LiveFeedDeps {
  readonly config: GatewayConfig;
  readonly directory: StreamDirectory;
  readonly registry: EngineRegistry;
  readonly telemetry: Telemetry;
  readonly media: (streamId: number) => StreamMedia | null;
  readonly broadcast: (msg: MainToShard) => void;
  /** Docker API calls in the last minute; null while Docker discovery is off. */
  readonly dockerCallsPerMinute: () => number | null;
  /** The provisioner's desired engine count; null while provisioning is off. */
  readonly enginesDesired?: () => number | null;
  /** The admin key check (and its failure limiter) of the rest of the admin API. */
  readonly admin?: AdminGate;
}

export class LiveFeed {
  readonly #deps: LiveFeedDeps;
  readonly #gate: AdminGate;
  readonly roster = new ClientRoster();
  readonly #history: HistoryPoint[] = [];
  readonly #events: LiveEvent[] = [];
  readonly #sockets = new Map<number, { viewers: number; admins: number }>();
  /** streamId → summed bytesOut over shards at the previous tick, and its rate since. */
  readonly #streamBytes = new Map<number, number>();
  readonly #streamRates = new Map<number, number>();
  #lastAtMs = 0;
  #lastEgress = 0;
  #lastIngest = 0;
  #egressBps: number | null = null;
  #ingestBps: number | null = null;
  #timer: NodeJS.Timeout | null = null;
  #offs: Array<() => void> = [];
  #cached: { atMs: number; snapshot: LiveSnapshot } | null = null;
  /** Snapshots broadcast since start (tests, benchmark). */
  broadcasts = 0;

  constructor(deps: LiveFeedDeps) {
    this.#deps = deps;
    this.#gate = deps.admin ?? new AdminGate(deps.config.apiKey);
    const { telemetry, registry, directory } = deps;
    this.#offs.push(
      telemetry.bus.subscribe(
        (e) => this.#pushEvent(describe(e)),
        [
          'stream.opened',
          'stream.ready',
          'stream.failover',
          'stream.closed',
          'engine.started',
          'engine.removed',
        ],
      ),
    );
    const added = (e: { url: string }): void => this.#pushEvent(engineEvent('engine.added', e.url));
    const removed = (e: { url: string }): void => this.#pushEvent(engineEvent('engine.removed', e.url));
    registry.on('added', added);
    registry.on('removed', removed);
    this.#offs.push(
      () => registry.off('added', added),
      () => registry.off('removed', removed),
    );
    const closed = (e: { id: number }): void => {
      this.roster.forgetStream(e.id);
      this.#streamBytes.delete(e.id);
      this.#streamRates.delete(e.id);
    };
    directory.on('closed', closed);
    this.#offs.push(() => directory.off('closed', closed));
  }

  start(): void {
    if (this.#timer) return;
    this.#lastAtMs = Date.now();
    this.#timer = setInterval(() => this.tick(Date.now()), TICK_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    for (const off of this.#offs.splice(0)) off();
  }

  /** A shard's 1 s stats: client identities for the roster, and its open dashboard sockets. */
  observe(shardId: number, stats: ShardStats): void {
    if (stats.clientEvents?.length) this.roster.observe(shardId, stats.clientEvents);
    this.#sockets.set(shardId, { viewers: stats.liveViewers ?? 0, admins: stats.liveAdmins ?? 0 });
  }

  shardDown(shardId: number): void {
    this.roster.forgetShard(shardId);
    this.#sockets.delete(shardId);
  }

  /** One second: sample rates and history; build and broadcast the snapshot when someone watches. */
  tick(nowMs: number): void {
    this.#sample(nowMs);
    let viewers = 0;
    let admins = 0;
    for (const s of this.#sockets.values()) {
      viewers += s.viewers;
      admins += s.admins;
    }
    if (viewers + admins === 0) return;
    const snapshot = this.#snapshot(nowMs);
    this.#deps.broadcast({
      type: 'live',
      public: JSON.stringify(snapshot),
      admin: admins > 0 ? JSON.stringify(this.#admin(snapshot)) : null,
    });
    this.broadcasts++;
  }

  /** `GET /api/v1/live` and `/api/v1/live/history`; null for any other path (the API router's). */
  handle(req: ApiRequest): ApiResponse | null {
    if (req.path !== LIVE_PATH && req.path !== HISTORY_PATH) return null;
    if (req.method !== 'GET' && req.method !== 'HEAD') return apiError('SC_ERR_METHOD_NOT_ALLOWED');
    if (req.path === HISTORY_PATH) {
      return json(200, { columns: HISTORY_COLUMNS, interval_ms: TICK_MS, points: this.#history });
    }
    const now = Date.now();
    const snapshot =
      this.#cached && now - this.#cached.atMs < SNAPSHOT_REUSE_MS
        ? this.#cached.snapshot
        : this.#snapshot(now);
    // Without a key, the public view. A wrong key counts against the address like on every admin route
    // (this answer tells a right key from a wrong one), and an address over its limit gets the 429.
    let admin = false;
    if (presentsKey(req.headers)) {
      const refused = this.#gate.refusal(req);
      if (refused?.status === 429) return refused;
      admin = refused === null;
    }
    return json(200, admin ? this.#admin(snapshot) : snapshot);
  }

  #admin(snapshot: LiveSnapshot): LiveSnapshot {
    const ids = new Map<string, number>();
    for (const e of this.#deps.directory.entries()) ids.set(e.token, e.id);
    return withClients(snapshot, this.roster, ids);
  }

  #sample(nowMs: number): void {
    const { telemetry, directory } = this.#deps;
    const traffic = telemetry.traffic;
    let egress = 0;
    for (const shard of traffic.shardIds()) egress += traffic.shardTotal(shard, 'bytesOut');
    const ingest = traffic.ownerTotal('bytesIn');
    const dtS = (nowMs - this.#lastAtMs) / 1000;
    if (dtS > 0 && this.#lastAtMs > 0) {
      this.#egressBps = Math.max(0, egress - this.#lastEgress) / dtS;
      this.#ingestBps = Math.max(0, ingest - this.#lastIngest) / dtS;
    }
    let ts = 0;
    let hls = 0;
    for (const e of directory.entries()) {
      let bytes = 0;
      for (const s of e.shardStats.values()) {
        bytes += s.bytesOut;
        ts += s.tsClients;
      }
      hls += telemetry.hls.count(e.id);
      const last = this.#streamBytes.get(e.id);
      if (last !== undefined && dtS > 0) this.#streamRates.set(e.id, Math.max(0, bytes - last) / dtS);
      this.#streamBytes.set(e.id, bytes);
    }
    this.#lastAtMs = nowMs;
    this.#lastEgress = egress;
    this.#lastIngest = ingest;
    const p99 = this.#p99(nowMs);
    this.#history.push([
      nowMs,
      bits(this.#egressBps),
      bits(this.#ingestBps),
      ts,
      hls,
      p99.mpegts_client_join,
      p99.hls_manifest_generation,
      this.#deps.dockerCallsPerMinute(),
    ]);
    if (this.#history.length > HISTORY_POINTS) this.#history.shift();
  }

  #p99(nowMs: number): LiveSnapshot['latency_p99_ms'] {
    const aggregator = this.#deps.telemetry.aggregator;
    const p99 = (operation: string): number | null => {
      const s = aggregator.query({ operation, window: P99_WINDOW_S }, nowMs).operations[operation];
      return s && s.count > 0 && s.p99_ms !== null ? s.p99_ms : null;
    };
    return {
      mpegts_client_join: p99('mpegts_client_join'),
      hls_manifest_generation: p99('hls_manifest_generation'),
    };
  }

  #snapshot(nowMs: number): LiveSnapshot {
    const { directory, registry, telemetry, media } = this.#deps;
    const rates: StreamRates = { egressBytesPerS: (id) => this.#streamRates.get(id) ?? null };
    const streams = [...directory.entries()].map((e) =>
      liveStream(e, nowMs, telemetry.hls.count(e.id), rates, media(e.id)),
    );
    const engines = registry.list().map(liveEngine);
    const shardStats = telemetry.shards();
    const readiness = telemetry.readiness(nowMs);
    const tiles: LiveTiles = {
      streams_live: streams.filter((s) => s.state === 'live').length,
      streams_opening: streams.filter((s) => s.state === 'opening').length,
      ts_viewers: streams.reduce((a, s) => a + s.ts_viewers, 0),
      hls_viewers: streams.reduce((a, s) => a + s.hls_viewers, 0),
      egress_bits_per_s: bits(this.#egressBps),
      ingest_bits_per_s: bits(this.#ingestBps),
      engines_healthy: engines.filter((e) => e.healthy).length,
      engines_total: engines.length,
      engines_desired: this.#deps.enginesDesired?.() ?? null,
      shards_ready: readiness.shards.ready,
      shards_total: readiness.shards.total,
      docker_api_calls_per_min: this.#deps.dockerCallsPerMinute(),
      loop_lag_ms: shardStats.length ? Math.max(...shardStats.map((s) => round1(s.loopLagMs))) : null,
    };
    const snapshot: LiveSnapshot = {
      type: 'snapshot',
      at_ms: nowMs,
      uptime_s: Math.round((nowMs - telemetry.startedAtMs) / 1000),
      admin: false,
      tiles,
      latency_p99_ms: this.#p99(nowMs),
      streams,
      engines,
      events: this.#events.slice(-EVENTS_IN_SNAPSHOT).reverse(),
    };
    this.#cached = { atMs: nowMs, snapshot };
    return snapshot;
  }

  #pushEvent(e: LiveEvent): void {
    this.#events.push(e);
    if (this.#events.length > EVENTS_KEPT) this.#events.shift();
  }
}

function bits(bytesPerS: number | null): number | null {
  return bytesPerS === null ? null : Math.round(bytesPerS * BITS_PER_BYTE);
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function engineEvent(type: string, url: string): LiveEvent {
  return { at_ms: Date.now(), type, stream: null, detail: url };
}

function describe(e: LifecycleEvent): LiveEvent {
  if (e.type === 'engine.started')
    return {
      at_ms: e.atMs,
      type: e.type,
      stream: null,
      detail: `${e.name} at ${e.engine.url}${e.provisionMs === null ? ' (adopted)' : ` ready after ${Math.round(e.provisionMs)} ms`}`,
    };
  if (e.type === 'engine.removed')
    return { at_ms: e.atMs, type: e.type, stream: null, detail: `${e.name} at ${e.engine.url}: ${e.reason}` };
  if (e.type === 'client.joined' || e.type === 'client.left')
    return { at_ms: e.atMs, type: e.type, stream: e.stream, detail: '' };
  const base = { at_ms: e.atMs, type: e.type, stream: e.stream };
  switch (e.type) {
    case 'stream.opened':
      return { ...base, detail: `on ${e.engine.url}, owner shard ${e.owner}` };
    case 'stream.ready':
      return { ...base, detail: `playable after ${Math.round(e.openMs)} ms` };
    case 'stream.failover':
      return { ...base, detail: `${e.from.url} → ${e.to.url}` };
    case 'stream.closed':
      return { ...base, detail: `${e.reason} after ${Math.round(e.ageMs / 1000)} s` };
    default:
      return { ...base, detail: '' };
  }
}
