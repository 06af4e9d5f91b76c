/**
 * Options of {@link DockerEngines}, validated once: a bad value throws a {@link DockerEnginesOptionError}
 * with one sentence naming the option, never a stack of nested causes.
 */
import type { EngineRegistry } from '@shardcast/engines';
import type { BackoffOptions } from './backoff.js';
import type { DockerApi } from './docker-api.js';
import { checkStatsPolicy, DEFAULT_STATS_POLICY, type StatsPolicy } from './interval-policy.js';
import { DEFAULT_LABEL_SELECTOR, type LabelSelector, parseLabelSelector } from './labels.js';
import type { DockerLogger } from './types.js';

export const DEFAULT_RECONCILE_INTERVAL_MS = 10_000;
/** Well above the ~20 calls/s that 20 engines at 2 s need with discovery, well below a daemon's comfort. */
export const DEFAULT_MAX_CALLS_PER_SEC = 20;
export const DEFAULT_BURST = 5;
/** 20 engines every 2 s with ~1 s calls keep ~10 in flight. */
export const DEFAULT_CONCURRENCY = 16;
/** One-shot stats wait up to one daemon tick (1 s), plain stats two; list/inspect answer in ms. */
export const DEFAULT_CALL_TIMEOUT_MS = 5000;
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 30_000 };

export type DockerMode = 'auto' | 'on' | 'off';

export interface DockerEnginesOptions {
  /** The registry Docker engines are added to and stats recorded in (static engines stay untouched). */
  readonly registry: EngineRegistry;
  readonly logger: DockerLogger;
  /** `off` disables discovery; `auto` (default) and `on` enable it when the daemon's socket exists. */
  readonly mode?: DockerMode;
  /** `unix:///path` or `tcp://host:port`; default `process.env.DOCKER_HOST`, else /var/run/docker.sock. */
  readonly dockerHost?: string;
  /** `key` or `key=value`; default `shardcast.engine=true`. */
  readonly labelSelector?: string;
  /**
   * With provisioning, this gateway's id (`--provision-id`): a container labelled `shardcast.managed` with
   * another id belongs to another gateway's fleet, sized and scaled down for that gateway's streams only,
   * and is not discovered. Unset: every container with the label is.
   */
  readonly managedBy?: string;
  /** How often the container list repairs missed events, ms; default 10 000. */
  readonly reconcileIntervalMs?: number;
  /** Stats interval by engine count; default none → off, 1–5 → 3 s, 6+ → 2 s. */
  readonly statsPolicy?: StatsPolicy;
  /** Cap on Docker API calls per second, every endpoint together; default 20. */
  readonly maxCallsPerSec?: number;
  /** Calls that may go back to back after a quiet spell; default 5. */
  readonly burst?: number;
  /** Stats calls in flight at most; default 16. */
  readonly concurrency?: number;
  /** Deadline of each Docker call (stats, list, inspect, version, opening events), ms; default 5000. */
  readonly callTimeoutMs?: number;
  /** Reconnect delays after Docker failed; default 1 s doubling to 30 s. */
  readonly backoff?: BackoffOptions;
  /**
   * Multiplies every schedule duration (stats intervals, reconcile interval, backoff) and divides the rate
   * cap's refill time, so a scaled run behaves like a real one, only faster. Default 1; tests use < 1.
   */
  readonly timeScale?: number;
  /** Called after every stats call with its duration in ms and whether it succeeded. */
  readonly onCollect?: (durationMs: number, ok: boolean) => void;
  /** A Docker API to use instead of dockerode (tests); skips the socket check. */
  readonly api?: DockerApi;
  /** Wall clock in ms; default Date.now. */
  readonly now?: () => number;
}

export interface ResolvedOptions {
  readonly mode: DockerMode;
  readonly dockerHost: string | undefined;
  readonly selector: LabelSelector;
  readonly reconcileIntervalMs: number;
  readonly statsPolicy: StatsPolicy;
  readonly maxCallsPerSec: number;
  readonly burst: number;
  readonly concurrency: number;
  readonly callTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly timeScale: number;
}

export class DockerEnginesOptionError extends Error {
  override readonly name = 'DockerEnginesOptionError';
}

function positive(name: string, value: number | undefined, def: number, integer = false): number {
  const v = value ?? def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    throw new DockerEnginesOptionError(`${name} must be a positive ${integer ? 'integer' : 'number'}.`);
  }
  return v;
}

export function resolveOptions(o: DockerEnginesOptions): ResolvedOptions {
  const mode = o.mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'on' && mode !== 'off') {
    throw new DockerEnginesOptionError('mode must be "auto", "on" or "off".');
  }
  const selector = parseLabelSelector(o.labelSelector ?? DEFAULT_LABEL_SELECTOR);
  if (typeof selector === 'string') throw new DockerEnginesOptionError(selector);
  const statsPolicy = o.statsPolicy ?? DEFAULT_STATS_POLICY;
  const policyError = checkStatsPolicy(statsPolicy);
  if (policyError) throw new DockerEnginesOptionError(policyError);
  const maxCallsPerSec = positive('maxCallsPerSec', o.maxCallsPerSec, DEFAULT_MAX_CALLS_PER_SEC);
  const burst = positive('burst', o.burst, DEFAULT_BURST, true);
  const backoff = o.backoff ?? DEFAULT_BACKOFF;
  positive('backoff.initialMs', backoff.initialMs, 0);
  if (positive('backoff.maxMs', backoff.maxMs, 0) < backoff.initialMs) {
    throw new DockerEnginesOptionError('backoff.maxMs must not be below backoff.initialMs.');
  }
  return {
    mode,
    dockerHost: o.dockerHost,
    selector,
    reconcileIntervalMs: positive(
      'reconcileIntervalMs',
      o.reconcileIntervalMs,
      DEFAULT_RECONCILE_INTERVAL_MS,
    ),
    statsPolicy,
    maxCallsPerSec,
    burst,
    concurrency: positive('concurrency', o.concurrency, DEFAULT_CONCURRENCY, true),
    callTimeoutMs: positive('callTimeoutMs', o.callTimeoutMs, DEFAULT_CALL_TIMEOUT_MS),
    backoff,
    timeScale: positive('timeScale', o.timeScale, 1),
  };
}
