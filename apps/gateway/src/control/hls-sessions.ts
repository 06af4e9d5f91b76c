/**
 * HLS viewers counted once gateway-wide. A player's playlist polls carry its session id and may land on
 * any shard; each shard reports the sessions that polled, and main keeps, per stream, the last poll of
 * each session. A session that has not polled within the viewer timeout no longer counts.
 */
import type { ClientEvent } from '../protocol.js';

export class HlsSessions {
  readonly #timeoutMs: number;
  readonly #byStream = new Map<number, Map<string, number>>();

  constructor(timeoutMs: number) {
    this.#timeoutMs = timeoutMs;
  }

  /** Sessions of one stream that polled around `atMs`; returns a `joined` event per new session. */
  observe(streamId: number, sessions: readonly string[], atMs: number): ClientEvent[] {
    if (sessions.length === 0) return [];
    let seen = this.#byStream.get(streamId);
    if (!seen) {
      seen = new Map();
      this.#byStream.set(streamId, seen);
    }
    const joined: ClientEvent[] = [];
    for (const id of sessions) {
      if (!seen.has(id)) joined.push({ streamId, event: 'joined', protocol: 'hls', reason: null, atMs });
      seen.set(id, atMs);
    }
    return joined;
  }

  /** Drops sessions that stopped polling; returns a `left` event (reason `idle`) for each. */
  expire(nowMs: number): ClientEvent[] {
    const left: ClientEvent[] = [];
    for (const [streamId, seen] of this.#byStream) {
      for (const [id, at] of seen) {
        if (nowMs - at <= this.#timeoutMs) continue;
        seen.delete(id);
        left.push({ streamId, event: 'left', protocol: 'hls', reason: 'idle', atMs: nowMs });
      }
      if (seen.size === 0) this.#byStream.delete(streamId);
    }
    return left;
  }

  /** The stream closed: its sessions leave (reason `detached`). */
  forget(streamId: number, atMs: number): ClientEvent[] {
    const seen = this.#byStream.get(streamId);
    if (!seen) return [];
    this.#byStream.delete(streamId);
    return [...seen.keys()].map(() => ({
      streamId,
      event: 'left',
      protocol: 'hls',
      reason: 'detached',
      atMs,
    }));
  }

  count(streamId: number): number {
    return this.#byStream.get(streamId)?.size ?? 0;
  }
}
