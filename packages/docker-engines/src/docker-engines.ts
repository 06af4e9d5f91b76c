/**
 * The face the gateway's main thread uses: Docker discovery plus the stats scheduler over one registry,
 * behind one gate that caps and counts every Docker API call. `start()` never blocks on Docker and never
 * throws for Docker's sake: with no socket it reports why discovery is off and does nothing else; with an
 * unreachable daemon it logs once and keeps retrying in the background.
 */
import { stat } from 'node:fs/promises';
import type { EngineRegistry } from '@shardcast/engines';
import type { DockerApiCounters } from './counters.js';
import { DockerDiscovery } from './discovery.js';
import type { DockerApi } from './docker-api.js';
import { resolveDockerHost } from './docker-host.js';
import { createDockerodeApi } from './dockerode-api.js';
import { MeteredDocker } from './metered-api.js';
import { type DockerEnginesOptions, type ResolvedOptions, resolveOptions } from './options.js';
import { StatsScheduler } from './stats-scheduler.js';

/** One-shot stats (`one-shot=true`) arrived with Docker Engine API 1.41 (Docker 20.10). */
export const ONE_SHOT_MIN_API = '1.41';

export interface DockerEnginesStatus {
  /** Discovery and stats run (false: off by configuration, no socket, or unsupported DOCKER_HOST). */
  readonly enabled: boolean;
  /** Why discovery is off, or why it is not connected right now; null when all is well. */
  readonly reason: string | null;
  /** The bare cause when no daemon could be addressed (no socket, bad DOCKER_HOST); else null. */
  readonly problem: string | null;
  /** The events stream is open and the last reconcile succeeded. */
  readonly connected: boolean;
  /** Why the last call to the daemon failed (`ECONNREFUSED: …`); null when none failed. */
  readonly cause: string | null;
  /** The daemon address, e.g. `unix:///var/run/docker.sock`; null when off before resolving one. */
  readonly docker: string | null;
  readonly apiVersion: string | null;
  /** Stats calls use `one-shot=true` (API ≥ 1.41); else plain `stream=false`. */
  readonly oneShotStats: boolean;
  /** Docker engines in the registry. */
  readonly engines: number;
  /** Every engine is sampled once per this many ms (after time scale and stretching); null = no stats calls. */
  readonly statsIntervalMs: number | null;
  readonly reconcileIntervalMs: number;
  /** Docker API calls sent in the last 60 s, all endpoints. */
  readonly callsPerMinute: number;
  /** The cap on calls per (scaled) second. */
  readonly maxCallsPerSec: number;
  readonly counters: DockerApiCounters;
}

interface Running {
  readonly metered: MeteredDocker;
  readonly discovery: DockerDiscovery;
  readonly scheduler: StatsScheduler;
}

export class DockerEngines {
  readonly #registry: EngineRegistry;
  readonly #opts: DockerEnginesOptions;
  readonly #cfg: ResolvedOptions;
  readonly #now: () => number;
  #running: Running | null = null;
  #offReason: string | null = 'Docker discovery has not been started.';
  #problem: string | null = null;
  #endpoint: string | null = null;
  #starting: Promise<DockerEnginesStatus> | null = null;

  /** Validates the options; throws DockerEnginesOptionError with one sentence on a bad value. */
  constructor(opts: DockerEnginesOptions) {
    this.#cfg = resolveOptions(opts);
    this.#opts = opts;
    this.#registry = opts.registry;
    this.#now = opts.now ?? Date.now;
  }

  /** Starts discovery and stats in the background; resolves at once with the status (never rejects). */
  start(): Promise<DockerEnginesStatus> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<DockerEnginesStatus> {
    const api = await this.#connectApi();
    if (!api) return this.status();
    const cfg = this.#cfg;
    const scale = cfg.timeScale;
    const metered = new MeteredDocker(api, {
      maxCallsPerSec: cfg.maxCallsPerSec / scale,
      burst: cfg.burst,
      now: this.#now,
    });
    const discovery = new DockerDiscovery(this.#registry, metered, {
      selector: cfg.selector,
      ...(this.#opts.managedBy === undefined ? {} : { managedBy: this.#opts.managedBy }),
      reconcileIntervalMs: cfg.reconcileIntervalMs * scale,
      callTimeoutMs: cfg.callTimeoutMs,
      backoff: { initialMs: cfg.backoff.initialMs * scale, maxMs: cfg.backoff.maxMs * scale },
      logger: this.#opts.logger,
    });
    const scheduler = new StatsScheduler(this.#registry, metered, {
      policy: cfg.statsPolicy,
      concurrency: cfg.concurrency,
      callTimeoutMs: cfg.callTimeoutMs,
      timeScale: scale,
      oneShot: () => supportsOneShot(discovery.apiVersion),
      now: this.#now,
      ...(this.#opts.onCollect ? { onCollect: this.#opts.onCollect } : {}),
    });
    this.#running = { metered, discovery, scheduler };
    this.#offReason = null;
    discovery.start();
    scheduler.start();
    return this.status();
  }

  /** Resolves the daemon's address and checks its socket; null (with the reason kept) when off. */
  async #connectApi(): Promise<DockerApi | null> {
    if (this.#cfg.mode === 'off') {
      this.#offReason = 'Docker discovery is off by configuration.';
      return null;
    }
    if (this.#opts.api) {
      this.#endpoint = this.#opts.api.endpoint;
      return this.#opts.api;
    }
    const resolved = resolveDockerHost(
      this.#cfg.dockerHost ?? process.env['DOCKER_HOST'],
      process.env['DOCKER_TLS_VERIFY'],
    );
    if (!resolved.ok) {
      this.#problem = resolved.reason.replace(/\.$/, '');
      this.#offReason = `Docker discovery is off: ${resolved.reason}`;
      return null;
    }
    const target = resolved.target;
    this.#endpoint = target.endpoint;
    if (target.kind === 'unix') {
      const problem = await socketProblem(target.socketPath);
      if (problem) {
        this.#problem = problem;
        this.#offReason = `Docker discovery is off: ${problem}; only static engines are used.`;
        return null;
      }
    }
    return createDockerodeApi(target);
  }

  /**
   * Stops discovery and stats; Docker engines already found stay in the registry. Idempotent; a later
   * `start()` starts afresh (new connection, counters from zero).
   */
  async stop(): Promise<void> {
    const started = this.#starting;
    if (!started) return;
    await started;
    this.#starting = null;
    const r = this.#running;
    this.#running = null;
    if (!r) return;
    this.#offReason = 'Docker discovery was stopped.';
    await Promise.all([r.scheduler.stop(), r.discovery.stop()]);
  }

  status(): DockerEnginesStatus {
    const r = this.#running;
    const counters = r ? r.metered.counters() : EMPTY_COUNTERS;
    const lastError = r?.discovery.lastError ?? null;
    const reason = r
      ? r.discovery.connected
        ? null
        : lastError
          ? `Docker daemon at ${this.#endpoint} is unreachable (${lastError.code}: ${lastError.message}); retrying.`
          : `Connecting to the Docker daemon at ${this.#endpoint}.`
      : this.#offReason;
    return {
      enabled: r !== null,
      reason,
      problem: r ? null : this.#problem,
      connected: r?.discovery.connected ?? false,
      cause: lastError ? `${lastError.code}: ${lastError.message}` : null,
      docker: this.#endpoint,
      apiVersion: r?.discovery.apiVersion ?? null,
      oneShotStats: supportsOneShot(r?.discovery.apiVersion ?? null),
      engines: this.#registry.list().filter((e) => e.source === 'docker').length,
      statsIntervalMs: r?.scheduler.intervalMs ?? null,
      reconcileIntervalMs: this.#cfg.reconcileIntervalMs * this.#cfg.timeScale,
      callsPerMinute: counters.callsLastMinute,
      maxCallsPerSec: this.#cfg.maxCallsPerSec,
      counters,
    };
  }
}

const ZERO = { version: 0, list: 0, inspect: 0, stats: 0, events: 0 };
const EMPTY_COUNTERS: DockerApiCounters = {
  calls: ZERO,
  throttled: ZERO,
  errors: ZERO,
  statsSkippedBusy: 0,
  callsLastMinute: 0,
};

/** True for API versions ≥ 1.41. */
export function supportsOneShot(apiVersion: string | null): boolean {
  if (!apiVersion) return false;
  const [maj = 0, min = 0] = apiVersion.split('.').map((p) => Number.parseInt(p, 10) || 0);
  const [wantMaj = 1, wantMin = 41] = ONE_SHOT_MIN_API.split('.').map(Number);
  return maj > wantMaj || (maj === wantMaj && min >= wantMin);
}

/** Why a unix socket cannot be used, or null when it looks usable. */
async function socketProblem(path: string): Promise<string | null> {
  try {
    const st = await stat(path);
    return st.isSocket() ? null : `${path} is not a socket`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `no Docker socket at ${path} (set DOCKER_HOST to use another daemon)`;
    if (code === 'EACCES') return `the Docker socket ${path} is not accessible (permission denied)`;
    return `the Docker socket ${path} cannot be checked (${code ?? String(err)})`;
  }
}
