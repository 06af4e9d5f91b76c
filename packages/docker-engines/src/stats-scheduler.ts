/**
 * The Docker stats scheduler: every Docker engine in the registry is sampled once per interval, the
 * interval chosen by the engine count (a policy table), the calls spread evenly across it (one every
 * interval/n ms), each call a one-shot stats request where the daemon supports it. A call may take ~1 s
 * (the daemon waits for its next collection tick), so calls overlap up to `concurrency` and never
 * serialize. No engines → no timer and no calls at all. Results go to `registry.recordStats`.
 */
import { setMaxListeners } from 'node:events';
import { performance } from 'node:perf_hooks';
import type { EngineRegistry } from '@shardcast/engines';
import { effectiveIntervalMs, policyIntervalMs, type StatsPolicy } from './interval-policy.js';
import type { MeteredDocker } from './metered-api.js';
import { nextTickAt, SpreadPlanner, stepMs } from './spread.js';
import { computeStats, type RawSample, toSample } from './stats-math.js';

/** Share of the rate cap stats may use; the rest stays free for discovery's list/inspect calls. */
export const STATS_SHARE_OF_CAP = 0.8;
/** Weight of the newest call in the moving average of call duration. */
const LATENCY_EWMA_ALPHA = 0.2;

export interface StatsSchedulerOptions {
  readonly policy: StatsPolicy;
  /** Stats calls in flight at most. */
  readonly concurrency: number;
  /** Deadline of one stats call, ms. */
  readonly callTimeoutMs: number;
  /** Multiplies the policy's intervals (1 = real time; 0.5 = everything twice as often). */
  readonly timeScale: number;
  /** Whether to ask for one-shot stats (the daemon's API is ≥ 1.41); read before every call. */
  readonly oneShot: () => boolean;
  /** Called after every stats call with its duration (ms) and outcome. */
  readonly onCollect?: (durationMs: number, ok: boolean) => void;
  readonly now: () => number;
}

interface Target {
  readonly containerId: string;
  prev: RawSample | null;
}

export class StatsScheduler {
  readonly #registry: EngineRegistry;
  readonly #api: MeteredDocker;
  readonly #opts: StatsSchedulerOptions;
  readonly #targets = new Map<string, Target>();
  readonly #planner = new SpreadPlanner();
  readonly #inFlight = new Set<string>();
  readonly #pending = new Set<Promise<void>>();
  readonly #onRegistryChange = () => this.#sync();
  #stop = new AbortController();
  #running = false;
  #timer: NodeJS.Timeout | null = null;
  #lastTickAt = 0;
  #callMs = 0;

  constructor(registry: EngineRegistry, api: MeteredDocker, opts: StatsSchedulerOptions) {
    this.#registry = registry;
    this.#api = api;
    this.#opts = opts;
  }

  /** Number of Docker engines being sampled. */
  get engines(): number {
    return this.#targets.size;
  }

  /** The interval in use (ms, after time scale and stretching), or null when no stats are polled. */
  get intervalMs(): number | null {
    return this.#intervalMs();
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Moving average of a stats call's duration, ms. */
  get averageCallMs(): number {
    return this.#callMs;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stop = new AbortController();
    // Every call in flight holds one abort listener until it settles; `concurrency` bounds them, not Node's 10.
    setMaxListeners(this.#opts.concurrency + 1, this.#stop.signal);
    this.#registry.on('added', this.#onRegistryChange);
    this.#registry.on('removed', this.#onRegistryChange);
    this.#sync();
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#registry.off('added', this.#onRegistryChange);
    this.#registry.off('removed', this.#onRegistryChange);
    this.#stop.abort();
    this.#clearTimer();
    await Promise.allSettled([...this.#pending]);
  }

  #sync(): void {
    const ids = new Set<string>();
    for (const e of this.#registry.list()) {
      if (e.source !== 'docker' || !e.containerId) continue;
      ids.add(e.id);
      if (!this.#targets.has(e.id)) this.#targets.set(e.id, { containerId: e.containerId, prev: null });
    }
    for (const id of this.#targets.keys()) if (!ids.has(id)) this.#targets.delete(id);
    this.#planner.sync(ids);
    if (!this.#running) return;
    if (this.#intervalMs() === null) this.#clearTimer();
    else if (this.#timer === null) {
      // The first engine is sampled at once: CPU % needs two samples, so the first one should not wait.
      this.#lastTickAt = this.#opts.now() - stepMs(this.#intervalMs()!, this.#targets.size);
      this.#arm();
    }
  }

  #intervalMs(): number | null {
    const n = this.#targets.size;
    const policy = policyIntervalMs(this.#opts.policy, n);
    return effectiveIntervalMs(policy === null ? null : policy * this.#opts.timeScale, n, {
      statsCallsPerSec: this.#api.maxCallsPerSec * STATS_SHARE_OF_CAP,
      concurrency: this.#opts.concurrency,
      callMs: this.#callMs,
    });
  }

  /** Arms the timer for the next tick; the step is recomputed every tick, so count changes apply at once. */
  #arm(): void {
    const interval = this.#intervalMs();
    if (interval === null || !this.#running) return;
    const now = this.#opts.now();
    const at = nextTickAt(this.#lastTickAt, stepMs(interval, this.#targets.size), now);
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, at - now));
    this.#timer.unref();
    this.#lastTickAt = at;
  }

  #tick(): void {
    this.#timer = null;
    if (!this.#running || this.#targets.size === 0) return;
    const id = this.#planner.next(this.#inFlight);
    if (id === null || this.#inFlight.size >= this.#opts.concurrency) this.#api.skippedBusy();
    else if (this.#api.tryAcquire('stats')) {
      this.#planner.mark(id, this.#opts.now());
      const p = this.#collect(id);
      this.#pending.add(p);
      void p.finally(() => this.#pending.delete(p));
    }
    this.#arm();
  }

  async #collect(id: string): Promise<void> {
    const target = this.#targets.get(id);
    if (!target) return;
    this.#inFlight.add(id);
    const t0 = performance.now();
    const res = await this.#api.run('stats', this.#opts.callTimeoutMs, this.#stop.signal, (signal) =>
      this.#api.api.containerStats(target.containerId, this.#opts.oneShot(), signal),
    );
    const durationMs = performance.now() - t0;
    this.#inFlight.delete(id);
    if (!res.ok && res.error.code === 'ABORTED') return;
    this.#callMs =
      this.#callMs === 0 ? durationMs : this.#callMs + LATENCY_EWMA_ALPHA * (durationMs - this.#callMs);
    try {
      this.#opts.onCollect?.(durationMs, res.ok);
    } catch {
      // The callback is the caller's metrics hook; its failure must not stop sampling.
    }
    // The engine may have left while the call ran; its answer then has nowhere to go.
    if (this.#targets.get(id) !== target) return;
    if (!res.ok) {
      // A missing container restarts its counters when it is back; a timeout keeps the older sample.
      if (res.error.status === 404) target.prev = null;
      return;
    }
    const sample = toSample(res.value, this.#opts.now());
    const stats = target.prev ? computeStats(target.prev, sample) : null;
    target.prev = sample;
    if (stats) this.#registry.recordStats(id, stats);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
