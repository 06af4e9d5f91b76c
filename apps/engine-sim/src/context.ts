// What every route handler shares: options, the loop, the clock, sessions, counters and admin faults.
import type { IncomingMessage } from 'node:http';
import type { LiveClock } from './clock.js';
import { type Faults, hasPlaybackFaults, mergeFaults } from './faults.js';
import type { HlsLive } from './hls.js';
import type { LoopRenderer } from './loop-renderer.js';
import type { ResolvedOptions } from './options.js';
import type { Pacer } from './pacer.js';
import type { SessionRegistry } from './session.js';
import type { SimCounters } from './stats.js';

export interface SimContext {
  readonly options: ResolvedOptions;
  readonly clock: LiveClock;
  readonly renderer: LoopRenderer;
  readonly pacer: Pacer;
  readonly hls: HlsLive;
  readonly sessions: SessionRegistry;
  readonly counters: SimCounters;
  readonly admin: AdminFaults;
  /** Aborted when the simulator closes: pending session starts give up then. */
  readonly closed: AbortSignal;
  /** The port actually bound (differs from options.port when that was 0). */
  port(): number;
}

const HOST_HEADER = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/** Origin for URLs handed to clients: the advertised host, else the Host the request came in on. */
export function publicOrigin(ctx: SimContext, req: IncomingMessage): string {
  if (ctx.options.advertisedHost !== null) return `http://${ctx.options.advertisedHost}`;
  const host = req.headers.host;
  if (host !== undefined && HOST_HEADER.test(host)) return `http://${host}`;
  const h = ctx.options.host.includes(':') ? `[${ctx.options.host}]` : ctx.options.host;
  return `http://${h}:${ctx.port()}`;
}

/**
 * Faults set through POST /sim/faults: one global layer and one per content (id or infohash). They sit
 * between the CLI defaults and a start request's query parameters.
 */
export class AdminFaults {
  global: Faults = {};
  readonly byContent = new Map<string, Faults>();

  /** Effective faults of a session for `contents` (its id and infohash) given its query faults. */
  resolve(defaults: Faults, contents: readonly (string | null)[], query: Faults): Faults {
    const scoped = contents.map((c) => (c === null ? undefined : this.byContent.get(c)));
    return mergeFaults(defaults, this.global, ...scoped, query);
  }

  snapshot(): { faults: Faults; content: Record<string, Faults> } {
    return { faults: this.global, content: Object.fromEntries(this.byContent) };
  }
}

/** Recomputes the faults of live sessions after an admin change and hands them to open connections. */
export function refreshLiveFaults(ctx: SimContext): void {
  for (const s of ctx.sessions.all()) {
    const next = ctx.admin.resolve(ctx.options.faults, [s.contentId, s.infohash], s.queryFaults);
    const prev = s.faults;
    s.faults = next;
    if (JSON.stringify(next) === JSON.stringify(prev)) continue;
    if (!hasPlaybackFaults(next) && !hasPlaybackFaults(prev)) continue;
    for (const c of s.connections) c.applyFaults(next);
  }
}
