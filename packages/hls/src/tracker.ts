// Upstream tracker: fed successive parses of one live media playlist, it yields every new segment
// exactly once and in order (not only the newest), turns lost segments and upstream restarts into
// discontinuities, and says when to reload (RFC 8216 §6.3.4).

import { HlsError } from './errors.js';
import type { MediaPlaylist, ParsedSegment } from './types.js';

/** Options of an {@link UpstreamTracker}. */
export interface TrackerOptions {
  /** Segments taken from the live edge on the first poll and after a restart. Default 3. */
  readonly liveEdgeSegments?: number;
  /** Lower bound of a reload delay, ms. Default 500. */
  readonly minReloadMs?: number;
  /** Upper bound of a reload delay, ms (guards against absurd target durations). Default 10 000. */
  readonly maxReloadMs?: number;
}

/** What one poll produced. */
export interface TrackerUpdate {
  /** New segments, oldest first, each yielded once over the tracker's life. */
  readonly segments: readonly ParsedSegment[];
  /** Segments that fell out of the upstream window between two polls (the next one is a discontinuity). */
  readonly missed: number;
  /** The upstream restarted (media sequence backwards or discontinuity numbers inconsistent). */
  readonly restarted: boolean;
  /** The playlist changed since the last poll (new segments, restart, or ENDLIST). */
  readonly changed: boolean;
  /** EXT-X-ENDLIST seen: no more segments will come. */
  readonly ended: boolean;
  /** Delay before the next load, measured from when this load began (§6.3.4); null once ended. */
  readonly reloadMs: number | null;
}

/** Counters over the tracker's life. */
export interface TrackerStats {
  readonly polls: number;
  readonly segments: number;
  readonly gaps: number;
  readonly missed: number;
  readonly restarts: number;
}

const DEFAULT_LIVE_EDGE_SEGMENTS = 3;
const DEFAULT_MIN_RELOAD_MS = 500;
const DEFAULT_MAX_RELOAD_MS = 10_000;
// Reload cadence when the playlist gives no usable target duration.
const FALLBACK_TARGET_SECONDS = 4;
const MS_PER_SECOND = 1000;

function check(value: number | undefined, fallback: number, min: number, sentence: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < min) throw new HlsError('SC_ERR_HLS_OPTION', sentence);
  return v;
}

function flagged(seg: ParsedSegment): ParsedSegment {
  return seg.discontinuity ? seg : { ...seg, discontinuity: true };
}

/** Tracks one upstream live media playlist across polls. */
export class UpstreamTracker {
  readonly #liveEdge: number;
  readonly #minReload: number;
  readonly #maxReload: number;
  #lastSeq = -1;
  #lastDiscNumber = 0;
  #lastHeaderDisc = 0;
  #ended = false;
  #polls = 0;
  #segments = 0;
  #gaps = 0;
  #missed = 0;
  #restarts = 0;

  constructor(options: TrackerOptions = {}) {
    this.#liveEdge = check(
      options.liveEdgeSegments,
      DEFAULT_LIVE_EDGE_SEGMENTS,
      1,
      'liveEdgeSegments must be a positive integer.',
    );
    this.#minReload = check(
      options.minReloadMs,
      DEFAULT_MIN_RELOAD_MS,
      0,
      'minReloadMs must be a non-negative integer.',
    );
    this.#maxReload = check(
      options.maxReloadMs,
      DEFAULT_MAX_RELOAD_MS,
      0,
      'maxReloadMs must be a non-negative integer.',
    );
    if (this.#maxReload < this.#minReload) {
      throw new HlsError('SC_ERR_HLS_OPTION', 'maxReloadMs must not be smaller than minReloadMs.');
    }
  }

  /** Media sequence number of the last yielded segment, or -1. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get stats(): TrackerStats {
    return {
      polls: this.#polls,
      segments: this.#segments,
      gaps: this.#gaps,
      missed: this.#missed,
      restarts: this.#restarts,
    };
  }

  /** Feeds the latest parse of the playlist. */
  update(playlist: MediaPlaylist): TrackerUpdate {
    this.#polls++;
    const segs = playlist.segments;
    const restarted = this.#lastSeq >= 0 && segs.length > 0 && this.#isRestart(playlist);
    let out: ParsedSegment[] = [];
    let missed = 0;
    if (segs.length > 0 && (this.#lastSeq < 0 || restarted)) {
      // A fresh start: VOD from the beginning, live from near the live edge as players do (§6.3.3).
      const vod = playlist.endList || playlist.playlistType === 'VOD';
      out = segs.slice(vod ? 0 : Math.max(0, segs.length - this.#liveEdge));
      if (restarted) {
        this.#restarts++;
        out[0] = flagged(out[0]!);
      }
    } else if (segs.length > 0) {
      const first = segs[0]!.seq;
      const from = Math.max(0, this.#lastSeq + 1 - first);
      out = segs.slice(from);
      if (out.length > 0 && first > this.#lastSeq + 1) {
        // Segments fell out of the upstream window between polls: count them, mark the jump.
        missed = first - this.#lastSeq - 1;
        this.#gaps++;
        this.#missed += missed;
        out[0] = flagged(out[0]!);
      }
    }
    const last = out[out.length - 1];
    if (last) {
      this.#lastSeq = last.seq;
      this.#lastDiscNumber = last.discontinuitySequence;
      this.#segments += out.length;
    }
    this.#lastHeaderDisc = playlist.discontinuitySequence;
    const newlyEnded = playlist.endList && !this.#ended;
    this.#ended = playlist.endList;
    const changed = out.length > 0 || restarted || newlyEnded;
    return {
      segments: out,
      missed,
      restarted,
      changed,
      ended: this.#ended,
      reloadMs: this.#reload(playlist, changed),
    };
  }

  #isRestart(p: MediaPlaylist): boolean {
    const segs = p.segments;
    // Media sequence numbers never go backwards on a healthy server (§6.2.2).
    if (segs[segs.length - 1]!.seq < this.#lastSeq) return true;
    if (p.discontinuitySequence < this.#lastHeaderDisc) return true;
    const first = segs[0]!.seq;
    if (first <= this.#lastSeq) {
      // The segment we last yielded must keep its Discontinuity Sequence Number (§6.2.2).
      return segs[this.#lastSeq - first]!.discontinuitySequence !== this.#lastDiscNumber;
    }
    return segs[0]!.discontinuitySequence < this.#lastDiscNumber;
  }

  #reload(p: MediaPlaylist, changed: boolean): number | null {
    if (this.#ended) return null;
    const td = p.targetDuration > 0 ? p.targetDuration : FALLBACK_TARGET_SECONDS;
    // Changed: wait a target duration; unchanged: half of it (RFC 8216 §6.3.4).
    const ms = changed ? td * MS_PER_SECOND : (td * MS_PER_SECOND) / 2;
    return Math.min(this.#maxReload, Math.max(this.#minReload, ms));
  }
}
