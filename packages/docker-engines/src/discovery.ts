/**
 * Docker discovery: engine containers (by label) enter and leave the registry as `docker:<container id>`.
 * The events stream (start/die/stop/destroy, filtered by the label on the daemon side) makes changes
 * visible at once; a periodic reconcile (list by label, running or paused) repairs anything missed. An
 * unreachable or slow daemon is one log line, then retries with backoff; nothing here ever blocks the
 * caller, and static engines are never touched.
 */
import { setMaxListeners } from 'node:events';
import type { EngineRegistry } from '@shardcast/engines';
import { type BackoffOptions, backoffDelayMs } from './backoff.js';
import { type ContainerFacts, factsFromInspect, factsFromSummary } from './container-facts.js';
import type { DockerCallError, DockerEventJson, DockerFilters } from './docker-api.js';
import { JsonLineSplitter } from './json-lines.js';
import { type LabelSelector, matchesSelector, resolveAddress } from './labels.js';
import type { MeteredDocker } from './metered-api.js';
import { MANAGED_LABEL } from './provision-template.js';
import type { DockerLogger } from './types.js';

export const DOCKER_ID_PREFIX = 'docker:';
/** Container events that end an engine; `start` is the only one that begins one. */
const END_ACTIONS = new Set(['die', 'stop', 'destroy']);
const WATCHED_ACTIONS = ['start', 'die', 'stop', 'destroy'];
/** Bound on the per-container bookkeeping (event order, warnings) between two reconciles. */
const MAX_TRACKED_CONTAINERS = 10_000;

export interface DockerDiscoveryOptions {
  readonly selector: LabelSelector;
  /** This gateway's provisioning id: containers another gateway manages are left out. */
  readonly managedBy?: string;
  readonly reconcileIntervalMs: number;
  /** Deadline of each list/inspect/version call and of opening the events stream, ms. */
  readonly callTimeoutMs: number;
  readonly backoff: BackoffOptions;
  readonly logger: DockerLogger;
  readonly random?: () => number;
}

/** Registry id of a container's engine. */
export function dockerEngineId(containerId: string): string {
  return DOCKER_ID_PREFIX + containerId;
}

export class DockerDiscovery {
  readonly #registry: EngineRegistry;
  readonly #api: MeteredDocker;
  readonly #opts: DockerDiscoveryOptions;
  readonly #filters: DockerFilters;
  #stop = new AbortController();
  #running = false;
  #connected = false;
  #attempt = 0;
  #apiVersion: string | null = null;
  #lastError: DockerCallError | null = null;
  #outageLogged = false;
  #everConnected = false;
  #session: AbortController | null = null;
  #retryTimer: NodeJS.Timeout | null = null;
  #reconcileTimer: NodeJS.Timeout | null = null;
  /** Monotonic event counter, and the counter value of the last event per container (ordering guard). */
  #eventSeq = 0;
  readonly #lastEvent = new Map<string, { seq: number; alive: boolean }>();
  readonly #warned = new Set<string>();
  readonly #pending = new Set<Promise<unknown>>();

  constructor(registry: EngineRegistry, api: MeteredDocker, opts: DockerDiscoveryOptions) {
    this.#registry = registry;
    this.#api = api;
    this.#opts = opts;
    this.#filters = { type: ['container'], label: [opts.selector.filter], event: WATCHED_ACTIONS };
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** The daemon's API version once connected (e.g. `1.41`). */
  get apiVersion(): string | null {
    return this.#apiVersion;
  }

  get lastError(): DockerCallError | null {
    return this.#lastError;
  }

  /** Starts connecting in the background; returns at once. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#stop = new AbortController();
    // A burst of container starts means one inspect (and one abort listener) per container until each
    // settles; the rate cap paces them, so Node's default of 10 listeners is no leak signal here.
    setMaxListeners(0, this.#stop.signal);
    this.#track(this.#connect());
  }

  /** Stops every timer and call; engines already in the registry stay. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#stop.abort();
    this.#session?.abort();
    this.#clearTimers();
    await Promise.allSettled([...this.#pending]);
  }

  /** Lists engine containers now and applies the difference (also runs on its own timer). */
  async reconcile(): Promise<DockerCallError | null> {
    const since = this.#eventSeq;
    const res = await this.#api.call('list', this.#opts.callTimeoutMs, this.#stop.signal, (signal) =>
      this.#api.api.listContainers(
        { label: [this.#opts.selector.filter], status: ['running', 'paused'] },
        signal,
      ),
    );
    if (!res.ok) return res.error;
    const seen = new Set<string>();
    for (const summary of res.value) {
      const facts = factsFromSummary(summary);
      if (!this.#wanted(facts)) continue;
      seen.add(facts.id);
      // An event newer than the list (a die while listing) knows better than the list.
      if (this.#newerThan(facts.id, since)) continue;
      this.#apply(facts);
    }
    for (const engine of this.#registry.list()) {
      if (engine.source !== 'docker' || !engine.containerId || seen.has(engine.containerId)) continue;
      if (this.#newerThan(engine.containerId, since)) continue;
      this.#registry.remove(engine.id);
    }
    this.#forgetEventsUpTo(since);
    return null;
  }

  async #connect(): Promise<void> {
    if (!this.#running) return;
    const session = new AbortController();
    this.#session = session;
    // stop() aborts the session too, so the session's signal alone covers both.
    const signal = session.signal;
    const version = await this.#api.call('version', this.#opts.callTimeoutMs, signal, (s) =>
      this.#api.api.version(s),
    );
    if (!version.ok) return this.#fail(version.error, session);
    this.#apiVersion = version.value.ApiVersion ?? null;
    const stream = await this.#openEvents(signal);
    if (!stream.ok) return this.#fail(stream.error, session);
    this.#track(this.#consume(stream.value, session));
    const err = await this.reconcile();
    if (err) return this.#fail(err, session);
    if (session.signal.aborted || !this.#running) return;
    this.#connected = true;
    this.#attempt = 0;
    this.#lastError = null;
    if (!this.#everConnected || this.#outageLogged) {
      this.#opts.logger.info(
        { docker: this.#api.api.endpoint, apiVersion: this.#apiVersion, engines: this.#dockerEngineCount() },
        this.#everConnected ? 'Docker discovery reconnected' : 'Docker discovery connected',
      );
    }
    this.#everConnected = true;
    this.#outageLogged = false;
    this.#scheduleReconcile();
  }

  /** Opens the events stream; the deadline covers only the wait for the daemon's answer. */
  async #openEvents(signal: AbortSignal) {
    // The stream stays tied to `opening` after it opened: the session's abort still ends it.
    const opening = new AbortController();
    signal.addEventListener('abort', () => opening.abort(), { once: true });
    const timer = setTimeout(
      () => opening.abort(timeoutReason(this.#opts.callTimeoutMs)),
      this.#opts.callTimeoutMs,
    );
    timer.unref();
    try {
      return await this.#api.call('events', null, opening.signal, (s) =>
        this.#api.api.events(this.#filters, s),
      );
    } finally {
      clearTimeout(timer);
    }
  }

  async #consume(stream: AsyncIterable<Uint8Array | string>, session: AbortController): Promise<void> {
    const splitter = new JsonLineSplitter();
    let error: DockerCallError = { status: null, code: 'EVENTS_CLOSED', message: 'the events stream ended' };
    try {
      for await (const chunk of stream) {
        for (const ev of splitter.push(chunk)) this.#onEvent(ev as DockerEventJson);
      }
    } catch (err) {
      const e = err as { message?: unknown };
      error = { status: null, code: 'EVENTS_BROKEN', message: String(e?.message ?? err) };
    }
    if (!session.signal.aborted && this.#running) this.#fail(error, session);
  }

  #onEvent(ev: DockerEventJson): void {
    if (ev.Type !== 'container') return;
    const id = ev.Actor?.ID ?? ev.id;
    const action = ev.Action ?? '';
    if (!id) return;
    const seq = ++this.#eventSeq;
    if (action === 'start') {
      this.#noteEvent(id, seq, true);
      this.#track(this.#inspectAndAdd(id, seq));
    } else if (END_ACTIONS.has(action)) {
      this.#noteEvent(id, seq, false);
      this.#remove(id);
    }
  }

  async #inspectAndAdd(id: string, seq: number): Promise<void> {
    const res = await this.#api.call('inspect', this.#opts.callTimeoutMs, this.#stop.signal, (s) =>
      this.#api.api.inspectContainer(id, s),
    );
    if (!res.ok) {
      // A container gone before we looked is not news; the reconcile repairs anything else.
      if (res.error.status !== 404 && res.error.code !== 'ABORTED') this.#lastError = res.error;
      return;
    }
    // A die/stop that arrived while we inspected wins over this start.
    if (this.#lastEvent.get(id)?.seq !== seq) return;
    const facts = factsFromInspect(res.value);
    if (this.#wanted(facts)) this.#apply(facts);
  }

  /** A running container with the label, unless another gateway manages it. */
  #wanted(facts: ContainerFacts): boolean {
    if (!facts.running || !matchesSelector(facts.labels, this.#opts.selector)) return false;
    const owner = facts.labels[MANAGED_LABEL];
    return this.#opts.managedBy === undefined || owner === undefined || owner === this.#opts.managedBy;
  }

  #apply(facts: ContainerFacts): void {
    const id = dockerEngineId(facts.id);
    const addr = resolveAddress(facts);
    if (!addr.ok) {
      this.#warnOnce(
        facts.id,
        { container: facts.name || facts.id, reason: addr.reason },
        'engine container skipped',
      );
      return;
    }
    const clash = this.#registry.list().find((e) => e.url === addr.url && e.id !== id);
    if (clash) {
      this.#warnOnce(
        facts.id,
        { container: facts.name || facts.id, url: addr.url, engine: clash.id },
        'engine container skipped: another engine already has its address',
      );
      return;
    }
    const current = this.#registry.get(id);
    if (current && current.url === addr.url && current.containerName === facts.name) return;
    this.#registry.add({
      id,
      url: addr.url,
      source: 'docker',
      containerId: facts.id,
      containerName: facts.name,
    });
  }

  #remove(containerId: string): void {
    const id = dockerEngineId(containerId);
    if (this.#registry.get(id)?.source === 'docker') this.#registry.remove(id);
    this.#warned.delete(containerId);
  }

  #fail(error: DockerCallError, session: AbortController): void {
    if (session !== this.#session || !this.#running) return;
    session.abort();
    this.#session = null;
    this.#clearTimers();
    this.#connected = false;
    this.#lastError = error;
    const delayMs = backoffDelayMs(this.#attempt++, this.#opts.backoff, (this.#opts.random ?? Math.random)());
    if (!this.#outageLogged) {
      this.#outageLogged = true;
      this.#opts.logger.warn(
        { docker: this.#api.api.endpoint, code: error.code, error: error.message, retryInMs: delayMs },
        `Docker discovery cannot use the daemon at ${this.#api.api.endpoint} (${error.code}: ${error.message}); ` +
          `static engines keep serving, retrying with backoff up to ${Math.round(this.#opts.backoff.maxMs / 1000)} s`,
      );
    }
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      this.#track(this.#connect());
    }, delayMs);
    this.#retryTimer.unref();
  }

  #scheduleReconcile(): void {
    const session = this.#session;
    this.#reconcileTimer = setTimeout(() => {
      this.#reconcileTimer = null;
      this.#track(
        this.reconcile().then((err) => {
          if (session !== this.#session || !this.#running || !session) return;
          if (err) this.#fail(err, session);
          else this.#scheduleReconcile();
        }),
      );
    }, this.#opts.reconcileIntervalMs);
    this.#reconcileTimer.unref();
  }

  #noteEvent(id: string, seq: number, alive: boolean): void {
    if (this.#lastEvent.size >= MAX_TRACKED_CONTAINERS) this.#lastEvent.clear();
    this.#lastEvent.set(id, { seq, alive });
  }

  #newerThan(containerId: string, seq: number): boolean {
    return (this.#lastEvent.get(containerId)?.seq ?? 0) > seq;
  }

  #forgetEventsUpTo(seq: number): void {
    for (const [id, e] of this.#lastEvent) if (e.seq <= seq) this.#lastEvent.delete(id);
  }

  #warnOnce(containerId: string, fields: Record<string, unknown>, msg: string): void {
    if (this.#warned.has(containerId)) return;
    if (this.#warned.size >= MAX_TRACKED_CONTAINERS) this.#warned.clear();
    this.#warned.add(containerId);
    this.#opts.logger.warn(fields, msg);
  }

  #dockerEngineCount(): number {
    let n = 0;
    for (const e of this.#registry.list()) if (e.source === 'docker') n++;
    return n;
  }

  #clearTimers(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    if (this.#reconcileTimer) clearTimeout(this.#reconcileTimer);
    this.#retryTimer = null;
    this.#reconcileTimer = null;
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }
}

function timeoutReason(ms: number): Error {
  const err = new Error(`opening the Docker events stream exceeded its ${ms} ms deadline`);
  err.name = 'TimeoutError';
  return err;
}
