/**
 * The pure half of engine provisioning: how many managed engines the gateway wants, which idle ones go,
 * which sick, outdated or old one is replaced next, the circuit breaker that stops creating after repeated failures,
 * and port allocation. No Docker, no timers: time is passed in, so tests run simulated hours in ms.
 */

export type ManagedState = 'starting' | 'ready' | 'draining' | 'stopping';

/** One managed engine as the planner sees it. */
export interface PlanEngine {
  readonly id: string;
  readonly state: ManagedState;
  readonly streams: number;
  readonly healthy: boolean;
  /** Since when it has carried no stream (null while it carries one). */
  readonly idleSinceMs: number | null;
  /** Since when its health probe has failed (null while healthy). */
  readonly unhealthySinceMs: number | null;
  readonly createdAtMs: number;
  /** Made from another template than the current one (a restart with a new template adopted it). */
  readonly outdated?: boolean;
}

export interface PlanLimits {
  /** Engines kept even when idle. */
  readonly min: number;
  /** Idle engines kept beside the busy ones. */
  readonly minFree: number;
  readonly max: number;
  /** Streams one engine may carry. */
  readonly cap: number;
  /** An engine with no stream this long, above the desired count, is removed. */
  readonly idleMs: number;
  /** An engine unhealthy this long is replaced. */
  readonly unhealthyMs: number;
  /** Engines older than this are drained and replaced; null = never. */
  readonly maxAgeMs: number | null;
  /** Pause between two replacements (heal or rotation). */
  readonly replaceCooldownMs: number;
}

export interface PlanInput {
  readonly nowMs: number;
  readonly engines: readonly PlanEngine[];
  /** Stream opens waiting for room. */
  readonly pendingOpens: number;
  /** Operator floor (`POST /api/v1/engines {"count"}`), 0 when unset. */
  readonly floor: number;
  /** When the last replacement began (null: never). */
  readonly lastReplaceAtMs: number | null;
}

export type ReplaceReason = 'unhealthy' | 'template' | 'max_age';

export interface Plan {
  readonly desired: number;
  /** Engines to create now. */
  readonly create: number;
  /** Idle engines to remove now (never one with a stream). */
  readonly remove: readonly string[];
  /** The engine to drain and replace now, if any (one at a time). */
  readonly replace: { readonly id: string; readonly reason: ReplaceReason } | null;
}

/** Engines that count toward the fleet: not on their way out. */
function active(e: PlanEngine): boolean {
  return e.state === 'starting' || e.state === 'ready';
}

/**
 * `max(min, floor, busy + minFree)` plus one when every busy-capable engine is within one stream of its
 * cap (lookahead; only busy engines count, so an idle fleet never grows), plus what waiting opens and
 * draining engines' streams need beyond the free room, never above `max`.
 */
export function desiredCount(input: PlanInput, limits: PlanLimits): number {
  const act = input.engines.filter(active);
  const ready = act.filter((e) => e.state === 'ready');
  const busy = ready.filter((e) => e.streams > 0).length;
  const lookahead = busy > 0 && ready.every((e) => e.streams >= limits.cap - 1) ? 1 : 0;
  let free = 0;
  for (const e of act) free += e.state === 'starting' ? limits.cap : Math.max(0, limits.cap - e.streams);
  let homeless = input.pendingOpens;
  for (const e of input.engines) if (e.state === 'draining') homeless += e.streams;
  const shortfall = Math.max(0, homeless - free);
  const needed = shortfall > 0 ? act.length + Math.ceil(shortfall / limits.cap) : 0;
  const want = Math.max(limits.min, input.floor, busy + limits.minFree + lookahead, needed);
  return Math.min(limits.max, want);
}

export function plan(input: PlanInput, limits: PlanLimits): Plan {
  const now = input.nowMs;
  const desired = desiredCount(input, limits);
  const act = input.engines.filter(active);
  const replacing = input.engines.some((e) => e.state === 'draining');
  let replace: Plan['replace'] = null;
  const cooled = input.lastReplaceAtMs === null || now - input.lastReplaceAtMs >= limits.replaceCooldownMs;
  if (!replacing && cooled) {
    const sick = act
      .filter((e) => e.state === 'ready' && e.unhealthySinceMs !== null)
      .filter((e) => now - (e.unhealthySinceMs as number) >= limits.unhealthyMs)
      .sort((a, b) => (a.unhealthySinceMs as number) - (b.unhealthySinceMs as number))[0];
    // Then one made from an older template, then one past the maximum age; oldest first each.
    const outdated = act
      .filter((e) => e.state === 'ready' && e.outdated === true)
      .sort((a, b) => a.createdAtMs - b.createdAtMs)[0];
    if (sick) replace = { id: sick.id, reason: 'unhealthy' };
    else if (outdated) replace = { id: outdated.id, reason: 'template' };
    else if (limits.maxAgeMs !== null) {
      const old = act
        .filter((e) => e.state === 'ready' && now - e.createdAtMs >= (limits.maxAgeMs as number))
        .sort((a, b) => a.createdAtMs - b.createdAtMs)[0];
      if (old) replace = { id: old.id, reason: 'max_age' };
    }
  }
  // The engine being replaced no longer counts: its successor is created in the same pass.
  const counted = replace ? act.length - 1 : act.length;
  const create = Math.max(0, desired - counted);
  const remove: string[] = [];
  if (counted > desired) {
    const idle = act
      .filter((e) => e.state === 'ready' && e.streams === 0 && e.id !== replace?.id)
      .filter((e) => e.idleSinceMs !== null && now - e.idleSinceMs >= limits.idleMs)
      // The longest idle first.
      .sort((a, b) => (a.idleSinceMs as number) - (b.idleSinceMs as number));
    for (const e of idle.slice(0, counted - desired)) remove.push(e.id);
  }
  return { desired, create, remove, replace };
}

export interface BreakerOptions {
  /** Failures within `windowMs` that open the breaker. */
  readonly failures: number;
  readonly windowMs: number;
  /** How long it stays open before one trial creation is let through. */
  readonly openMs: number;
}

/**
 * Circuit breaker for engine creation: `failures` failures within `windowMs` open it (no creation) for
 * `openMs`, successes between them or not; then one trial is allowed (half-open): success closes it,
 * failure opens it again, and so does a failure within `windowMs` of the trial's success (its engine died
 * soon after it started: a crash loop).
 */
export class CreationBreaker {
  readonly #opts: BreakerOptions;
  #failures: number[] = [];
  #openUntilMs: number | null = null;
  #trial = false;
  #reason: string | null = null;
  /** Until when a failure re-opens it at once (a trial succeeded lately). */
  #probationUntilMs: number | null = null;

  constructor(opts: BreakerOptions) {
    this.#opts = opts;
  }

  /** May a creation start now? Half-open lets exactly one through. */
  allow(nowMs: number): boolean {
    if (this.#openUntilMs === null) return true;
    if (nowMs < this.#openUntilMs || this.#trial) return false;
    this.#trial = true;
    return true;
  }

  /** Open (no creation allowed now, a trial is running, or one is due). */
  isOpen(nowMs: number): boolean {
    return this.#openUntilMs !== null && (nowMs < this.#openUntilMs || this.#trial);
  }

  /** Why it opened (the last failure), while open; else null. */
  reason(): string | null {
    return this.#openUntilMs === null ? null : this.#reason;
  }

  /** When it lets the next trial through (null while closed). */
  retryAtMs(): number | null {
    return this.#openUntilMs;
  }

  /** A creation succeeded: closes the breaker. The failures within the window still count. */
  success(nowMs: number): void {
    if (this.#openUntilMs !== null) this.#probationUntilMs = nowMs + this.#opts.windowMs;
    this.#openUntilMs = null;
    this.#trial = false;
    this.#reason = null;
  }

  /** A creation that ended neither well nor badly (drained while starting): a later one may be the trial. */
  abandon(): void {
    this.#trial = false;
  }

  /** Records a failure; returns true when this failure opened (or re-opened) the breaker. */
  failure(nowMs: number, reason: string): boolean {
    this.#reason = reason;
    const probation = this.#probationUntilMs !== null && nowMs < this.#probationUntilMs;
    this.#probationUntilMs = null;
    if (this.#trial || this.#openUntilMs !== null || probation) {
      this.#trial = false;
      this.#openUntilMs = nowMs + this.#opts.openMs;
      return true;
    }
    this.#failures = this.#failures.filter((t) => nowMs - t < this.#opts.windowMs);
    this.#failures.push(nowMs);
    if (this.#failures.length < this.#opts.failures) return false;
    this.#failures = [];
    this.#openUntilMs = nowMs + this.#opts.openMs;
    return true;
  }
}

export interface PortRange {
  readonly first: number;
  readonly last: number;
}

/** `19000-19999` → the range, or one sentence. */
export function parsePortRange(text: string): PortRange | string {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  const first = m ? Number(m[1]) : Number.NaN;
  const last = m ? Number(m[2]) : Number.NaN;
  if (!m || first < 1 || last > 65535 || first > last)
    return `port range "${text}" must be "first-last" with 1 ≤ first ≤ last ≤ 65535.`;
  return { first, last };
}

/** The lowest port of the range that no engine uses, or null when every one is taken. */
export function allocatePort(range: PortRange, used: ReadonlySet<number>): number | null {
  for (let p = range.first; p <= range.last; p++) if (!used.has(p)) return p;
  return null;
}
