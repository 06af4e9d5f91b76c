/**
 * The shard's table of streams it can serve (every stream main told it about), and the open path:
 * a client request for a stream that is not live here asks main once per stream (requests from many
 * clients of this shard share one message), then leases the ring main names in its answer. A missing or
 * stale local entry therefore costs one round trip to main, never a failed viewer.
 */
import { type RingControl, type RingHandles, RingReader } from '@shardcast/ring';
import { type ErrorData, errorData } from '../errors.js';
import { ringReleased } from '../memory/reclaim.js';
import { keyString, type StreamKey } from '../stream-key.js';
import type { ControlChannel } from './control.js';

/** Per-shard counters of one stream, shipped to main every second. */
export interface StreamCounters {
  bytesOut: number;
  skips: number;
  drops: number;
  nullPackets: number;
  hlsSegmentsServed: number;
}

export class LocalStream {
  readonly id: number;
  readonly key: StreamKey;
  readonly token: string;
  readonly handles: RingHandles;
  readonly control: RingControl;
  readonly reader: RingReader;
  readonly counters: StreamCounters = {
    bytesOut: 0,
    skips: 0,
    drops: 0,
    nullPackets: 0,
    hlsSegmentsServed: 0,
  };
  /** Things to run when the stream is detached (TS clients end, HLS lease released). */
  readonly #onDetach = new Set<() => void>();
  detached = false;

  constructor(id: number, key: StreamKey, handles: RingHandles) {
    this.id = id;
    this.key = key;
    this.token = keyString(key);
    this.handles = handles;
    this.reader = new RingReader(handles);
    this.control = this.reader.control;
  }

  /** Live enough to serve: the owner has written a random-access point (it then marks the ring live). */
  get playable(): boolean {
    if (this.detached || this.control.closing) return false;
    const state = this.control.state;
    return state === 'live' || state === 'stalled';
  }

  onDetach(fn: () => void): () => void {
    this.#onDetach.add(fn);
    return () => this.#onDetach.delete(fn);
  }

  detach(): void {
    if (this.detached) return;
    this.detached = true;
    for (const fn of [...this.#onDetach]) fn();
    this.#onDetach.clear();
  }
}

export type Acquired = { stream: LocalStream; error: null } | { stream: null; error: ErrorData };

export class StreamTable {
  readonly #byId = new Map<number, LocalStream>();
  readonly #byToken = new Map<string, LocalStream>();
  readonly #opening = new Map<string, Promise<ErrorData | number>>();
  readonly #control: ControlChannel;
  readonly #openDeadlineMs: number;

  constructor(control: ControlChannel, openTimeoutSeconds: number) {
    this.#control = control;
    // Main answers by its own deadline; ours only guards against a lost reply.
    this.#openDeadlineMs = openTimeoutSeconds * 1000 + 5000;
  }

  get size(): number {
    return this.#byId.size;
  }

  values(): IterableIterator<LocalStream> {
    return this.#byId.values();
  }

  byId(id: number): LocalStream | undefined {
    return this.#byId.get(id);
  }

  byToken(token: string): LocalStream | undefined {
    return this.#byToken.get(token);
  }

  attach(id: number, key: StreamKey, handles: RingHandles): LocalStream {
    const existing = this.#byId.get(id);
    if (existing) return existing;
    const s = new LocalStream(id, key, handles);
    const old = this.#byToken.get(s.token);
    // A newer stream under the same key replaces a closing one.
    if (old && old.id !== id) old.detach();
    this.#byId.set(id, s);
    this.#byToken.set(s.token, s);
    return s;
  }

  detach(id: number): void {
    const s = this.#byId.get(id);
    if (!s) return;
    this.#byId.delete(id);
    if (this.#byToken.get(s.token) === s) this.#byToken.delete(s.token);
    s.detach();
    // The ring's memory returns only once this thread has collected its handles too.
    ringReleased();
  }

  /**
   * Finds or opens the stream and takes a lease on it. The caller must `control.release()` the lease
   * exactly once when its client goes away.
   */
  async acquire(key: StreamKey): Promise<Acquired> {
    const token = keyString(key);
    for (let attempt = 0; attempt < 3; attempt++) {
      const local = this.#byToken.get(token);
      if (local?.playable && local.control.tryAcquire()) return { stream: local, error: null };
      const result = await this.#open(key, token);
      if (typeof result !== 'number') return { stream: null, error: result };
      const s = this.#byId.get(result);
      if (s && !s.detached && s.control.tryAcquire()) return { stream: s, error: null };
      // The stream closed between main's answer and our lease (main has dropped it by now): ask again.
    }
    return {
      stream: null,
      error: errorData('SC_ERR_UPSTREAM_FAILED', 'The stream closed while opening; retry.'),
    };
  }

  /** Opens without leasing (HEAD requests warm a stream up; the grace period then applies). */
  async ensureOpen(key: StreamKey): Promise<ErrorData | null> {
    const token = keyString(key);
    const local = this.#byToken.get(token);
    if (local?.playable) return null;
    const r = await this.#open(key, token);
    return typeof r === 'number' ? null : r;
  }

  #open(key: StreamKey, token: string): Promise<ErrorData | number> {
    let p = this.#opening.get(token);
    if (!p) {
      p = this.#control
        .request((reqId) => ({ type: 'open', reqId, key }), this.#openDeadlineMs)
        .then((reply) => {
          if (!reply) return errorData(this.#control.closed ? 'SC_ERR_SHUTTING_DOWN' : 'SC_ERR_OPEN_TIMEOUT');
          if (reply.error) return reply.error;
          // Main's answer is the truth: serve its ring even if our table never had the stream, or had an
          // older life of the key (the port delivers announcements in order, so this is the newest).
          this.attach(reply.streamId, reply.key, reply.ring);
          return reply.streamId;
        })
        .finally(() => this.#opening.delete(token));
      this.#opening.set(token, p);
    }
    return p;
  }
}
