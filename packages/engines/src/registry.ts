/**
 * The engine registry: every engine the gateway may use (static from config, the embedded simulator, Docker
 * containers), its health, how many streams it carries, and its latest container stats. Selection for a new
 * stream: healthy engines only, not excluded, under the per-engine cap; fewest streams, then lowest CPU,
 * then id for a stable order.
 */
import { EventEmitter } from 'node:events';
import type { EngineInfo, EngineState, EngineStats } from './types.js';

/** Consecutive failed probes before an engine is unhealthy, and successes before it is healthy again. */
export const UNHEALTHY_AFTER = 3;
export const HEALTHY_AFTER = 2;

interface Mutable {
  info: EngineInfo;
  healthy: boolean;
  streams: number;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  lastProbeAtMs: number | null;
  lastError: string | null;
  version: string | null;
  stats: EngineStats | null;
  addedAtMs: number;
}

/**
 * Why an engine takes no new stream although it is listed: a provisioned engine before its first good
 * `get_status` (`starting`), one whose streams are being moved away (`draining`), one being removed
 * (`stopping`). `ready` = selectable when healthy and under the cap.
 */
export type EngineLifecycle = 'starting' | 'ready' | 'draining' | 'stopping';

export interface RegistryEvents {
  added: [engine: EngineState];
  removed: [engine: EngineState];
  health: [engine: EngineState];
}

export class EngineRegistry extends EventEmitter<RegistryEvents> {
  readonly #engines = new Map<string, Mutable>();
  /** Engines (listed or not yet) that take no new stream, by id; set before discovery may add them. */
  readonly #gates = new Map<string, Exclude<EngineLifecycle, 'ready'>>();
  readonly #maxStreamsPerEngine: number;

  constructor(opts: { maxStreamsPerEngine: number }) {
    super();
    this.#maxStreamsPerEngine = opts.maxStreamsPerEngine;
  }

  get size(): number {
    return this.#engines.size;
  }

  get maxStreamsPerEngine(): number {
    return this.#maxStreamsPerEngine;
  }

  /** Keeps an engine out of selection (`starting`, `draining`, `stopping`), or lets it in again (`ready`). */
  setLifecycle(id: string, state: EngineLifecycle): void {
    if (state === 'ready') this.#gates.delete(id);
    else this.#gates.set(id, state);
  }

  lifecycle(id: string): EngineLifecycle {
    return this.#gates.get(id) ?? 'ready';
  }

  /** Forgets the gate of an engine that is gone for good. */
  clearLifecycle(id: string): void {
    this.#gates.delete(id);
  }

  /** Adds an engine (healthy until probes say otherwise); re-adding an id updates its address. */
  add(info: EngineInfo): void {
    const existing = this.#engines.get(info.id);
    if (existing) {
      existing.info = info;
      return;
    }
    const m: Mutable = {
      info,
      healthy: true,
      streams: 0,
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      lastProbeAtMs: null,
      lastError: null,
      version: null,
      stats: null,
      addedAtMs: Date.now(),
    };
    this.#engines.set(info.id, m);
    this.emit('added', view(m, this.lifecycle(info.id)));
  }

  remove(id: string): boolean {
    const m = this.#engines.get(id);
    if (!m) return false;
    this.#engines.delete(id);
    this.emit('removed', view(m, this.lifecycle(id)));
    return true;
  }

  get(id: string): EngineState | undefined {
    const m = this.#engines.get(id);
    return m ? view(m, this.lifecycle(id)) : undefined;
  }

  list(): EngineState[] {
    return [...this.#engines.values()].map((m) => view(m, this.lifecycle(m.info.id)));
  }

  ids(): string[] {
    return [...this.#engines.keys()];
  }

  /** Picks the engine for a new stream, or null when none qualifies. */
  select(exclude: ReadonlySet<string> = new Set()): EngineInfo | null {
    let best: Mutable | null = null;
    for (const m of this.#engines.values()) {
      if (!m.healthy || exclude.has(m.info.id) || m.streams >= this.#maxStreamsPerEngine) continue;
      if (this.#gates.has(m.info.id)) continue;
      if (!best || better(m, best)) best = m;
    }
    return best ? best.info : null;
  }

  /** Counts a stream onto an engine (after `select`). */
  assign(id: string): void {
    const m = this.#engines.get(id);
    if (m) m.streams++;
  }

  release(id: string): void {
    const m = this.#engines.get(id);
    if (m && m.streams > 0) m.streams--;
  }

  /** Records a health probe result; emits `health` when the engine changes state. */
  recordProbe(
    id: string,
    ok: boolean,
    nowMs: number,
    detail: { error?: string; version?: string } = {},
  ): void {
    const m = this.#engines.get(id);
    if (!m) return;
    m.lastProbeAtMs = nowMs;
    if (detail.version) m.version = detail.version;
    const before = m.healthy;
    if (ok) {
      m.consecutiveFailures = 0;
      m.consecutiveSuccesses++;
      m.lastError = null;
      if (!m.healthy && m.consecutiveSuccesses >= HEALTHY_AFTER) m.healthy = true;
    } else {
      m.consecutiveSuccesses = 0;
      m.consecutiveFailures++;
      m.lastError = detail.error ?? 'probe failed';
      if (m.healthy && m.consecutiveFailures >= UNHEALTHY_AFTER) m.healthy = false;
    }
    if (before !== m.healthy) this.emit('health', view(m, this.lifecycle(id)));
  }

  /** Marks an engine unhealthy at once (its container died, a stream proved it dead). */
  markDown(id: string, reason: string, nowMs: number): void {
    const m = this.#engines.get(id);
    if (!m) return;
    m.lastProbeAtMs = nowMs;
    m.lastError = reason;
    m.consecutiveSuccesses = 0;
    m.consecutiveFailures = Math.max(m.consecutiveFailures, UNHEALTHY_AFTER);
    if (m.healthy) {
      m.healthy = false;
      this.emit('health', view(m, this.lifecycle(id)));
    }
  }

  /** Marks an engine healthy at once (its start-up check just passed). */
  markHealthy(id: string, nowMs: number): void {
    const m = this.#engines.get(id);
    if (!m) return;
    m.lastProbeAtMs = nowMs;
    m.lastError = null;
    m.consecutiveFailures = 0;
    m.consecutiveSuccesses = Math.max(m.consecutiveSuccesses, HEALTHY_AFTER);
    if (!m.healthy) {
      m.healthy = true;
      this.emit('health', view(m, this.lifecycle(id)));
    }
  }

  recordStats(id: string, stats: EngineStats): void {
    const m = this.#engines.get(id);
    if (m) m.stats = stats;
  }
}

function better(a: Mutable, b: Mutable): boolean {
  if (a.streams !== b.streams) return a.streams < b.streams;
  const ca = a.stats?.cpuPercent ?? 0;
  const cb = b.stats?.cpuPercent ?? 0;
  if (ca !== cb) return ca < cb;
  return a.info.id < b.info.id;
}

function view(m: Mutable, lifecycle: EngineLifecycle = 'ready'): EngineState {
  return {
    ...m.info,
    lifecycle,
    addedAtMs: m.addedAtMs,
    healthy: m.healthy,
    streams: m.streams,
    consecutiveFailures: m.consecutiveFailures,
    lastProbeAtMs: m.lastProbeAtMs,
    lastError: m.lastError,
    version: m.version,
    stats: m.stats,
  };
}
