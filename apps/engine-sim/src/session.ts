// Engine sessions: one per (content, player id), like a real engine, which keeps several sessions on one
// engine apart by the `pid` parameter and hands the same session back when the same pair asks again.
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Faults } from './faults.js';
import type { SessionInfo, SimCounters } from './stats.js';

/** Something attached to a session that must end with it (a playback connection). */
export interface SessionConnection {
  end(reason: 'stopped' | 'killed'): void;
  /** New faults from an admin change, anchored at the moment they arrive. */
  applyFaults(faults: Faults): void;
}

export class Session {
  readonly id = randomBytes(20).toString('hex');
  /** Effective faults: defaults < admin < query; admin changes update live sessions. */
  faults: Faults;
  readonly createdAtMs = Date.now();
  readonly createdPerfMs = performance.now();
  readonly connections = new Set<SessionConnection>();
  bytesSent = 0;
  lastActivityMs = performance.now();
  ended = false;

  constructor(
    readonly key: string,
    readonly infohash: string,
    readonly contentId: string | null,
    readonly pid: string | null,
    readonly format: 'ts' | 'hls',
    /** Faults from the start request's query; they win over admin faults. */
    readonly queryFaults: Faults,
    faults: Faults,
  ) {
    this.faults = faults;
  }

  touch(): void {
    this.lastActivityMs = performance.now();
  }

  info(): SessionInfo {
    return {
      id: this.id,
      infohash: this.infohash,
      contentId: this.contentId,
      pid: this.pid,
      format: this.format,
      createdAt: new Date(this.createdAtMs).toISOString(),
      connections: this.connections.size,
      bytesSent: this.bytesSent,
      faults: this.faults,
    };
  }
}

/** What a start request names: a content id or an infohash (both 40 hex digits). */
export interface ContentRef {
  kind: 'id' | 'infohash';
  value: string;
}

/** The simulated swarm "resolves" a content id to a stable infohash. */
export function infohashOf(ref: ContentRef): string {
  if (ref.kind === 'infohash') return ref.value;
  return createHash('sha1').update(`shardcast-engine-sim:${ref.value}`).digest('hex');
}

export class SessionRegistry {
  readonly #byId = new Map<string, Session>();
  readonly #byKey = new Map<string, Session>();
  readonly #counters: SimCounters;

  constructor(counters: SimCounters) {
    this.#counters = counters;
  }

  get size(): number {
    return this.#byId.size;
  }

  /** The live session for (content, pid), or a new one with `faults`. */
  open(
    ref: ContentRef,
    pid: string | null,
    format: 'ts' | 'hls',
    queryFaults: Faults,
    faults: Faults,
  ): Session {
    const infohash = infohashOf(ref);
    const key = `${infohash}|${pid ?? ''}`;
    const existing = this.#byKey.get(key);
    if (existing && !existing.ended) {
      existing.touch();
      return existing;
    }
    const s = new Session(
      key,
      infohash,
      ref.kind === 'id' ? ref.value : null,
      pid,
      format,
      queryFaults,
      faults,
    );
    this.#byId.set(s.id, s);
    this.#byKey.set(key, s);
    this.#counters.sessionsStarted++;
    return s;
  }

  get(id: string): Session | undefined {
    return this.#byId.get(id);
  }

  /** Ends a session and every connection attached to it. */
  end(s: Session, reason: 'stopped' | 'expired'): void {
    if (s.ended) return;
    s.ended = true;
    this.#byId.delete(s.id);
    if (this.#byKey.get(s.key) === s) this.#byKey.delete(s.key);
    if (reason === 'stopped') this.#counters.sessionsStopped++;
    else this.#counters.sessionsExpired++;
    for (const c of [...s.connections]) c.end('stopped');
  }

  /** Ends sessions without connections that have been idle longer than `idleMs`. */
  expireIdle(idleMs: number, now = performance.now()): void {
    for (const s of this.#byId.values()) {
      if (s.connections.size === 0 && now - s.lastActivityMs > idleMs) this.end(s, 'expired');
    }
  }

  all(): IterableIterator<Session> {
    return this.#byId.values();
  }

  /** Ends every session (shutdown); not counted as stops. */
  clear(): void {
    for (const s of this.#byId.values()) {
      s.ended = true;
      for (const c of [...s.connections]) c.end('stopped');
    }
    this.#byId.clear();
    this.#byKey.clear();
  }
}
