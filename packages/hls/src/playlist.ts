// Playlist model: which segments of the index a live playlist lists (the window), the header numbers
// that follow from that choice, and how long removed segments must stay downloadable.

import { HlsError } from './errors.js';
import type { PlaylistEntry } from './types.js';

/** Window options shared by selection, retention and rendering. */
export interface WindowOptions {
  /** EXT-X-TARGETDURATION (integer seconds), e.g. `Segmenter.targetDurationHeader`. */
  readonly targetDuration: number;
  /** Wanted playlist length in seconds; never less than 3 × target duration. Default 30. */
  readonly windowSeconds?: number;
}

/** The segments a live playlist lists, with the header values they imply. */
export interface PlaylistWindow {
  /** Oldest first; contiguous media sequence numbers. */
  readonly segments: readonly PlaylistEntry[];
  /** EXT-X-MEDIA-SEQUENCE: the seq of the first listed segment (RFC 8216 §4.3.3.2). */
  readonly mediaSequence: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE: discontinuity tags before the first listed segment (§4.3.3.3). */
  readonly discontinuitySequence: number;
  /** Sum of the listed durations (the playlist duration). */
  readonly durationUs: number;
  /** Every listed segment starts with a random-access point. */
  readonly allIndependent: boolean;
}

const DEFAULT_WINDOW_SECONDS = 30;
// Removing a segment must not leave the playlist shorter than 3 × target duration (RFC 8216 §6.2.2).
const MIN_WINDOW_TARGET_DURATIONS = 3;
const US_PER_SECOND = 1_000_000;
// A listed EXTINF rounds to at most the target duration, so it is below TD + 0.5 s (§4.3.3.1).
const MAX_SEGMENT_EXCESS_US = 500_000;

/** The effective window in µs: windowSeconds, but never less than 3 × target duration. */
export function windowUs(options: WindowOptions): number {
  const td = options.targetDuration;
  if (!Number.isSafeInteger(td) || td < 1) {
    throw new HlsError('SC_ERR_HLS_OPTION', 'targetDuration must be a positive integer.');
  }
  const seconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new HlsError('SC_ERR_HLS_OPTION', 'windowSeconds must be a finite number greater than 0.');
  }
  return Math.round(Math.max(seconds, MIN_WINDOW_TARGET_DURATIONS * td) * US_PER_SECOND);
}

/**
 * Selects the live window from `entries` (oldest first, as the segment index holds them): the newest
 * complete, still available, contiguous segments, just enough to reach the window length. Returns
 * null when nothing can be listed.
 */
export function selectWindow(
  entries: readonly PlaylistEntry[],
  options: WindowOptions,
): PlaylistWindow | null {
  const want = windowUs(options);
  let total = 0;
  let first = entries.length;
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    // Only segments whose bytes can still be served, with no hole in the media sequence (§6.2.2).
    if (e.available === false) break;
    if (first < entries.length && e.seq !== entries[first]!.seq - 1) break;
    first = i;
    total += e.durationUs;
    if (total >= want) break;
  }
  if (first === entries.length) return null;
  const segments = entries.slice(first);
  const head = segments[0]!;
  let allIndependent = true;
  for (const s of segments) allIndependent &&= s.independent;
  return {
    segments,
    mediaSequence: head.seq,
    // The first segment's own tag stays in the playlist, so it is not counted in the header (§6.2.2).
    discontinuitySequence: head.discontinuitySequence - (head.discontinuity ? 1 : 0),
    durationUs: total,
    allIndependent,
  };
}

/**
 * Seconds of media behind the newest segment that removed segments must stay downloadable, assuming
 * segments arrive in real time: size the ring to hold at least this much.
 */
export function minRetentionSeconds(options: WindowOptions): number {
  const longest = windowUs(options) + options.targetDuration * US_PER_SECOND + MAX_SEGMENT_EXCESS_US;
  return (2 * longest + options.targetDuration * US_PER_SECOND + MAX_SEGMENT_EXCESS_US) / US_PER_SECOND;
}

/** An index entry that may carry the wall-clock time it was published (completed). */
export interface RetentionEntry extends PlaylistEntry {
  readonly publishedAtMs?: number;
}

/**
 * The oldest seq that must still be downloadable (RFC 8216 §6.2.2: a removed segment stays available
 * for its duration plus the duration of the longest playlist that listed it), or -1 when there is none.
 * Media-time rule: newer media since removal stands in for elapsed time. When entries carry
 * `publishedAtMs` and `nowMs` is given, the exact wall-clock rule also applies; either keeps a segment.
 */
export function downloadableFloor(
  entries: readonly RetentionEntry[],
  options: WindowOptions,
  nowMs?: number,
): number {
  const want = windowUs(options);
  const maxSegmentUs = options.targetDuration * US_PER_SECOND + MAX_SEGMENT_EXCESS_US;
  const longestUs = want + maxSegmentUs;
  let floor = -1;
  let newerUs = 0;
  // Two pointers: entries[remover] is the segment whose arrival pushed entries[i] out of the window.
  let remover = entries.length - 1;
  let span = 0; // durations of entries (i, remover]
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.available === false) break;
    if (i < entries.length - 1) {
      // Only a contiguous run of seqs can be a downloadable range.
      if (e.seq !== entries[i + 1]!.seq - 1) break;
      const next = entries[i + 1]!.durationUs;
      newerUs += next;
      span += next;
    }
    while (remover > i + 1 && span - entries[remover]!.durationUs >= want) {
      span -= entries[remover]!.durationUs;
      remover--;
    }
    // Time since removal is at least newer media minus (window + one segment); keep until that covers
    // the segment's duration plus the longest playlist.
    const mediaKeep = newerUs < want + maxSegmentUs + e.durationUs + longestUs;
    const removedAtMs = span >= want ? entries[remover]!.publishedAtMs : undefined;
    const wallOpen = nowMs !== undefined && removedAtMs !== undefined;
    if (mediaKeep || (wallOpen && nowMs < removedAtMs + (e.durationUs + longestUs) / 1000)) {
      floor = e.seq;
      continue;
    }
    // Older segments can still qualify (a longer one has a later deadline) until no duration could.
    const mediaHopeless = newerUs >= want + 2 * maxSegmentUs + longestUs;
    if (mediaHopeless && (!wallOpen || nowMs >= removedAtMs + (maxSegmentUs + longestUs) / 1000)) break;
  }
  return floor;
}
