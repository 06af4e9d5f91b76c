/**
 * Engine provisioning: the gateway creates, starts, scales, heals, rotates and retires its own engine
 * containers from the operator's template. The plan (how many, which go) is pure (provision-plan.ts);
 * this class carries it out against Docker and the engine registry.
 *
 * A managed engine is `starting` (created, started, not yet answering `get_status`; never selected),
 * `ready`, `draining` (takes no new stream; its streams are moved away once another engine has room,
 * then it is removed) or `stopping`. Discovery finds the containers through the labels the template gets;
 * the provisioner also adds a ready engine to the registry itself, so a slow events stream never delays
 * it. Every Docker call has a deadline and runs in the background: a slow or absent daemon delays only
 * provisioning, never a stream, the main loop or shutdown; while it is unreachable nothing is created
 * and what runs keeps running.
 */
import type { EngineRegistry } from '@shardcast/engines';
import { DOCKER_ID_PREFIX, dockerEngineId } from './discovery.js';
import type { ContainerSummaryJson } from './docker-api.js';
import { HOST_LABEL, isValidHost, type LabelSelector, PORT_LABEL } from './labels.js';
import type { ProvisionApi } from './provision-api.js';
import {
  allocatePort,
  type BreakerOptions,
  CreationBreaker,
  type ManagedState,
  type PlanEngine,
  type PlanLimits,
  type PortRange,
  plan,
  type ReplaceReason,
} from './provision-plan.js';
import {
  type EngineTemplate,
  heldPort,
  MANAGED_LABEL,
  PROVISION_PORT_LABEL,
  renderTemplate,
  TEMPLATE_LABEL,
  templateDigest,
} from './provision-template.js';
import { startupTimeoutCause } from './startup-probe.js';
import type { DockerLogger } from './types.js';

export type RemovalReason =
  | 'idle'
  | 'unhealthy'
  | 'died'
  | 'max_age'
  | 'template'
  | 'drained'
  | 'failed'
  | 'orphan'
  | 'shutdown';
export const REMOVAL_REASONS: readonly RemovalReason[] = [
  'idle',
  'unhealthy',
  'died',
  'max_age',
  'template',
  'drained',
  'failed',
  'orphan',
  'shutdown',
];
export type ProvisionResult = 'ok' | 'failed';
export const PROVISION_RESULTS: readonly ProvisionResult[] = ['ok', 'failed'];

export interface ProvisionerOptions {
  readonly registry: EngineRegistry;
  readonly api: ProvisionApi;
  readonly template: EngineTemplate;
  /** Discovery's selector: the template's containers get its label. */
  readonly selector: LabelSelector;
  /** `shardcast.managed=<gatewayId>` marks this gateway's containers. */
  readonly gatewayId: string;
  readonly ports: PortRange;
  readonly limits: PlanLimits;
  readonly breaker: BreakerOptions;
  /** How long a new engine has to answer `get_status`. */
  readonly startupMs: number;
  /** `get_status` polling while an engine starts. */
  readonly statusPollMs: number;
  /** How often the plan is re-evaluated without a prompt (opens and closes prompt it too). */
  readonly tickMs: number;
  /** How often the managed containers are listed (adoption, orphans, Docker's own view). */
  readonly listEveryMs: number;
  readonly callTimeoutMs: number;
  /** The engine's `get_status`: null when healthy, else why not. */
  readonly checkStatus: (url: string, timeoutMs: number) => Promise<string | null>;
  /**
   * Whether something already accepts connections at an engine's address before its container exists (on
   * the host network, a process holding the port). Such a port is a failed start-up: its `get_status`
   * would be answered by that process, not by the new engine. Absent: never.
   */
  readonly addressInUse?: (url: string) => Promise<boolean>;
  /** Stream opens waiting for room. */
  readonly pendingOpens: () => number;
  /** Moves every stream of an engine to other engines (clients keep their sockets). */
  readonly moveStreams: (engineId: string) => void;
  readonly logger: DockerLogger;
  readonly onReady?: (e: ManagedView, provisionMs: number | null) => void;
  readonly onRemoved?: (e: ManagedView, reason: RemovalReason) => void;
  /** create → first good `get_status`, ms, and whether it got there. */
  readonly onProvision?: (ms: number, ok: boolean) => void;
  readonly now?: () => number;
}

interface Managed {
  /** Registry id once created (`docker:<container id>`), a placeholder before. */
  key: string;
  containerId: string | null;
  name: string;
  port: number;
  url: string;
  state: ManagedState;
  createdAtMs: number;
  readyAtMs: number | null;
  idleSinceMs: number | null;
  unhealthySinceMs: number | null;
  lastError: string | null;
  drainReason: RemovalReason | null;
  /** When its drain began (null unless draining). */
  drainSinceMs: number | null;
  lastMoveAtMs: number | null;
  adopted: boolean;
  /** Adopted with another template's digest: replaced (one at a time) by one of the current template. */
  outdated: boolean;
  gone: boolean;
  /** A stop/remove of its container is under way. */
  removing: boolean;
  /** Its container is removed and the removal counted (a second removal is a no-op). */
  removed: boolean;
  /** Its creation or adoption is still under way: that path, not a drain, removes it if it must go. */
  bringingUp: boolean;
}

/** A managed engine as the API shows it. */
export interface ManagedView {
  readonly id: string;
  readonly containerId: string | null;
  readonly name: string;
  readonly url: string;
  readonly state: ManagedState;
  readonly createdAtMs: number;
  readonly readyAtMs: number | null;
  readonly lastError: string | null;
  readonly adopted: boolean;
}

export interface ProvisionStatus {
  readonly enabled: true;
  readonly gatewayId: string;
  readonly docker: { readonly endpoint: string; readonly up: boolean; readonly error: string | null };
  readonly desired: number;
  readonly floor: number;
  readonly min: number;
  readonly max: number;
  readonly managed: number;
  readonly breaker: {
    readonly open: boolean;
    readonly reason: string | null;
    readonly retryAtMs: number | null;
  };
  readonly lastError: string | null;
  readonly provisions: ReadonlyMap<ProvisionResult, number>;
  readonly removals: ReadonlyMap<RemovalReason, number>;
}

/** Why no engine can be had for a waiting open: null when one is on its way or can be started. */
export type NoRoomReason = string | null;

const STOP_GRACE_SECONDS = 5;
/**
 * A port an engine failed to start on (something else may hold it) is allocated again only when no other
 * port is free, for this long: the lowest free port is not retried until the breaker opens for good.
 */
const BAD_PORT_MS = 10 * 60_000;
/**
 * A container created by this gateway that exits this soon after its engine became ready is a failed
 * start-up too: an engine that crashes a few seconds after it answers must not be replaced in a loop.
 */
const EARLY_EXIT_MS = 60_000;
/** Longest random pause after giving up a port another gateway's container took (see #portTaken). */
const CLASH_JITTER_MS = 1000;
/** A draining engine's streams are moved again at most this often (a move is a failover each). */
const MOVE_EVERY_MS = 5000;

export class Provisioner {
  readonly #o: ProvisionerOptions;
  readonly #now: () => number;
  readonly #managed = new Map<string, Managed>();
  readonly #breaker: CreationBreaker;
  readonly #pending = new Set<Promise<unknown>>();
  readonly #provisions = new Map<ProvisionResult, number>(PROVISION_RESULTS.map((r) => [r, 0]));
  readonly #removals = new Map<RemovalReason, number>(REMOVAL_REASONS.map((r) => [r, 0]));
  #stop = new AbortController();
  #tick: NodeJS.Timeout | null = null;
  #prompted = false;
  #running = false;
  /** The current template's digest (TEMPLATE_LABEL). */
  readonly #digest: string;
  #dockerUp = true;
  #dockerError: string | null = null;
  #lastError: string | null = null;
  #lastListAtMs = 0;
  #listing = false;
  #floor = 0;
  #desired = 0;
  #lastReplaceAtMs: number | null = null;
  #seq = 0;
  /** Containers removed lately (id → when): a listing asked before their removal must not adopt them. */
  readonly #removedIds = new Map<string, number>();
  /** Ports a start-up failed on, and until when they are avoided. */
  readonly #badPorts = new Map<number, number>();
  /**
   * Ports held by other gateways' containers on the daemon (port → container name), as of the last
   * listing: created, starting or running, answering or not. Never allocated here.
   */
  #foreignPorts = new Map<number, string>();
  readonly #onRemoved = (e: { id: string }): void => this.#engineLeft(e.id);

  constructor(o: ProvisionerOptions) {
    this.#o = o;
    this.#digest = templateDigest(o.template);
    this.#now = o.now ?? Date.now;
    this.#breaker = new CreationBreaker(o.breaker);
  }

  /**
   * Checks the daemon (rejects with one sentence when it does not answer, within `pingTimeoutMs`: a daemon
   * that accepts connections but never replies is named a timeout) and adopts this gateway's containers.
   */
  async start(pingTimeoutMs: number = this.#o.callTimeoutMs): Promise<void> {
    const ping = await this.#call(
      (s) => this.#o.api.ping(s),
      pingTimeoutMs,
      startupTimeoutCause(pingTimeoutMs),
    );
    if (!ping.ok)
      throw new Error(`the Docker daemon at ${this.#o.api.endpoint} does not answer (${ping.error})`);
    this.#running = true;
    this.#o.registry.on('removed', this.#onRemoved);
    await this.#list();
    this.#tick = setInterval(() => this.#evaluate(), this.#o.tickMs);
    this.#tick.unref();
    this.#evaluate();
  }

  /** Stops planning; with `removeAll`, removes every managed container (bounded by `deadlineMs`). */
  async stop(removeAll: boolean, deadlineMs: number): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = null;
    this.#o.registry.off('removed', this.#onRemoved);
    this.#stop.abort();
    await Promise.allSettled([...this.#pending]);
    if (!removeAll) return;
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(new Error('shutdown deadline')), deadlineMs);
    timer.unref();
    const removing = new Set<string>();
    const removeOne = async (id: string): Promise<void> => {
      if (removing.has(id)) return;
      removing.add(id);
      await this.#o.api.remove(id, ctl.signal);
      this.#count('shutdown');
    };
    const known = [...this.#managed.values()]
      .filter((m) => m.containerId !== null)
      .map((m) => removeOne(m.containerId as string));
    // Docker's own list too: a create cut short by the shutdown may still have made its container.
    const listed = this.#o.api
      .listByLabel(`${MANAGED_LABEL}=${this.#o.gatewayId}`, ctl.signal)
      .then((cs) => Promise.allSettled(cs.map((c) => removeOne(c.Id))));
    await Promise.allSettled([...known, listed]);
    clearTimeout(timer);
  }

  /** Re-evaluates soon (a stream opened or closed, an open is waiting). Cheap; coalesced. */
  prompt(): void {
    if (!this.#running || this.#prompted) return;
    this.#prompted = true;
    setImmediate(() => {
      this.#prompted = false;
      this.#evaluate();
    });
  }

  /** Sets the operator's floor (`POST /api/v1/engines {"count": N}`); returns the new desired count. */
  setFloor(count: number): number {
    this.#floor = count;
    this.#evaluate();
    return this.#desired;
  }

  /** True when `engineId` is one of this gateway's containers. */
  manages(engineId: string): boolean {
    return this.#managed.has(engineId);
  }

  /**
   * Drains an engine: it takes no new stream, its streams move away once another engine has room, and a
   * managed one is then removed. Static and discovered engines stay listed, draining.
   */
  drain(engineId: string): boolean {
    const m = this.#managed.get(engineId);
    if (m) {
      if (m.state === 'stopping') return true;
      this.#startDrain(m, 'drained');
      this.#evaluate();
      return true;
    }
    if (!this.#o.registry.get(engineId)) return false;
    this.#o.registry.setLifecycle(engineId, 'draining');
    this.#o.moveStreams(engineId);
    return true;
  }

  /**
   * Whether an open that finds no room can expect an engine, `queued` opens being ahead of it: null when
   * the engines being started, plus those that may still be started, have room for it; else the sentence
   * saying why not (Docker down, creation paused, at the maximum).
   */
  noRoomReason(queued = 0): NoRoomReason {
    const now = this.#now();
    const cap = this.#o.limits.cap;
    let room = 0;
    let active = 0;
    for (const m of this.#managed.values()) {
      if (m.state === 'starting') room += cap;
      if (m.state === 'starting' || m.state === 'ready') active++;
    }
    const canCreate = this.#dockerUp && !this.#breaker.isOpen(now);
    if (canCreate) room += Math.max(0, this.#o.limits.max - active) * cap;
    if (queued < room) return null;
    if (!this.#dockerUp) return `the Docker daemon is unreachable (${this.#dockerError ?? 'no answer'})`;
    if (this.#breaker.isOpen(now))
      return `engine creation is paused after repeated failures (${this.#breaker.reason() ?? 'unknown'})`;
    return `every engine is at its stream cap and the fleet is at --provision-max ${this.#o.limits.max}`;
  }

  /** Managed engines, including those not (yet) in the registry. */
  list(): ManagedView[] {
    return [...this.#managed.values()].map(view);
  }

  get(engineId: string): ManagedView | null {
    const m = this.#managed.get(engineId);
    return m ? view(m) : null;
  }

  status(): ProvisionStatus {
    const now = this.#now();
    return {
      enabled: true,
      gatewayId: this.#o.gatewayId,
      docker: { endpoint: this.#o.api.endpoint, up: this.#dockerUp, error: this.#dockerError },
      desired: this.#desired,
      floor: this.#floor,
      min: this.#o.limits.min,
      max: this.#o.limits.max,
      managed: this.#managed.size,
      breaker: {
        open: this.#breaker.isOpen(now),
        reason: this.#breaker.isOpen(now) ? this.#breaker.reason() : null,
        retryAtMs: this.#breaker.isOpen(now) ? this.#breaker.retryAtMs() : null,
      },
      lastError: this.#lastError,
      provisions: this.#provisions,
      removals: this.#removals,
    };
  }

  // ------------------------------------------------------------------ planning

  #evaluate(): void {
    if (!this.#running) return;
    const now = this.#now();
    if (!this.#listing && now - this.#lastListAtMs >= this.#o.listEveryMs) this.#track(this.#list());
    this.#observe(now);
    const p = plan(
      {
        nowMs: now,
        engines: [...this.#managed.values()]
          .filter((m) => !m.gone)
          .map((m) => planEngine(m, this.#o.registry.get(m.key)?.streams ?? 0)),
        pendingOpens: this.#o.pendingOpens(),
        floor: this.#floor,
        lastReplaceAtMs: this.#lastReplaceAtMs,
      },
      this.#o.limits,
    );
    this.#desired = p.desired;
    if (p.replace) {
      const m = this.#managed.get(p.replace.id);
      if (m) {
        this.#lastReplaceAtMs = now;
        this.#o.logger.warn(
          { engine: m.url, container: m.name, reason: p.replace.reason, error: m.lastError },
          REPLACE_MESSAGES[p.replace.reason],
        );
        this.#startDrain(m, p.replace.reason);
      }
    }
    // Docker unreachable: an idle engine could not be removed, only taken out of service (stopping) until
    // the daemon is back, while demand may come back and nothing can be created. It stays ready.
    if (this.#dockerUp)
      for (const id of p.remove) {
        const m = this.#managed.get(id);
        if (m) this.#track(this.#remove(m, 'idle'));
      }
    if (this.#dockerUp) for (let i = 0; i < p.create; i++) if (!this.#create()) break;
    this.#advanceDrains(now);
  }

  /** Refreshes idle and health clocks from the registry. */
  #observe(now: number): void {
    for (const m of this.#managed.values()) {
      const e = this.#o.registry.get(m.key);
      const streams = e?.streams ?? 0;
      m.idleSinceMs = streams > 0 ? null : (m.idleSinceMs ?? now);
      const healthy = e ? e.healthy : m.state !== 'ready';
      m.unhealthySinceMs = healthy ? null : (m.unhealthySinceMs ?? now);
      if (e && !e.healthy && e.lastError) m.lastError = e.lastError;
    }
  }

  #startDrain(m: Managed, reason: RemovalReason): void {
    if (m.state === 'draining' || m.state === 'stopping') return;
    m.state = 'draining';
    m.drainReason = reason;
    m.drainSinceMs = this.#now();
    this.#o.registry.setLifecycle(m.key, 'draining');
  }

  /** Moves a draining engine's streams once there is room elsewhere (or it waited a full start-up), then removes it. */
  #advanceDrains(now: number): void {
    for (const m of this.#managed.values()) {
      if (m.state !== 'draining' || m.bringingUp) continue;
      const streams = this.#o.registry.get(m.key)?.streams ?? 0;
      if (streams === 0) {
        this.#track(this.#remove(m, m.drainReason ?? 'drained'));
        continue;
      }
      if (m.lastMoveAtMs !== null && now - m.lastMoveAtMs < MOVE_EVERY_MS) continue;
      const room = this.#o.registry.select(new Set([m.key])) !== null;
      const waitedMs = now - (m.drainSinceMs ?? now);
      // Without room, one move once a start-up time has passed (a sick engine's streams try elsewhere);
      // after that only with room: each move restarts every stream's session, which then has nowhere to go.
      if (!room && (waitedMs < this.#o.startupMs || m.lastMoveAtMs !== null)) continue;
      m.lastMoveAtMs = now;
      this.#o.logger.info({ engine: m.url, streams }, 'moving streams off a draining engine');
      this.#o.moveStreams(m.key);
    }
  }

  // ------------------------------------------------------------------ Docker side

  /** Starts one creation in the background; false when the breaker or the port range refuses. */
  #create(): boolean {
    const now = this.#now();
    if (!this.#breaker.allow(now)) return false;
    const used = new Set<number>();
    for (const m of this.#managed.values()) used.add(m.port);
    for (const p of this.#foreignPorts.keys()) used.add(p);
    for (const e of this.#o.registry.list()) {
      const port = Number(new URL(e.url).port);
      if (port > 0) used.add(port);
    }
    const avoid = new Set(used);
    for (const [p, untilMs] of this.#badPorts) {
      if (untilMs <= now) this.#badPorts.delete(p);
      else avoid.add(p);
    }
    const fresh = allocatePort(this.#o.ports, avoid);
    const port = fresh ?? allocatePort(this.#o.ports, used);
    if (port === null) {
      this.#failed(null, `no free port in --provision-ports ${this.#o.ports.first}-${this.#o.ports.last}`);
      return false;
    }
    const name = `shardcast-engine-${sanitize(this.#o.gatewayId)}-${port}-${(++this.#seq).toString(36)}${now.toString(36).slice(-4)}`;
    const body = renderTemplate(
      this.#o.template,
      { port, name, gatewayId: this.#o.gatewayId },
      this.#o.selector,
    );
    const m: Managed = {
      key: `pending:${name}`,
      containerId: null,
      name,
      port,
      // Where discovery reaches it too: the template's host label (an engine reached elsewhere) or loopback.
      url: engineUrl(body.Labels as Record<string, string>, port),
      state: 'starting',
      createdAtMs: now,
      readyAtMs: null,
      idleSinceMs: now,
      unhealthySinceMs: null,
      lastError: null,
      drainReason: null,
      drainSinceMs: null,
      lastMoveAtMs: null,
      adopted: false,
      outdated: false,
      gone: false,
      removing: false,
      removed: false,
      bringingUp: true,
    };
    this.#managed.set(m.key, m);
    this.#track(this.#bringUp(m, body, fresh !== null));
    return true;
  }

  async #bringUp(m: Managed, body: Record<string, unknown>, freshPort: boolean): Promise<void> {
    try {
      await this.#bringUpSteps(m, body, freshPort);
    } finally {
      m.bringingUp = false;
    }
  }

  /** `freshPort`: its port is not one avoided after a failure (another port was free). */
  async #bringUpSteps(m: Managed, body: Record<string, unknown>, freshPort: boolean): Promise<void> {
    const t0 = performance.now();
    const inUse = this.#o.addressInUse ? await this.#o.addressInUse(m.url).catch(() => false) : false;
    if (inUse) {
      const reason = `port ${m.port} is in use: something already listens at ${m.url}`;
      // Only when no other port is left is it a failed start-up (counted, and toward the breaker).
      if (!freshPort) return this.#startFailed(m, reason, t0);
      return this.#portInUse(m, reason);
    }
    const created = await this.#call((s) => this.#o.api.create(m.name, body, s));
    if (!created.ok) return this.#startFailed(m, `create failed: ${created.error}`, t0);
    const pendingKey = m.key;
    this.#managed.delete(pendingKey);
    this.#o.registry.clearLifecycle(pendingKey);
    m.containerId = created.value;
    m.key = dockerEngineId(created.value);
    this.#managed.set(m.key, m);
    this.#o.registry.setLifecycle(m.key, m.state);
    // Another gateway on this daemon may have made a container on the same port since the last listing
    // (its engine not answering yet, so the connect probe above saw nothing). Checked after our create, so
    // of two gateways creating on one port at the same moment at least one sees the other and backs off.
    const holder = await this.#portHolder(m);
    if (holder !== null && m.state === 'starting')
      return this.#portTaken(m, `port ${m.port} is held by another gateway's container ${holder}`);
    // Drained while being created or started: it goes without counting as a failed start-up (nor as the
    // breaker's trial: the next creation may be).
    const drained = (): boolean => {
      if (m.state === 'starting') return false;
      this.#breaker.abandon();
      return true;
    };
    if (drained()) return this.#remove(m, m.drainReason ?? 'drained');
    const started = await this.#call((s) => this.#o.api.start(m.containerId as string, s));
    if (!started.ok) return this.#startFailed(m, `start failed: ${started.error}`, t0);
    const why = await this.#waitReady(m);
    if (drained()) return this.#remove(m, m.drainReason ?? 'drained');
    if (why !== null) return this.#startFailed(m, why, t0);
    const ms = performance.now() - t0;
    this.#breaker.success(this.#now());
    this.#provisions.set('ok', (this.#provisions.get('ok') ?? 0) + 1);
    this.#o.onProvision?.(ms, true);
    this.#becomeReady(m, ms);
  }

  /** Polls `get_status` until it answers, the start-up deadline passes, or the container goes. */
  async #waitReady(m: Managed): Promise<string | null> {
    const deadline = this.#now() + this.#o.startupMs;
    let last = 'no answer yet';
    while (this.#running && !m.gone && m.state === 'starting') {
      const why = await this.#o
        .checkStatus(m.url, Math.max(250, this.#o.statusPollMs * 4))
        .catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
      if (why === null) return null;
      last = why;
      if (this.#now() >= deadline) break;
      await sleep(this.#o.statusPollMs, this.#stop.signal);
    }
    if (m.gone) return 'the container exited while starting';
    if (!this.#running) return 'the gateway is stopping';
    if (m.state !== 'starting') return 'drained while starting';
    return `no good get_status within ${Math.round(this.#o.startupMs / 1000)} s (${last})`;
  }

  #becomeReady(m: Managed, provisionMs: number | null): void {
    if (!this.#running || m.gone || m.state !== 'starting') return;
    m.state = 'ready';
    m.readyAtMs = this.#now();
    m.idleSinceMs = m.readyAtMs;
    if (!this.#o.registry.get(m.key) && m.containerId) {
      this.#o.registry.add({
        id: m.key,
        url: m.url,
        source: 'docker',
        containerId: m.containerId,
        containerName: m.name,
      });
    }
    // Its own get_status just answered: selectable now, not after the prober's next rounds.
    this.#o.registry.markHealthy(m.key, m.readyAtMs);
    this.#o.registry.setLifecycle(m.key, 'ready');
    this.#o.logger.info(
      {
        engine: m.url,
        container: m.name,
        provisionMs: provisionMs === null ? null : Math.round(provisionMs),
        adopted: m.adopted,
      },
      m.adopted ? 'adopted a managed engine' : 'managed engine ready',
    );
    this.#o.onReady?.(view(m), provisionMs);
    this.#evaluate();
  }

  /**
   * Its port turned out to be in use before anything was created: the port is avoided like a failed
   * start-up's and the next creation, on another port, starts at once; nothing counts as a failure.
   */
  #portInUse(m: Managed, reason: string): void {
    if (!this.#running) return;
    this.#badPorts.set(m.port, this.#now() + BAD_PORT_MS);
    this.#lastError = reason;
    this.#o.logger.warn({ container: m.name, error: reason }, 'engine port in use; trying another');
    this.#managed.delete(m.key);
    this.#o.registry.clearLifecycle(m.key);
    // It may have been the breaker's trial: a later creation may be.
    this.#breaker.abandon();
    this.#evaluate();
  }

  /**
   * A fresh listing of the containers labelled with `m`'s port: the name of another gateway's container
   * that holds it (created or running), else null. A listing that fails tells nothing: null.
   */
  async #portHolder(m: Managed): Promise<string | null> {
    const res = await this.#call((s) => this.#o.api.listByLabel(`${PROVISION_PORT_LABEL}=${m.port}`, s));
    if (!res.ok) return null;
    const holder = this.#foreign(res.value).get(m.port) ?? null;
    if (holder !== null) this.#foreignPorts.set(m.port, holder);
    return holder;
  }

  /** Ports held by containers of other provision ids (not exited), port → container name. */
  #foreign(containers: readonly ContainerSummaryJson[]): Map<number, string> {
    const out = new Map<number, string>();
    for (const c of containers) {
      const owner = c.Labels?.[MANAGED_LABEL];
      if (owner === undefined || owner === this.#o.gatewayId) continue;
      if (c.State === 'exited' || c.State === 'dead') continue;
      const port = heldPort(c.Labels);
      if (port !== null) out.set(port, (c.Names?.[0] ?? c.Id).replace(/^\//, ''));
    }
    return out;
  }

  /**
   * Our new container's port is another gateway's: it is removed before it starts (no failure, the port is
   * avoided like one in use) and the next creation, on another port, starts at once.
   */
  async #portTaken(m: Managed, reason: string): Promise<void> {
    this.#badPorts.set(m.port, this.#now() + BAD_PORT_MS);
    this.#lastError = reason;
    m.lastError = reason;
    this.#o.logger.warn({ container: m.name, error: reason }, 'engine port in use; trying another');
    this.#breaker.abandon();
    // Two gateways that saw each other's container both give up the port, and would pick the same next
    // one at the same moment again: a random pause (the container kept meanwhile, so nothing else is
    // created in its place) sets them apart, the later one then seeing the earlier one's container.
    await sleep(Math.random() * CLASH_JITTER_MS, this.#stop.signal);
    const id = m.containerId as string;
    const removed = await this.#call((s) => this.#o.api.remove(id, s));
    // Docker refused: the ordinary removal path keeps it (stopping) and the next listing retries.
    if (!removed.ok) return this.#remove(m, 'failed');
    m.removed = true;
    this.#removedIds.set(id, this.#now());
    this.#managed.delete(m.key);
    this.#o.registry.clearLifecycle(m.key);
    this.#evaluate();
  }

  #startFailed(m: Managed, reason: string, t0: number): void {
    this.#o.onProvision?.(performance.now() - t0, false);
    if (this.#running) this.#badPorts.set(m.port, this.#now() + BAD_PORT_MS);
    this.#failed(m, reason);
    this.#track(this.#remove(m, 'failed'));
  }

  /**
   * Records a creation failure: counters (unless the creation was counted ok already), breaker, last
   * error, one log line.
   */
  #failed(m: Managed | null, reason: string, counted = false): void {
    if (!this.#running) return;
    if (!counted) this.#provisions.set('failed', (this.#provisions.get('failed') ?? 0) + 1);
    this.#lastError = reason;
    if (m) m.lastError = reason;
    const opened = this.#breaker.failure(this.#now(), reason);
    this.#o.logger.warn({ container: m?.name ?? null, error: reason }, 'engine provisioning failed');
    if (opened) {
      this.#o.logger.error(
        { error: reason, retryInMs: (this.#breaker.retryAtMs() ?? 0) - this.#now() },
        `engine creation paused: ${this.#o.breaker.failures} failures within ${Math.round(this.#o.breaker.windowMs / 1000)} s (last: ${reason})`,
      );
    }
  }

  async #remove(m: Managed, reason: RemovalReason): Promise<void> {
    if (m.removing || m.removed) return;
    m.removing = true;
    try {
      await this.#removeNow(m, reason);
    } finally {
      m.removing = false;
    }
  }

  async #removeNow(m: Managed, reason: RemovalReason): Promise<void> {
    const wasRegistered = this.#o.registry.get(m.key) !== undefined;
    // A removal Docker refuses is retried at the next listing under this same reason.
    m.drainReason ??= reason;
    m.state = 'stopping';
    this.#o.registry.setLifecycle(m.key, 'stopping');
    if (m.containerId) {
      const id = m.containerId;
      if (reason !== 'died' && reason !== 'failed')
        await this.#call((s) => this.#o.api.stop(id, STOP_GRACE_SECONDS, s));
      const removed = await this.#call((s) => this.#o.api.remove(id, s));
      if (!removed.ok) {
        // Docker is away: the container stays known (stopping) and the next listing retries.
        this.#o.logger.warn({ container: m.name, error: removed.error }, 'managed engine not removed yet');
        m.lastError = removed.error;
        return;
      }
    }
    m.removed = true;
    if (m.containerId) this.#removedIds.set(m.containerId, this.#now());
    this.#managed.delete(m.key);
    if (wasRegistered || this.#o.registry.get(m.key)) this.#o.registry.remove(m.key);
    this.#o.registry.clearLifecycle(m.key);
    this.#count(reason);
    if (reason !== 'failed')
      this.#o.logger.info({ engine: m.url, container: m.name, reason }, 'managed engine removed');
    this.#o.onRemoved?.(view(m), reason);
  }

  /** The registry dropped an engine (its container died or stopped): replace it. */
  #engineLeft(engineId: string): void {
    const m = this.#managed.get(engineId);
    if (!m || m.state === 'stopping') return;
    m.gone = true;
    m.lastError = 'the container exited';
    if (m.state === 'starting') return; // its start-up fails and removes it
    this.#o.logger.warn({ engine: m.url, container: m.name }, 'managed engine container died');
    const upMs = m.readyAtMs === null ? null : this.#now() - m.readyAtMs;
    if (!m.adopted && upMs !== null && upMs < EARLY_EXIT_MS)
      this.#failed(
        m,
        `the container exited ${Math.round(upMs / 1000)} s after its engine became ready`,
        true,
      );
    this.#track(this.#remove(m, 'died').then(() => this.#evaluate()));
  }

  /** Lists this gateway's containers: adopts running unknown ones, removes exited ones, forgets vanished ones. */
  async #list(): Promise<void> {
    this.#listing = true;
    // Only containers created before the listing was asked for can be missing from it for good.
    const asked = new Set<string>();
    for (const m of this.#managed.values()) if (m.containerId !== null) asked.add(m.key);
    const askedAtMs = this.#now();
    try {
      // Every gateway's containers: ours to adopt or remove, the others' for the ports they hold.
      const res = await this.#call((s) => this.#o.api.listByLabel(MANAGED_LABEL, s));
      this.#lastListAtMs = this.#now();
      if (!res.ok) {
        if (this.#dockerUp)
          this.#o.logger.warn(
            { docker: this.#o.api.endpoint, error: res.error },
            'Docker daemon unreachable; provisioning paused, engines keep serving',
          );
        this.#dockerUp = false;
        this.#dockerError = res.error;
        return;
      }
      if (!this.#dockerUp)
        this.#o.logger.info({ docker: this.#o.api.endpoint }, 'Docker daemon back; provisioning resumes');
      this.#dockerUp = true;
      this.#dockerError = null;
      this.#foreignPorts = this.#foreign(res.value);
      const seen = new Set<string>();
      for (const c of res.value) {
        if (c.Labels?.[MANAGED_LABEL] !== this.#o.gatewayId) continue;
        const key = dockerEngineId(c.Id);
        seen.add(key);
        const known = this.#managed.get(key);
        // Paused is not exited (see factsFromSummary): a frozen engine is healed like any unhealthy one.
        const running = c.State === 'running' || c.State === 'paused';
        if (known) {
          if (known.state === 'stopping') {
            // A removal Docker refused earlier (it was away): try again.
            this.#track(this.#remove(known, known.drainReason ?? 'drained'));
          } else if (!running && !known.gone) {
            // `created`: its start is still on its way (the listing ran between create and start).
            if (known.state === 'starting') known.gone = c.State !== 'created';
            else this.#engineLeft(key);
          }
          continue;
        }
        if (this.#pendingName(c)) continue;
        // Removed by us after this listing was asked for: it is no orphan and must not be adopted back.
        if (this.#removedIds.has(c.Id)) continue;
        if (running) this.#adopt(c);
        else this.#track(this.#removeOrphan(c));
      }
      // A removal this listing could not have seen is remembered until a later listing.
      for (const [id, atMs] of this.#removedIds) if (atMs < askedAtMs) this.#removedIds.delete(id);
      for (const m of [...this.#managed.values()]) {
        if (m.containerId === null || seen.has(m.key) || !asked.has(m.key)) continue;
        // Removed behind our back (docker rm): forget it, its streams fail over.
        m.removed = true;
        m.gone = true;
        this.#managed.delete(m.key);
        if (this.#o.registry.get(m.key)) this.#o.registry.remove(m.key);
        this.#o.registry.clearLifecycle(m.key);
        this.#count('died');
        this.#o.logger.warn(
          { engine: m.url, container: m.name },
          'managed engine container removed by someone else',
        );
        this.#o.onRemoved?.(view(m), 'died');
      }
    } finally {
      this.#listing = false;
    }
  }

  /** A container being created right now (its create answer not in yet) is not an orphan. */
  #pendingName(c: ContainerSummaryJson): boolean {
    const name = (c.Names?.[0] ?? '').replace(/^\//, '');
    return this.#managed.has(`pending:${name}`);
  }

  #adopt(c: ContainerSummaryJson): void {
    const port = Number(c.Labels?.[PORT_LABEL] ?? Number.NaN);
    const name = (c.Names?.[0] ?? '').replace(/^\//, '');
    if (!Number.isInteger(port) || port <= 0) {
      this.#o.logger.warn({ container: name }, 'managed container without a port label; removing it');
      this.#track(this.#removeOrphan(c));
      return;
    }
    const now = this.#now();
    const m: Managed = {
      key: dockerEngineId(c.Id),
      containerId: c.Id,
      name,
      port,
      url: engineUrl(c.Labels ?? {}, port),
      state: 'starting',
      // Docker's own creation time keeps rotation honest across gateway restarts.
      createdAtMs: typeof c.Created === 'number' ? c.Created * 1000 : now,
      readyAtMs: null,
      idleSinceMs: now,
      unhealthySinceMs: null,
      lastError: null,
      drainReason: null,
      drainSinceMs: null,
      lastMoveAtMs: null,
      adopted: true,
      // Made by a gateway from before the label: its template is unknown, it is left as it is.
      outdated: (c.Labels?.[TEMPLATE_LABEL] ?? this.#digest) !== this.#digest,
      gone: false,
      removing: false,
      removed: false,
      bringingUp: true,
    };
    this.#managed.set(m.key, m);
    this.#o.registry.setLifecycle(m.key, 'starting');
    this.#track(
      this.#waitReady(m).then((why) => {
        m.bringingUp = false;
        // Drained while it was being adopted: it goes now.
        if (m.state !== 'starting') return this.#remove(m, m.drainReason ?? 'drained');
        if (why === null) return this.#becomeReady(m, null);
        m.lastError = why;
        return this.#remove(m, 'failed');
      }),
    );
  }

  async #removeOrphan(c: ContainerSummaryJson): Promise<void> {
    const res = await this.#call((s) => this.#o.api.remove(c.Id, s));
    if (res.ok) {
      this.#count('orphan');
      this.#o.logger.info(
        { container: (c.Names?.[0] ?? c.Id).replace(/^\//, '') },
        'removed a stopped managed container',
      );
    }
  }

  #count(reason: RemovalReason): void {
    this.#removals.set(reason, (this.#removals.get(reason) ?? 0) + 1);
  }

  async #call<T>(
    fn: (signal: AbortSignal) => Promise<T>,
    timeoutMs: number = this.#o.callTimeoutMs,
    timeoutText = `Docker call exceeded its ${timeoutMs} ms deadline`,
  ): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    const ctl = new AbortController();
    const onStop = (): void => ctl.abort(new Error('the gateway is stopping'));
    this.#stop.signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => ctl.abort(new Error(timeoutText)), timeoutMs);
    timer.unref();
    try {
      return { ok: true, value: await fn(ctl.signal) };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      if (!this.#stop.signal.aborted && isTransport(err)) {
        this.#dockerUp = false;
        this.#dockerError = error;
      }
      return { ok: false, error };
    } finally {
      clearTimeout(timer);
      this.#stop.signal.removeEventListener('abort', onStop);
    }
  }

  #track(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }
}

const REPLACE_MESSAGES: Readonly<Record<ReplaceReason, string>> = {
  unhealthy: 'replacing an unhealthy engine',
  template: 'replacing an engine made from another template',
  max_age: 'rotating an old engine',
};

/** A call that never reached the daemon (no HTTP status). */
function isTransport(err: unknown): boolean {
  return (err as { status?: unknown })?.status === null;
}

function planEngine(m: Managed, streams: number): PlanEngine {
  return {
    id: m.key,
    state: m.state,
    streams,
    healthy: m.unhealthySinceMs === null,
    idleSinceMs: m.idleSinceMs,
    unhealthySinceMs: m.unhealthySinceMs,
    createdAtMs: m.createdAtMs,
    outdated: m.outdated,
  };
}

function view(m: Managed): ManagedView {
  return {
    id: m.key.startsWith(DOCKER_ID_PREFIX) ? m.key : `pending:${m.name}`,
    containerId: m.containerId,
    name: m.name,
    url: m.url,
    state: m.state,
    createdAtMs: m.createdAtMs,
    readyAtMs: m.readyAtMs,
    lastError: m.lastError,
    adopted: m.adopted,
  };
}

/** The engine's address from its labels, as discovery reads them: the host label (else loopback) and port. */
function engineUrl(labels: Readonly<Record<string, string>>, port: number): string {
  const given = labels[HOST_LABEL];
  const host = typeof given === 'string' && isValidHost(given) ? given : '127.0.0.1';
  const labelled = typeof labels[PORT_LABEL] === 'string' ? Number(labels[PORT_LABEL]) : Number.NaN;
  const p = Number.isInteger(labelled) && labelled > 0 && labelled <= 65535 ? labelled : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${p}`;
}

function sanitize(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 40);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}
