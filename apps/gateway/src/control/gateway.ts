/**
 * The gateway's main thread: a thin public face over the control plane. It validates the environment
 * (uWS native binary, engines), starts the shards, routes their messages to the stream directory, the
 * engine registry and the API, and shuts everything down in order. It never touches stream bytes, but
 * for the short samples a channel check probes (channel-check.ts).
 */

import {
  DOCKER_STARTUP_TIMEOUT_MS,
  DockerEngines,
  probeDaemon,
  resolveDockerHost,
} from '@shardcast/docker-engines';
import { EngineClient } from '@shardcast/engine-client';
import { EngineRegistry, HealthProber } from '@shardcast/engines';
import { TokenFileError } from '../access/token-file.js';
import { releaseShard, TokenGate } from '../access/token-gate.js';
import { CatalogFileError } from '../channels/catalog-file.js';
import type { GatewayConfig } from '../config/types.js';
import { type Logger, redactError, redactTokens } from '../log.js';
import { keepHeapBounded } from '../memory/heap-keeper.js';
import { ringReleased } from '../memory/reclaim.js';
import type { ShardToMain } from '../protocol.js';
import { loadUws } from '../uws.js';
import { AdminGate } from './admin-gate.js';
import { type ApiRequest, type ApiResponse, ApiRouter } from './api.js';
import { ApiKeyFile } from './api-key-file.js';
import { ChannelCatalog } from './channel-catalog.js';
import { ChannelChecker } from './channel-check.js';
import { ChannelSources } from './channel-sources.js';
import { StreamDirectory } from './directory.js';
import { type EmbeddedSim, startEmbeddedSim } from './embedded-sim.js';
import { EpgService, EpgSourceError } from './epg.js';
import { ExportRoutes } from './exports.js';
import { LiveFeed } from './live-feed.js';
import { MetricsListener } from './metrics-listener.js';
import { Observability } from './observability.js';
import { PlayerTokens } from './player-tokens.js';
import { Provisioning, ProvisionStartupError } from './provisioning.js';
import { probePort, ShardSupervisor } from './supervisor.js';
import { Telemetry } from './telemetry.js';
import { TokenCuts } from './token-cuts.js';

const SHUTDOWN_DEADLINE_MS = 5000;
/** A second signal: how long the shards get to close their sockets before the process exits. */
const ABORT_DEADLINE_MS = 1000;
const HEALTH_INTERVAL_MS = 5000;
const HEALTH_TIMEOUT_MS = 3000;
/** With `--docker on`, how long start-up waits for the daemon's first answer. */
const DOCKER_ON_DEADLINE_MS = 10_000;
/** The content id the start-up banner suggests for the embedded simulator (any 40 hex digits play). */
export const DEMO_ID = '5a3e1f0c8b7d6e4a2c9f0b1d3e5a7c9e1f2b4d6a';

function loadTokens(path: string, log: Logger, shards: number): PlayerTokens {
  try {
    return new PlayerTokens(path, log, shards);
  } catch (err) {
    if (err instanceof TokenFileError) throw new StartupError(err.message);
    throw err;
  }
}

/** A start-up failure with a one-sentence message. */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export class Gateway {
  readonly #log: Logger;
  readonly #supervisor: ShardSupervisor;
  readonly #registry: EngineRegistry;
  readonly #prober: HealthProber;
  readonly #directory: StreamDirectory;
  readonly #telemetry: Telemetry;
  readonly #api: ApiRouter;
  readonly #docker: DockerEngines;
  readonly #observability: Observability;
  readonly #live: LiveFeed;
  readonly #channels: ChannelSources;
  readonly #exports: ExportRoutes;
  readonly #catalog: ChannelCatalog;
  readonly #checker: ChannelChecker;
  readonly #admin: AdminGate;
  #keyFile: ApiKeyFile | null = null;
  readonly #epg: EpgService;
  readonly #tokens: PlayerTokens | null;
  /** Enforces each reload of the tokens file on the shards' clients (null: tokens off). */
  readonly #tokenCuts: TokenCuts | null;
  readonly #exportGate: TokenGate;
  readonly #provisioning: Provisioning | null;
  #sim: EmbeddedSim | null = null;
  #metricsListener: MetricsListener | null = null;
  #stopping: Promise<boolean> | null = null;
  /** Every gateway of this process, started or starting: a second signal may come before start() returns. */
  static readonly #all = new Set<Gateway>();

  private constructor(config: GatewayConfig, log: Logger) {
    Gateway.#all.add(this);
    this.#log = log;
    this.#registry = new EngineRegistry({ maxStreamsPerEngine: config.engineMaxStreams });
    for (const url of config.engines) this.#registry.add({ id: url, url, source: 'static' });
    this.#docker = new DockerEngines({
      registry: this.#registry,
      logger: log.child({ component: 'docker' }),
      mode: config.docker,
      labelSelector: config.dockerLabel,
      // Another gateway's managed engines carry the discovery label too, but not its streams' count.
      ...(config.provision === 'on' ? { managedBy: config.provisionId } : {}),
      // #telemetry exists before the first collection (stats start with Gateway.start).
      onCollect: (ms, ok) => this.#telemetry.recordMain('docker_stats_collection', ms, ok),
    });
    this.#prober = new HealthProber(this.#registry, {
      intervalMs: HEALTH_INTERVAL_MS,
      timeoutMs: HEALTH_TIMEOUT_MS,
      clientFor: (url) => new EngineClient({ baseUrl: url, timeoutMs: HEALTH_TIMEOUT_MS }),
    });
    this.#supervisor = new ShardSupervisor(config, log.child({ component: 'supervisor' }));
    this.#tokens =
      config.tokens === undefined
        ? null
        : loadTokens(config.tokens, log.child({ component: 'tokens' }), config.shards);
    const tokens = this.#tokens?.table ?? null;
    this.#supervisor.tokens = tokens;
    this.#tokenCuts = this.#tokens
      ? new TokenCuts(this.#supervisor, log.child({ component: 'tokens' }))
      : null;
    this.#channels = new ChannelSources(config.sourcePenaltySeconds);
    this.#directory = new StreamDirectory(
      config,
      log.child({ component: 'directory' }),
      this.#supervisor,
      this.#registry,
      this.#channels,
    );
    this.#telemetry = new Telemetry(
      config,
      this.#directory,
      this.#registry,
      this.#supervisor,
      log.child({ component: 'telemetry' }),
    );
    this.#provisioning =
      config.provision === 'on'
        ? new Provisioning(
            config,
            log.child({ component: 'provision' }),
            this.#registry,
            this.#directory,
            this.#telemetry,
          )
        : null;
    const provisioning = this.#provisioning;
    if (provisioning) this.#telemetry.provisioning = () => provisioning.status();
    this.#observability = new Observability(
      config,
      log,
      this.#telemetry,
      this.#directory,
      this.#registry,
      this.#docker,
      () => provisioning?.status() ?? null,
    );
    this.#checker = new ChannelChecker(this.#registry);
    // One key check and one failure limiter for every admin route on main.
    this.#admin = new AdminGate(config.apiKey);
    this.#catalog = new ChannelCatalog(
      config,
      this.#channels,
      this.#directory,
      log.child({ component: 'channels' }),
      this.#checker,
      this.#admin,
    );
    this.#epg = new EpgService(config.epg, () => this.#channels.catalog, log.child({ component: 'epg' }));
    this.#exportGate = new TokenGate(tokens);
    this.#exports = new ExportRoutes(config, () => this.#channels.catalog, this.#exportGate);
    this.#api = new ApiRouter(
      config,
      this.#directory,
      this.#registry,
      this.#telemetry,
      this.#observability,
      this.#provisioning,
      this.#admin,
    );
    this.#live = new LiveFeed({
      config,
      directory: this.#directory,
      registry: this.#registry,
      telemetry: this.#telemetry,
      media: (id) => this.#observability.media(id),
      broadcast: (msg) => this.#supervisor.broadcast(msg),
      dockerCallsPerMinute: () => {
        const d = this.#docker.status();
        return d.enabled ? d.callsPerMinute : null;
      },
      enginesDesired: () => this.#provisioning?.status().desired ?? null,
      admin: this.#admin,
    });
    this.#supervisor.on('message', (shardId, msg) => this.#onShardMessage(shardId, msg));
    // A (re)spawned shard gets the directory in its `start` message, before it listens (supervisor).
    this.#supervisor.on('up', (shardId, respawned) => {
      if (respawned) this.#telemetry.shardRestarted(shardId);
    });
    this.#supervisor.on('down', (shardId) => this.#directory.shardDown(shardId));
    // Its player-token clients died with it: they no longer count against max_clients (nor are they
    // waited for by a tokens reload being enforced).
    this.#supervisor.on('down', (shardId) => {
      if (this.#tokens) releaseShard(this.#tokens.table, shardId);
      this.#tokenCuts?.shardDown(shardId);
    });
    this.#supervisor.on('down', (shardId) => this.#telemetry.shardDown(shardId));
    this.#supervisor.on('down', (shardId) => this.#live.shardDown(shardId));
    this.#registry.on('removed', (engine) => this.#directory.engineGone(engine.id));
    // Main allocated the closed stream's ring: its memory returns once every thread has collected it.
    this.#directory.on('closed', () => ringReleased());
  }

  /** Starts everything; rejects with StartupError / UwsLoadError (one sentence) on failure. */
  static async start(config: GatewayConfig, log: Logger): Promise<Gateway> {
    // Fail fast, before any thread starts, when only the slow pure-JS server is available.
    const uws = loadUws(config.allowUwsFallback);
    if (!uws.native) log.warn({ cause: uws.cause }, 'running on the slow uWebSockets.js JavaScript fallback');
    let gw: Gateway;
    try {
      gw = new Gateway(config, log);
    } catch (err) {
      if (err instanceof ProvisionStartupError) throw new StartupError(err.message);
      throw err;
    }
    try {
      gw.#catalog.load();
    } catch (err) {
      if (err instanceof CatalogFileError) throw new StartupError(err.message);
      throw err;
    }
    try {
      const missing = gw.#epg.checkSource();
      if (missing !== null) log.warn({ epg: config.epg }, missing);
    } catch (err) {
      if (err instanceof EpgSourceError) throw new StartupError(err.message);
      throw err;
    }
    // The public port before anything else: a gateway refused for it must not have touched Docker (with
    // provisioning it would adopt the engines of the gateway that holds the port, and remove them as it
    // gave up). The shards bind it later (supervisor); this only says early that they could not.
    if (config.port !== 0) {
      try {
        await probePort(config.host, config.port);
      } catch (err) {
        throw new StartupError((err as Error).message);
      }
    }
    const docker = await gw.#docker.start();
    if (config.docker === 'on') {
      // `on` promises Docker engines: without a daemon, refuse rather than run on a fallback (the
      // embedded simulator would serve a test picture in production).
      const problem = docker.enabled ? await gw.#dockerUnreachable() : docker.problem;
      if (problem !== null) {
        await gw.#docker.stop();
        throw new StartupError(`--docker on, but ${problem}.`);
      }
    }
    if (gw.#provisioning) {
      try {
        await gw.#provisioning.start();
      } catch (err) {
        await gw.#docker.stop();
        await gw.#observability.stop();
        throw new StartupError((err as Error).message);
      }
      log.info({ template: config.provisionTemplate }, 'engine provisioning is on');
    }
    if (docker.enabled) log.info({ docker: docker.docker }, 'Docker engine discovery is on');
    else if (config.docker !== 'off' || config.engines.length === 0)
      log.info(docker.reason ?? 'Docker engine discovery is off');
    // The embedded default: no engine configured anywhere, so the simulator is the upstream.
    const sim =
      config.engines.length === 0 && !docker.enabled && !gw.#provisioning ? await gw.#startSim(config) : null;
    try {
      await gw.#supervisor.start(() => gw.#directory.snapshot());
    } catch (err) {
      await gw.#supervisor.stop(SHUTDOWN_DEADLINE_MS);
      await gw.#observability.stop();
      await gw.#provisioning?.stop();
      await gw.#docker.stop();
      await sim?.stop();
      throw new StartupError(err instanceof Error ? err.message : String(err));
    }
    if (config.metricsPort !== undefined) {
      try {
        gw.#metricsListener = await MetricsListener.start(
          (req) => gw.#api.handle(req),
          config.host,
          config.metricsPort,
          log.child({ component: 'metrics-listener' }),
        );
      } catch (err) {
        await gw.stop();
        throw new StartupError((err as Error).message);
      }
    }
    gw.#catalog.watch();
    if (config.apiKeyFile !== undefined) {
      // A replaced key file takes effect without a restart: main's admin routes, every shard, respawns.
      gw.#keyFile = new ApiKeyFile(
        config.apiKeyFile,
        gw.#admin,
        (key) => {
          gw.#supervisor.apiKey = key;
          gw.#supervisor.broadcast({ type: 'apiKey', key });
        },
        log.child({ component: 'api-key' }),
      );
      gw.#keyFile.watch();
    }
    gw.#tokens?.watch({
      publish: (table, reason) => {
        // A shard spawned from now on (a respawn too) gets this table in its start-up data.
        gw.#supervisor.tokens = table;
        gw.#tokenCuts?.apply(table, reason);
      },
      gates: [gw.#exportGate],
    });
    gw.#prober.start();
    gw.#telemetry.start();
    keepHeapBounded();
    gw.#observability.start();
    gw.#live.start();
    const port = gw.#supervisor.port;
    const listen = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    // An IPv6 address goes in brackets in a URL (http://[::1]:8000/...).
    const host = listen.includes(':') ? `[${listen}]` : listen;
    const play = `http://${host}:${port}/ace/getstream?id=${sim ? DEMO_ID : '<content id>'}`;
    const metricsPort = gw.#metricsListener?.port;
    log.info(
      { port, metricsPort, shards: config.shards, engines: gw.#registry.size },
      `Shardcast ready: play ${play}`,
    );
    return gw;
  }

  /**
   * Waits for the daemon's first answer; null once connected, else why not (after the deadline). A daemon
   * that accepts connections but leaves a ping unanswered for DOCKER_STARTUP_TIMEOUT_MS is given up on
   * then: waiting longer would not help (one that refuses connections may be starting, and is waited for).
   */
  async #dockerUnreachable(): Promise<string | null> {
    const deadline = Date.now() + DOCKER_ON_DEADLINE_MS;
    const resolved = resolveDockerHost(process.env['DOCKER_HOST'], process.env['DOCKER_TLS_VERIFY']);
    let hung: string | null = null;
    if (resolved.ok)
      void probeDaemon(resolved.target, DOCKER_STARTUP_TIMEOUT_MS).then((r) => {
        if (!r.ok && r.timeout) hung = r.error;
      });
    while (Date.now() < deadline) {
      if (this.#docker.status().connected) return null;
      if (hung !== null)
        return `the Docker daemon at ${this.#docker.status().docker} does not answer (${hung})`;
      await new Promise((r) => setTimeout(r, 100));
    }
    const s = this.#docker.status();
    if (s.connected) return null;
    return `the Docker daemon at ${s.docker} does not answer${s.cause ? ` (${s.cause})` : ''}`;
  }

  async #startSim(config: GatewayConfig): Promise<EmbeddedSim> {
    const sim = await startEmbeddedSim(config.simRate, this.#log).catch((err: Error) => {
      throw new StartupError(err.message);
    });
    this.#sim = sim;
    this.#registry.add({ id: sim.url, url: sim.url, source: 'embedded' });
    this.#log.info({ engine: sim.url }, 'no engine configured: started the embedded engine simulator');
    return sim;
  }

  get port(): number {
    return this.#supervisor.port;
  }

  /**
   * Before an immediate exit (a second signal, also during start-up or a graceful stop): every shard
   * closes its sockets at once, without engine calls, so that exiting does not abort the process.
   */
  static async abort(): Promise<void> {
    await Promise.all([...Gateway.#all].map((gw) => gw.#supervisor.abort(ABORT_DEADLINE_MS)));
  }

  /** Graceful shutdown: stop accepting, close clients, stop engine sessions, exit within a few seconds. */
  stop(): Promise<boolean> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<boolean> {
    this.#catalog.stop();
    // Running channel checks end now and stop their engine sessions (beside the shards' own shutdown).
    const checks = this.#checker.stop();
    this.#tokens?.stop();
    this.#keyFile?.stop();
    this.#tokenCuts?.stop();
    this.#telemetry.stop();
    this.#live.stop();
    await this.#metricsListener?.close();
    // Shards end their clients and owned sessions (each owner calls the engine's stop) before exiting.
    const clean = await this.#supervisor.stop(SHUTDOWN_DEADLINE_MS);
    // A shard still stopping past the deadline may hold uWS sockets, and the process exits next (which
    // would then abort it, SIGABRT): it closes them at once, or is terminated, as on a second signal.
    if (!clean) await this.#supervisor.abort(ABORT_DEADLINE_MS);
    this.#directory.closeAll('shutdown');
    await checks;
    // After closeAll: the last `stream_ended` events are queued and get a short drain.
    await this.#observability.stop();
    await this.#prober.stop();
    await this.#provisioning?.stop();
    await this.#docker.stop();
    await this.#sim?.stop();
    this.#log.info({ clean }, 'stopped');
    return clean;
  }

  /** Control-plane requests: exports and the channel admin API, else the API router. */
  async #route(req: ApiRequest): Promise<ApiResponse> {
    if (this.#exports.handles(req.path)) return this.#exports.handle(req);
    if (req.path === '/epg.xml') return this.#epg.handle(req);
    if (this.#catalog.handles(req.path)) return this.#catalog.handle(req);
    return this.#api.handle(req);
  }

  #onShardMessage(shardId: number, msg: ShardToMain): void {
    switch (msg.type) {
      case 'open':
        this.#directory.open(shardId, msg.reqId, msg.key);
        return;
      case 'ownerReady':
        this.#directory.ownerReady(msg.streamId);
        return;
      case 'ownerFailed':
        this.#directory.ownerFailed(msg.streamId, msg.error);
        return;
      case 'needEngine':
        this.#directory.needEngine(msg.streamId, msg.failed, msg.reason);
        return;
      case 'ownerSession':
        this.#directory.ownerSession(msg.streamId, msg.engine, msg.session);
        this.#telemetry.ownerSession(msg.streamId, msg.engine, msg.session);
        return;
      case 'api':
        // The dashboard feed's routes first (answered at once), then the API and channel routes.
        Promise.resolve(this.#live.handle(msg) ?? this.#route(msg)).then(
          (r) => this.#supervisor.send(shardId, { type: 'apiResponse', reqId: msg.reqId, ...r }),
          (err: unknown) => {
            // The path may carry a player token (`/hdhr/<token>/…`), and so may the error's text: neither
            // is logged.
            this.#log.error({ err: redactError(err), path: redactTokens(msg.path) }, 'api handler failed');
            this.#supervisor.send(shardId, {
              type: 'apiResponse',
              reqId: msg.reqId,
              status: 500,
              headers: { 'Content-Type': 'application/json' },
              body: JSON.stringify({ error: { code: 'SC_ERR_INTERNAL', message: 'Internal error.' } }),
            });
          },
        );
        return;
      case 'stats':
        this.#telemetry.shardStats(shardId, msg.stats);
        this.#live.observe(shardId, msg.stats);
        return;
      case 'tokensApplied':
      case 'tokenCutDone':
        this.#tokenCuts?.onAnswer(shardId, msg);
        return;
      case 'ready':
      case 'listenFailed':
        return;
      default: {
        const never: never = msg;
        this.#log.warn({ msg: never }, 'unknown shard message');
      }
    }
  }
}
