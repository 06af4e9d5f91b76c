/**
 * Control-plane HTTP on the main thread. Shards forward these requests (they hold no control state) and
 * relay the answer. Routes: /ready, /metrics, /metrics/performance, /api/v1/streams[/<stream>],
 * DELETE /api/v1/streams/<stream> (API key), /api/v1/engines.
 */
import type { EngineRegistry } from '@shardcast/engines';
import type { GatewayConfig } from '../config/types.js';
import type { StreamMedia } from '../probe/probe-scheduler.js';
import { keyString, parseKeyToken, type StreamKind } from '../stream-key.js';
import { AdminGate } from './admin-gate.js';
import { type ApiRequest, type ApiResponse, apiError, decodePathSegment, json } from './api-response.js';
import { channelView } from './channel-view.js';
import type { StreamDirectory, StreamEntry } from './directory.js';
import { performanceResponse } from './performance.js';
import type { Provisioning } from './provisioning.js';
import type { Telemetry } from './telemetry.js';

export { type ApiRequest, type ApiResponse, apiError, json } from './api-response.js';

/** What the observability routes need (absent in tests that build a bare router). */
export interface ObservabilityApi {
  /** Prometheus exposition text and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Latest probe result of a stream, or null. */
  media(streamId: number): StreamMedia | null;
}

export class ApiRouter {
  readonly #config: GatewayConfig;
  readonly #directory: StreamDirectory;
  readonly #registry: EngineRegistry;
  readonly #telemetry: Telemetry;
  readonly #observability: ObservabilityApi | null;
  readonly #provisioning: Provisioning | null;
  readonly #gate: AdminGate;

  constructor(
    config: GatewayConfig,
    directory: StreamDirectory,
    registry: EngineRegistry,
    telemetry: Telemetry,
    observability: ObservabilityApi | null = null,
    provisioning: Provisioning | null = null,
    gate: AdminGate = new AdminGate(config.apiKey),
  ) {
    this.#gate = gate;
    this.#provisioning = provisioning;
    this.#config = config;
    this.#directory = directory;
    this.#registry = registry;
    this.#telemetry = telemetry;
    this.#observability = observability;
  }

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const { method, path } = req;
    const read = method === 'GET' || method === 'HEAD';
    if (path === '/ready') {
      if (!read) return apiError('SC_ERR_METHOD_NOT_ALLOWED');
      const r = this.#telemetry.readiness();
      return json(r.ready ? 200 : 503, r);
    }
    if (path === '/metrics') {
      if (!read) return apiError('SC_ERR_METHOD_NOT_ALLOWED');
      if (!this.#observability) return apiError('SC_ERR_NOT_FOUND');
      const t0 = performance.now();
      let m: { contentType: string; body: string };
      try {
        m = await this.#observability.metrics();
      } catch (err) {
        this.#telemetry.recordMain('prometheus_render', performance.now() - t0, false);
        throw err;
      }
      this.#telemetry.recordMain('prometheus_render', performance.now() - t0, true);
      return {
        status: 200,
        headers: { 'Content-Type': m.contentType, 'Cache-Control': 'no-store' },
        body: m.body,
      };
    }
    if (path === '/metrics/performance') {
      if (!read) return apiError('SC_ERR_METHOD_NOT_ALLOWED');
      const t0 = performance.now();
      const r = performanceResponse(this.#telemetry.aggregator, req.query);
      // A 400 (bad window or operation) is the caller's mistake, not a render: not timed.
      if (r.status === 200) this.#telemetry.recordMain('performance_render', performance.now() - t0, true);
      return r;
    }
    if (path === '/api/v1/streams') {
      if (!read) return apiError('SC_ERR_METHOD_NOT_ALLOWED');
      return json(200, { streams: [...this.#directory.entries()].map((e) => this.#stream(e)) });
    }
    if (path.startsWith('/api/v1/streams/')) {
      const remove = method === 'DELETE';
      if (!remove && !read) return apiError('SC_ERR_METHOD_NOT_ALLOWED');
      if (remove) {
        const denied = this.#admin(req);
        if (denied) return denied;
      }
      // Spelled as players may spell it: `/ace/getstream?id=ABCD…` plays the lower-case stream, and its
      // upper-case id answered 404 here, so a DELETE to close it said "No such stream is open".
      const given = decodePathSegment(path.slice('/api/v1/streams/'.length));
      if (given === null) return apiError('SC_ERR_BAD_PATH');
      const key = parseKeyToken(given);
      const token = key ? keyString(key) : given;
      const entry = this.#directory.byToken(token);
      if (!entry) return apiError('SC_ERR_STREAM_NOT_FOUND');
      if (!remove) return json(200, this.#stream(entry));
      this.#directory.forceClose(entry.id, 'stopped');
      return json(200, { stream: token, closed: true });
    }
    if (path === '/api/v1/engines') {
      if (method === 'POST') return this.#setFloor(req);
      if (!read) return apiError('SC_ERR_METHOD_NOT_ALLOWED');
      return json(200, { engines: this.#engines(), provisioning: this.#provisioningView() });
    }
    const drain = /^\/api\/v1\/engines\/([^/]+)\/(drain|resume)$/.exec(path);
    if (drain) {
      if (method !== 'POST') return apiError('SC_ERR_METHOD_NOT_ALLOWED');
      const denied = this.#admin(req);
      if (denied) return denied;
      const id = decodePathSegment(drain[1] ?? '');
      if (id === null) return apiError('SC_ERR_BAD_PATH');
      return drain[2] === 'drain' ? this.#drain(id) : this.#resume(id);
    }
    return apiError('SC_ERR_NOT_FOUND');
  }

  /** `POST /api/v1/engines {"count": N}`: the operator's floor of managed engines. */
  #setFloor(req: ApiRequest): ApiResponse {
    const denied = this.#admin(req);
    if (denied) return denied;
    if (!this.#provisioning) return apiError('SC_ERR_PROVISIONING_OFF');
    let body: unknown;
    try {
      body = JSON.parse(req.body ?? '');
    } catch {
      return apiError('SC_ERR_BAD_COUNT');
    }
    const count = (body as { count?: unknown } | null)?.count;
    const keys = typeof body === 'object' && body !== null && !Array.isArray(body) ? Object.keys(body) : [];
    if (
      keys.length !== 1 ||
      typeof count !== 'number' ||
      !Number.isInteger(count) ||
      count < 0 ||
      count > this.#config.provisionMax
    )
      return apiError('SC_ERR_BAD_COUNT');
    const desired = this.#provisioning.setFloor(count);
    return json(200, { floor: count, desired });
  }

  /**
   * `POST /api/v1/engines/<id>/drain` (key checked, id decoded by the caller): no new streams, its streams
   * move away; a managed engine then goes.
   */
  #drain(id: string): ApiResponse {
    const known = this.#registry.get(id) !== undefined || this.#provisioning?.manages(id) === true;
    if (!known) return apiError('SC_ERR_ENGINE_NOT_FOUND');
    if (this.#provisioning) this.#provisioning.drain(id);
    else {
      this.#registry.setLifecycle(id, 'draining');
      this.#directory.engineGone(id, true);
    }
    const managed = this.#provisioning?.manages(id) === true;
    return json(202, { engine: id, state: 'draining', managed, removed_when_empty: managed });
  }

  /**
   * `POST /api/v1/engines/<id>/resume`: a drained static or discovered engine takes new streams again. A
   * drain had no way back: drained by mistake (the dashboard's button), the only engine refused every new
   * stream with 503 SC_ERR_NO_ENGINE until a restart, while /ready stayed green. A managed engine's drain
   * ends in its removal (a replacement is already on its way): 409.
   */
  #resume(id: string): ApiResponse {
    if (this.#provisioning?.manages(id) === true) {
      const state = this.#provisioning.get(id)?.state;
      // A managed engine that was never drained is already taking streams: nothing to undo.
      if (state === 'draining' || state === 'stopping') return apiError('SC_ERR_ENGINE_MANAGED');
      return json(200, { engine: id, state: state ?? 'ready', managed: true });
    }
    if (this.#registry.get(id) === undefined) return apiError('SC_ERR_ENGINE_NOT_FOUND');
    this.#registry.setLifecycle(id, 'ready');
    return json(200, { engine: id, state: 'ready', managed: false });
  }

  #admin(req: ApiRequest): ApiResponse | null {
    return this.#gate.refusal(req);
  }

  #provisioningView(): unknown {
    if (!this.#provisioning) return null;
    const s = this.#provisioning.status();
    return {
      gateway_id: s.gatewayId,
      docker: { endpoint: s.docker.endpoint, up: s.docker.up, error: s.docker.error },
      desired: s.desired,
      floor: s.floor,
      min: s.min,
      max: s.max,
      managed: s.managed,
      breaker: {
        open: s.breaker.open,
        reason: s.breaker.reason,
        retry_at: s.breaker.retryAtMs === null ? null : new Date(s.breaker.retryAtMs).toISOString(),
      },
      last_error: s.lastError,
    };
  }

  #engines(): unknown[] {
    const now = Date.now();
    const p = this.#provisioning;
    const rows: unknown[] = this.#registry.list().map((e) => {
      const m = p?.get(e.id) ?? null;
      const since = m?.createdAtMs ?? e.addedAtMs ?? null;
      return {
        id: e.id,
        url: e.url,
        source: e.source,
        kind: m ? 'managed' : e.source === 'docker' ? 'discovered' : 'static',
        state: m ? m.state : e.lifecycle,
        age_seconds: since === null ? null : round((now - since) / 1000),
        container: e.containerId ? { id: e.containerId, name: e.containerName ?? null } : null,
        healthy: e.healthy,
        streams: e.streams,
        consecutive_failures: e.consecutiveFailures,
        last_error: e.lastError ?? m?.lastError ?? null,
        last_probe_age_seconds: e.lastProbeAtMs === null ? null : round((now - e.lastProbeAtMs) / 1000),
        version: e.version,
        stats: e.stats ? { ...e.stats, age_seconds: round((now - e.stats.atMs) / 1000) } : null,
      };
    });
    // Managed engines the registry does not list (yet): being created, started, or removed.
    for (const m of p?.managed() ?? []) {
      if (this.#registry.get(m.id)) continue;
      rows.push({
        id: m.id,
        url: m.url,
        source: 'docker',
        kind: 'managed',
        state: m.state,
        age_seconds: round((now - m.createdAtMs) / 1000),
        container: m.containerId ? { id: m.containerId, name: m.name } : null,
        healthy: false,
        streams: 0,
        consecutive_failures: 0,
        last_error: m.lastError,
        last_probe_age_seconds: null,
        version: null,
        stats: null,
      });
    }
    return rows;
  }

  #stream(e: StreamEntry): unknown {
    const now = Date.now();
    const byShard = [...e.shardStats.entries()].map(([shard, s]) => ({
      shard,
      ts_clients: s.tsClients,
      hls_viewers: s.hlsViewers,
      bytes_out: s.bytesOut,
      skips: s.skips,
      drops: s.drops,
    }));
    const sum = (f: (s: (typeof byShard)[number]) => number): number => byShard.reduce((a, s) => a + f(s), 0);
    const o = e.ownerStats;
    return {
      stream: e.token,
      key: { type: keyType(e.key.kind), value: e.key.hex },
      channel: channelView(e, this.#directory.channels, now),
      state: e.state,
      owner_shard: e.owner,
      engine: { id: e.engine.id, url: e.engine.url },
      upstream: o?.upstream ?? null,
      generation: e.control.generation(),
      age_seconds: round((now - e.openedAtMs) / 1000),
      open_ms: e.readyAtMs === null ? null : e.readyAtMs - e.openedAtMs,
      bitrate_bps: e.control.bitrate(),
      clients: { ts: sum((s) => s.ts_clients), hls: this.#telemetry.hls.count(e.id), by_shard: byShard },
      bytes_in: o?.bytesIn ?? 0,
      bytes_out: sum((s) => s.bytes_out),
      skips: sum((s) => s.skips),
      drops: sum((s) => s.drops),
      reconnects: o?.reconnects ?? 0,
      failovers: e.failovers,
      hls: { segments: o?.segments ?? 0, discontinuities: o?.discontinuities ?? 0 },
      session: o?.session ?? null,
      engine_stat: o?.engineStat ?? null,
      media: this.#observability?.media(e.id) ?? null,
    };
  }
}

function keyType(kind: StreamKind): string {
  return kind === 'id' ? 'content_id' : kind;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
