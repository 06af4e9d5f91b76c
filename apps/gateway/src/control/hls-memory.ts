/**
 * Remembers, per stream key, where its HLS media sequence and discontinuity sequence stood when it
 * closed, so a stream recreated under the same key (or moved to a new owner) continues the numbering:
 * RFC 8216 §6.2.2 forbids a media sequence that goes backwards for a playlist URL. Bounded in size and age.
 */
import type { HlsStart } from '../protocol.js';

const MAX_KEYS = 10_000;
const MAX_AGE_MS = 24 * 3600_000;

export class HlsSequenceMemory {
  readonly #byKey = new Map<string, HlsStart & { atMs: number }>();

  remember(token: string, next: HlsStart, nowMs: number): void {
    this.#byKey.delete(token);
    this.#byKey.set(token, {
      seq: next.seq,
      discontinuitySeq: next.discontinuitySeq,
      resumed: true,
      atMs: nowMs,
    });
    if (this.#byKey.size > MAX_KEYS) {
      const oldest = this.#byKey.keys().next().value;
      if (oldest !== undefined) this.#byKey.delete(oldest);
    }
  }

  /**
   * Where a (re)opened stream starts. A key seen recently continues its numbering; otherwise the start is
   * the wall clock in seconds, which is above any sequence an earlier life of the key (even before a
   * gateway restart) can have reached with segments of a second or more, so cached segment URLs never name
   * different bytes.
   */
  next(token: string, nowMs: number): HlsStart {
    const clock = Math.floor(nowMs / 1000);
    const prev = this.#byKey.get(token);
    if (!prev || nowMs - prev.atMs > MAX_AGE_MS) return { seq: clock, discontinuitySeq: 0, resumed: false };
    return { seq: Math.max(prev.seq, clock), discontinuitySeq: prev.discontinuitySeq, resumed: true };
  }
}
