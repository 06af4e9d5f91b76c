/**
 * Health probing: every engine in the registry gets the engine's own `get_status` call with a deadline,
 * once per interval, with the probes spread evenly across the interval (no bursts). Results go to the
 * registry, which applies the consecutive-failure / consecutive-success rule. Probes never block anything:
 * a slow engine only delays its own next probe.
 */
import type { EngineHealth } from '@shardcast/engine-client';
import type { EngineRegistry } from './registry.js';

/** The slice of EngineClient the prober needs (lets tests substitute a fake). */
export interface StatusClient {
  getStatus(opts?: { timeoutMs?: number }): Promise<EngineHealth>;
  close(): Promise<void>;
}

export interface HealthProberOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly clientFor: (url: string) => StatusClient;
  readonly now?: () => number;
}

export class HealthProber {
  readonly #registry: EngineRegistry;
  readonly #opts: HealthProberOptions;
  readonly #clients = new Map<string, { url: string; client: StatusClient }>();
  readonly #inFlight = new Set<string>();
  #timer: NodeJS.Timeout | null = null;
  #cursor = 0;

  constructor(registry: EngineRegistry, opts: HealthProberOptions) {
    this.#registry = registry;
    this.#opts = opts;
    registry.on('removed', (e) => this.#drop(e.id));
    registry.on('added', (e) => void this.probe(e.id));
  }

  /** Starts the schedule; every engine is probed once per interval. */
  start(): void {
    if (this.#timer) return;
    for (const id of this.#registry.ids()) void this.probe(id);
    this.#schedule();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(clients.map((c) => c.client.close()));
  }

  /** Probes one engine now (no-op while a probe of it is still running). */
  async probe(id: string): Promise<void> {
    const engine = this.#registry.get(id);
    if (!engine || this.#inFlight.has(id)) return;
    this.#inFlight.add(id);
    try {
      const res = await this.#client(id, engine.url).getStatus({ timeoutMs: this.#opts.timeoutMs });
      const now = (this.#opts.now ?? Date.now)();
      if (res.healthy) this.#registry.recordProbe(id, true, now);
      else this.#registry.recordProbe(id, false, now, { error: `${res.error.code}: ${res.error.message}` });
    } catch (err) {
      this.#registry.recordProbe(id, false, (this.#opts.now ?? Date.now)(), {
        error: err instanceof Error ? err.message : String(err),
      });
    } finally {
      this.#inFlight.delete(id);
    }
  }

  /** One tick probes the next engine; ticks are spaced interval / engine count apart. */
  #schedule(): void {
    const ids = this.#registry.ids();
    const step = ids.length > 0 ? this.#opts.intervalMs / ids.length : this.#opts.intervalMs;
    this.#timer = setTimeout(() => {
      const current = this.#registry.ids();
      if (current.length > 0) {
        this.#cursor = (this.#cursor + 1) % current.length;
        void this.probe(current[this.#cursor]!);
      }
      this.#schedule();
    }, step);
    this.#timer.unref();
  }

  #client(id: string, url: string): StatusClient {
    const cur = this.#clients.get(id);
    if (cur && cur.url === url) return cur.client;
    if (cur) void cur.client.close();
    const client = this.#opts.clientFor(url);
    this.#clients.set(id, { url, client });
    return client;
  }

  #drop(id: string): void {
    const cur = this.#clients.get(id);
    if (!cur) return;
    this.#clients.delete(id);
    void cur.client.close();
  }
}
