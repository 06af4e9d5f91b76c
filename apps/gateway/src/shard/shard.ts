/**
 * A shard: one uWS app on the shared port, the streams it can serve (all of them), the streams it owns
 * (ingests), its client pump, and its telemetry. Thin face over its parts; the protocol switch lives here.
 */

import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import { isUtf8 } from 'node:buffer';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Recorder } from '@shardcast/metrics';
import { TokenGate } from '../access/token-gate.js';
import { CorsPolicy } from '../http/cors.js';
import { ASSET_PREFIX, assetRequest, DashboardAssets, serveAsset } from '../http/dashboard-assets.js';
import { FORWARDED_PROTO, ForwardedTrust } from '../http/forwarded.js';
import { mountRoutes, type RouteHandler } from '../http/front.js';
import { failReply } from '../http/guard.js';
import { errorBody, Reply, type RequestContext } from '../http/respond.js';
import { methodsOfPath } from '../http/route-methods.js';
import type { Logger } from '../log.js';
import { OPERATIONS } from '../operations.js';
import type {
  ClientEvent,
  MainToShard,
  ShardInit,
  ShardStats,
  ShardStreamStats,
  ShardToMain,
} from '../protocol.js';
import { loadUws } from '../uws.js';
import { channelRequest } from './channel-path.js';
import { ControlChannel, type ControlPort } from './control.js';
import { HlsService } from './hls-service.js';
import { LiveSocket } from './live-socket.js';
import { OwnerSet } from './owner-set.js';
import { StreamTable } from './streams.js';
import { testHold } from './test-hooks.js';
import { TokenClients } from './token-clients.js';
import { TsPump } from './ts-pump.js';
import { handleTs, type TsRouteDeps } from './ts-route.js';

const STATS_INTERVAL_MS = 1000;
const API_DEADLINE_MS = 10_000;
/** Largest admin request body relayed to main (one channel with its sources; SC_ERR_BODY_TOO_LARGE says it). */
const MAX_API_BODY_BYTES = 256 * 1024;
/** Client events shipped per stats interval at most; beyond, they are counted as dropped. */
const MAX_CLIENT_EVENTS = 2048;
/** Headers a forwarded control-plane request keeps (auth, content negotiation). */
const FORWARDED_HEADERS = ['authorization', 'x-api-key', 'accept', 'user-agent', 'host', 'accept-encoding'];

export class Shard {
  readonly #init: ShardInit;
  readonly #log: Logger;
  readonly #uws = loadUws(true).uws;
  readonly #app: TemplatedApp;
  readonly #control: ControlChannel;
  readonly #streams: StreamTable;
  readonly #pump: TsPump;
  readonly #owners: OwnerSet;
  readonly #hls: HlsService;
  #live: LiveSocket | null = null;
  #dashboard: DashboardAssets | null = null;
  readonly #tokens: TokenGate;
  readonly #tokenClients: TokenClients;
  readonly #trust: ForwardedTrust;
  readonly #recorder = new Recorder(Date.now(), OPERATIONS);
  readonly #loopDelay = monitorEventLoopDelay({ resolution: 10 });
  #lastElu = performance.eventLoopUtilization();
  #listenSocket: us_listen_socket | null = null;
  #statsTimer: NodeJS.Timeout | null = null;
  #clientEvents: ClientEvent[] = [];
  #clientEventsDropped = 0;
  #accepting = true;
  #closed = false;

  constructor(init: ShardInit, log: Logger, port: ControlPort) {
    this.#init = init;
    this.#log = log;
    this.#control = new ControlChannel(port);
    const { config } = init;
    this.#app = this.#uws.App();
    this.#streams = new StreamTable(this.#control, config.openTimeoutSeconds);
    this.#pump = new TsPump(config, log, init.shardId);
    this.#owners = new OwnerSet(config, log, this.#control, this.#recorder);
    this.#tokens = new TokenGate(init.tokens ?? null, init.shardId);
    this.#tokenClients = new TokenClients(this.#tokens);
    this.#trust = new ForwardedTrust(config.trustedProxies);
    this.#hls = new HlsService(
      config,
      this.#streams,
      this.#recorder,
      () => this.#accepting,
      log,
      this.#tokens,
      this.#trust,
      init.bootId,
      this.#tokenClients,
    );
    this.#routes();
  }

  /** Listens on the shared port; resolves with the port actually bound. */
  listen(): Promise<number> {
    const { host, port } = this.#init.config;
    return new Promise((resolve, reject) => {
      this.#app.listen(host, port, (socket) => {
        if (!socket) {
          reject(new Error(`Port ${port} on ${host} is already in use or not permitted.`));
          return;
        }
        this.#listenSocket = socket;
        this.#loopDelay.enable();
        this.#statsTimer = setInterval(() => this.#shipStats(), STATS_INTERVAL_MS);
        resolve(this.#uws.us_socket_local_port(socket));
      });
    });
  }

  onMessage(msg: MainToShard): void {
    if (this.#control.settle(msg)) return;
    switch (msg.type) {
      case 'start':
        // The directory snapshot, applied before this shard listens (main.ts waits for it).
        for (const a of msg.streams) this.#streams.attach(a.streamId, a.key, a.ring);
        return;
      case 'attach':
        this.#streams.attach(msg.streamId, msg.key, msg.ring);
        return;
      case 'detach':
        this.#streams.detach(msg.streamId);
        this.#hls.forget(msg.streamId);
        return;
      case 'own':
        this.#owners.own(msg);
        return;
      case 'disown':
        this.#owners.disown(msg.streamId, msg.reason);
        return;
      case 'engine':
        this.#owners.engine(msg.streamId, msg.engine, msg.source);
        return;
      case 'engineLost':
        this.#owners.engineLost(msg.streamId, msg.running);
        return;
      case 'live':
        this.#live?.publish(msg.public, msg.admin);
        return;
      case 'tokens': {
        // From now on only the new file's tokens are let in, and clients it no longer allows are cut now;
        // main gets what was cut and the clients it needs to enforce lowered limits gateway-wide.
        this.#tokens.update(msg.tokens);
        const cut = this.#tokenClients.revoke();
        this.#control.post({
          type: 'tokensApplied',
          round: msg.round,
          cut,
          limited: this.#tokenClients.limited(),
        });
        return;
      }
      case 'tokenCut':
        this.#control.post({
          type: 'tokenCutDone',
          round: msg.round,
          cut: this.#tokenClients.cutOrders(msg.orders),
        });
        return;
      case 'apiKey':
        this.#live?.setKey(msg.key);
        return;
      case 'shutdown':
      case 'abort':
        return;
      default: {
        const never: never = msg;
        this.#log.warn({ msg: never }, 'unknown control message');
      }
    }
  }

  /** Graceful: stop accepting, end clients, stop owned engine sessions, close the port. */
  async shutdown(): Promise<void> {
    this.#accepting = false;
    if (this.#listenSocket) this.#uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = null;
    this.#pump.finishAll('shutdown');
    this.#hls.close();
    // Requests still waiting on main (a stream opening) are answered 503 before their sockets close.
    this.#control.close();
    await new Promise((resolve) => setImmediate(resolve));
    await this.#owners.stopAll('shutdown');
    await testHold(this.#init.shardId, () => this.#closed, 'SHARDCAST_TEST_HOLD_SHUTDOWN');
    this.close();
  }

  /** Releases every resource synchronously (also the crash path). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#accepting = false;
    if (this.#listenSocket) this.#uws.us_listen_socket_close(this.#listenSocket);
    this.#listenSocket = null;
    this.#pump.finishAll('shutdown');
    this.#pump.stop();
    this.#hls.close();
    this.#owners.abortAll();
    if (this.#statsTimer) clearInterval(this.#statsTimer);
    this.#loopDelay.disable();
    this.#control.close();
    // Any response still open (a request waiting on main) is closed so the uWS loop can end. The typings
    // of this uWS build lack App.close(), which the native object has.
    (this.#app as unknown as { close(): void }).close();
  }

  #routes(): void {
    const app = this.#app;
    const tsDeps: TsRouteDeps = {
      config: this.#init.config,
      streams: this.#streams,
      pump: this.#pump,
      recorder: this.#recorder,
      accepting: () => this.#accepting,
      log: this.#log,
      tokens: this.#tokens,
      tokenClients: this.#tokenClients,
      trust: this.#trust,
      onClientEvent: (stream, event, reason, who) => {
        this.#log.debug(
          { stream: stream.token, event, reason },
          event === 'joined' ? 'client joined' : 'client left',
        );
        this.#pushClientEvent({
          streamId: stream.id,
          event,
          protocol: 'ts',
          reason: reason ?? null,
          atMs: Date.now(),
          clientId: who.clientId,
          ...(event === 'joined' ? { address: who.address, userAgent: who.userAgent } : {}),
        });
      },
    };
    const read = ['GET', 'HEAD'];
    const forward: RouteHandler = (res, req, ctx) => this.#forward(res, req, ctx);
    const health: RouteHandler = (res, _req, ctx) =>
      new Reply(res, ctx).json(200, {
        status: this.#accepting ? 'ok' : 'stopping',
        shard: this.#init.shardId,
      });
    const cors = new CorsPolicy(this.#init.config.corsOrigins);
    // The dashboard's files, loaded once into memory; without a build, its routes answer 404.
    try {
      this.#dashboard = DashboardAssets.load();
    } catch (err) {
      if (this.#init.shardId === 0) this.#log.warn({ err: (err as Error).message }, 'no dashboard');
    }
    const dashboard: RouteHandler = (res, req, ctx) => {
      if (!this.#dashboard)
        return new Reply(res, ctx).error('SC_ERR_NOT_FOUND', 'The dashboard is not built.');
      serveAsset(res, ctx, this.#dashboard.index, assetRequest(req));
    };
    const asset: RouteHandler = (res, req, ctx) => {
      const found = this.#dashboard?.asset(req.getUrl().slice(ASSET_PREFIX.length));
      if (!found) return new Reply(res, ctx).error('SC_ERR_NOT_FOUND');
      serveAsset(res, ctx, found, assetRequest(req));
    };
    // Registered before the /api/* relay: a plain GET of /api/v1/live falls through to it (polling).
    this.#live = new LiveSocket(app, this.#init.config.apiKey, cors, this.#log, this.#trust);
    // Every route goes through one dispatcher (framing checks, OPTIONS, 405): see http/front.ts.
    mountRoutes(app, this.#log, cors, [
      {
        pattern: '/ace/getstream',
        kind: 'player',
        methods: read,
        handle: (res, req, ctx) => handleTs(tsDeps, res, req, ctx),
      },
      {
        pattern: '/ace/manifest.m3u8',
        kind: 'player',
        methods: read,
        handle: (res, req, ctx) => this.#hls.playlist(res, req, ctx),
      },
      {
        pattern: '/ace/hls/:stream/:segment',
        kind: 'player',
        methods: read,
        handle: (res, req, ctx) => this.#hls.segment(res, req, ctx),
      },
      {
        pattern: '/channel/:file',
        kind: 'player',
        methods: read,
        handle: (res, req, ctx) => this.#channel(tsDeps, res, req, ctx),
      },
      {
        pattern: '/channel/hls/:stream/:segment',
        kind: 'player',
        methods: read,
        handle: (res, req, ctx) => this.#hls.segment(res, req, ctx),
      },
      // Exports (playlist, HDHomeRun): answered by main, which holds the catalog.
      ...[
        '/playlist.m3u',
        '/epg.xml',
        '/discover.json',
        '/lineup.json',
        '/lineup_status.json',
        '/device.xml',
      ].map((pattern) => ({ pattern, kind: 'player' as const, methods: read, handle: forward })),
      { pattern: '/lineup.post', kind: 'player', methods: ['POST'], handle: forward },
      {
        pattern: '/hdhr/:token/:file',
        kind: 'player',
        methods: [...read, 'POST'],
        methodsOf: methodsOfPath,
        handle: forward,
      },
      { pattern: '/health', kind: 'player', methods: read, handle: health },
      { pattern: '/ready', kind: 'admin', methods: read, handle: forward },
      { pattern: '/metrics', kind: 'admin', methods: read, handle: forward },
      { pattern: '/metrics/*', kind: 'admin', methods: read, methodsOf: methodsOfPath, handle: forward },
      { pattern: '/api/v1/channels', kind: 'admin', methods: read, handle: forward },
      {
        pattern: '/api/v1/channels/*',
        kind: 'admin',
        methods: [...read, 'PUT', 'POST', 'DELETE'],
        methodsOf: methodsOfPath,
        handle: forward,
      },
      { pattern: '/api/v1/engines', kind: 'admin', methods: [...read, 'POST'], handle: forward },
      {
        pattern: '/api/v1/engines/*',
        kind: 'admin',
        methods: [...read, 'POST'],
        methodsOf: methodsOfPath,
        handle: forward,
      },
      {
        pattern: '/api/*',
        kind: 'admin',
        methods: [...read, 'DELETE'],
        methodsOf: methodsOfPath,
        handle: forward,
      },
      { pattern: '/', kind: 'admin', methods: read, handle: dashboard },
      { pattern: '/dashboard', kind: 'admin', methods: read, handle: dashboard },
      { pattern: '/dashboard/', kind: 'admin', methods: read, handle: dashboard },
      { pattern: `${ASSET_PREFIX}:file`, kind: 'admin', methods: read, handle: asset },
      { pattern: '/*', kind: 'player', methods: [], handle: null },
    ]);
  }

  /** `/channel/<id>.ts` and `/channel/<id>.m3u8`: a catalog channel, served like /ace streams. */
  #channel(tsDeps: TsRouteDeps, res: HttpResponse, req: HttpRequest, ctx: RequestContext): void {
    const name = req.getParameter(0) ?? '';
    const parsed = channelRequest(name, req.getQuery() ?? '');
    if (name.endsWith('.m3u8')) this.#hls.playlist(res, req, ctx, parsed);
    else handleTs(tsDeps, res, req, ctx, parsed);
  }

  /** Control-plane routes are answered by main; the shard relays. */
  #forward(res: HttpResponse, req: HttpRequest, ctx: RequestContext): void {
    const method = req.getMethod().toUpperCase();
    const path = req.getUrl();
    const query = req.getQuery() ?? '';
    const headers: Record<string, string> = {};
    for (const h of FORWARDED_HEADERS) {
      const v = req.getHeader(h);
      if (v) headers[h] = v;
    }
    // Who asks (behind a trusted proxy, the player): main counts wrong admin keys by it.
    const origin = this.#trust.origin(res, req);
    const client = origin.address;
    if (this.#trust.enabled) {
      // Main builds absolute URLs from Host; behind a trusted proxy, from what the proxy says it served.
      if (origin.host !== undefined) headers['host'] = origin.host;
      if (origin.proto !== undefined) headers[FORWARDED_PROTO] = origin.proto;
    }
    const reply = new Reply(res, ctx);
    if (method === 'PUT' || (method === 'POST' && path === '/api/v1/engines')) {
      // Admin writes carry a JSON body (a channel, an engine count): read it, bounded, then relay it.
      const chunks: Buffer[] = [];
      let size = 0;
      res.onData((chunk, last) => {
        if (reply.done) return;
        size += chunk.byteLength;
        if (size > MAX_API_BODY_BYTES) {
          // The rest of the body is not read: the connection ends with the answer.
          const answer = JSON.stringify(errorBody('SC_ERR_BODY_TOO_LARGE'));
          reply.end(
            413,
            [
              ['Content-Type', 'application/json'],
              ['Cache-Control', 'no-store'],
            ],
            answer,
            true,
          );
          return;
        }
        // uWS reuses the chunk's memory after this callback: copy it.
        chunks.push(Buffer.from(new Uint8Array(chunk)));
        if (!last) return;
        // Bytes that are not UTF-8 (a Latin-1 body, as PowerShell sends by default) were decoded into
        // U+FFFD and saved that way: main refuses them instead (after the key check).
        const bytes = Buffer.concat(chunks);
        if (isUtf8(bytes))
          this.#relay(reply, { method, path, query, headers, client, body: bytes.toString('utf8') });
        else this.#relay(reply, { method, path, query, headers, client, bodyNotUtf8: true });
      });
      return;
    }
    this.#relay(reply, { method, path, query, headers, client });
  }

  #relay(reply: Reply, r: Omit<Extract<ShardToMain, { type: 'api' }>, 'type' | 'reqId'>): void {
    void this.#control
      .request((reqId) => ({ type: 'api', reqId, ...r }), API_DEADLINE_MS)
      .then((msg) => {
        if (!msg) {
          // At shutdown the channel to main closes with the request unanswered (a channel check running).
          if (this.#control.closed) return reply.error('SC_ERR_SHUTTING_DOWN');
          return reply.error('SC_ERR_INTERNAL', 'The control plane did not answer in time.');
        }
        reply.end(msg.status, Object.entries(msg.headers), msg.bytes ?? msg.body);
      })
      .catch((err: unknown) => failReply(this.#log, reply, err));
  }

  #shipStats(): void {
    const now = Date.now();
    const streams: ShardStreamStats[] = [];
    for (const s of this.#streams.values()) {
      const tsClients = this.#pump.clientsOf(s);
      const hlsViewers = this.#hls.viewersOf(s.id);
      const hlsSessions = this.#hls.takePolled(s.id);
      const c = s.counters;
      if (tsClients === 0 && hlsViewers === 0 && c.bytesOut === 0 && c.hlsSegmentsServed === 0) continue;
      streams.push({ streamId: s.id, tsClients, hlsViewers, hlsSessions, ...c });
    }
    const elu = performance.eventLoopUtilization(this.#lastElu);
    this.#lastElu = performance.eventLoopUtilization();
    const lagMs = Math.max(0, this.#loopDelay.percentile(99) / 1e6 - 10);
    const live = this.#live?.counts();
    this.#loopDelay.reset();
    const stats: ShardStats = {
      shardId: this.#init.shardId,
      atMs: now,
      streams,
      owned: this.#owners.stats(),
      tsClients: this.#pump.clients,
      loopLagMs: lagMs,
      loopUtilization: elu.utilization,
      metrics: this.#recorder.snapshot(now),
      clientEvents: this.#clientEvents,
      clientEventsDropped: this.#clientEventsDropped,
      liveViewers: live?.viewers ?? 0,
      liveAdmins: live?.admins ?? 0,
    };
    this.#clientEvents = [];
    this.#clientEventsDropped = 0;
    this.#control.post({ type: 'stats', stats });
  }

  #pushClientEvent(e: ClientEvent): void {
    if (this.#clientEvents.length >= MAX_CLIENT_EVENTS) this.#clientEventsDropped++;
    else this.#clientEvents.push(e);
  }
}
