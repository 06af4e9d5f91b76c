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
  return windowOf(entries.slice(first), total);
}

/**
 * The same selection read straight from an index, newest first, in one walk: `entryAt(seq)` gives the
 * entry or null (expired, not listable). Stops at the first gap or once the window is covered.
 */
export function selectWindowFrom(
  newestSeq: number,
  entryAt: (seq: number) => PlaylistEntry | null,
  options: WindowOptions,
): PlaylistWindow | null {
  const want = windowUs(options);
  const picked: PlaylistEntry[] = [];
  let total = 0;
  for (let seq = newestSeq; total < want; seq--) {
    const e = entryAt(seq);
    if (e === null || e.available === false) break;
    picked.push(e);
    total += e.durationUs;
  }
  if (picked.length === 0) return null;
  return windowOf(picked.reverse(), total);
}

/** How a new stream starts: its first segments' targets and when its first playlist may be answered. */
export interface ColdStartPlan {
  /** Targets of the stream's first segments, seconds (the segmenter's `startTargetSeconds`). */
  readonly startTargetSeconds: readonly number[];
  /** The first playlist lists at least this many seconds. */
  readonly minListedSeconds: number;
  /** ... and is answered this long after the end of the segment that reached `minListedSeconds`. */
  readonly phaseSeconds: number;
  /** A playlist that lists this many seconds is answered at once, whatever the phase. */
  readonly enoughListedSeconds: number;
}

/**
 * The cold-start plan for segments of `targetSeconds` under a constant `targetDuration` (TD), for a
 * player that starts at the first listed segment and then stays that far behind the ingest: it must learn
 * of every new segment before playback reaches it. It asks for the playlist again at once after a long
 * first answer, then after TD / 2 while the playlist is unchanged (RFC 8216 §6.3.4) and after one segment
 * once it changes; that schedule keeps the phase of the first answer. So the first playlist:
 * - lists at least TD / 2 + 1 s: the player's runway covers the TD / 2 wait plus a download;
 * - is answered `targetSeconds` − TD / 2 + 1 s (at least 1 s) after that segment ended, so that the reload
 *   TD / 2 later comes 1 s after the next segment ended, not just before it (which would cost another
 *   TD / 2). 4 s segments, TD 6: one 4 s segment, answered 2 s after it ended (6 s after the first
 *   keyframe); the player then sees each new segment about 1 s after it is complete, with 1 s to spare.
 */
export function coldStartPlan(targetSeconds: number, targetDuration: number): ColdStartPlan {
  if (!Number.isFinite(targetSeconds) || targetSeconds <= 0 || !(targetDuration >= targetSeconds)) {
    throw new HlsError(
      'SC_ERR_HLS_OPTION',
      'targetSeconds must be greater than 0 and not above targetDuration.',
    );
  }
  const wait = targetDuration / 2;
  const minListedSeconds = wait + COLD_START_SPARE_SECONDS;
  const phaseSeconds = Math.max(0, targetSeconds - wait) + COLD_START_SPARE_SECONDS;
  return {
    startTargetSeconds: [],
    minListedSeconds,
    phaseSeconds,
    enoughListedSeconds: minListedSeconds + targetSeconds + phaseSeconds,
  };
}

/** Spare time in the cold-start plan, seconds: a segment download, timer jitter. */
const COLD_START_SPARE_SECONDS = 1;

/**
 * Cold-start rule: may the live playlist `window` be answered at `nowMs` (wall clock, the clock that dated
 * the segments)? Only a young stream's playlist is ever held: it is answered once it lists
 * `minListedSeconds`, `phaseSeconds` after the end of the segment that got it there (by the segments'
 * program date time), or at once when it lists `enoughListedSeconds`. Once met it stays met for every
 * later window, so a player's reloads are never held.
 */
export function coldStartReady(window: PlaylistWindow | null, nowMs: number, plan: ColdStartPlan): boolean {
  if (window === null) return false;
  if (window.durationUs >= Math.round(plan.enoughListedSeconds * US_PER_SECOND)) return true;
  const minUs = Math.round(plan.minListedSeconds * US_PER_SECOND);
  if (window.durationUs < minUs) return false;
  const first = window.segments[0]!;
  if (plan.phaseSeconds <= 0 || !(first.programDateTimeMs > 0)) return true;
  let listedUs = 0;
  for (const e of window.segments) {
    listedUs += e.durationUs;
    if (listedUs >= minUs) break;
  }
  return nowMs >= first.programDateTimeMs + listedUs / 1000 + plan.phaseSeconds * 1000;
}

function windowOf(segments: readonly PlaylistEntry[], durationUs: number): PlaylistWindow {
  const head = segments[0]!;
  let allIndependent = true;
  for (const s of segments) allIndependent &&= s.independent;
  return {
    segments,
    mediaSequence: head.seq,
    // The first segment's own tag stays in the playlist, so it is not counted in the header (§6.2.2).
    discontinuitySequence: head.discontinuitySequence - (head.discontinuity ? 1 : 0),
    durationUs,
    allIndependent,
  };
}

// A playlist lists at least 3 × TD (above) plus the segment being cut: the newest media stays listable.
const MIN_LISTED_TARGET_DURATIONS = 4;

/**
 * Seconds of further ingest a segment must survive in the ring to be listed, so that after it leaves the
 * playlist it stays downloadable for its duration plus the longest playlist's (RFC 8216 §6.2.2): one
 * segment until the next playlist version removes it, its own duration, and the longest playlist
 * (window + one segment): W + 3 × (TD + 0.5).
 */
export function listingMarginSeconds(options: WindowOptions): number {
  return (
    (windowUs(options) + 3 * (options.targetDuration * US_PER_SECOND + MAX_SEGMENT_EXCESS_US)) / US_PER_SECOND
  );
}

/**
 * The ring bytes a listed segment must still have ahead of the writer's overwrite point, at the measured
 * bitrate. When the ring is too small for the full margin, the margin shrinks so the newest
 * 4 × target duration of media stays listable: a shorter retention beats an empty playlist. 0 = unknown.
 */
export function listingMarginBytes(
  options: WindowOptions,
  capacityBytes: number,
  bitsPerSecond: number,
): number {
  if (!(bitsPerSecond > 0)) return 0;
  const bytesPerSecond = bitsPerSecond / 8;
  const wanted = listingMarginSeconds(options) * bytesPerSecond;
  const keepListable = MIN_LISTED_TARGET_DURATIONS * options.targetDuration * bytesPerSecond;
  return Math.max(0, Math.min(wanted, capacityBytes - keepListable));
}

/**
 * Seconds of stream a ring must hold for a full window whose every segment keeps the listing margin: the
 * window, the segment being cut, and the margin. With TD 6 and a 30 s window: 86 s.
 */
export function requiredRingSeconds(options: WindowOptions): number {
  return (
    (windowUs(options) + options.targetDuration * US_PER_SECOND + MAX_SEGMENT_EXCESS_US) / US_PER_SECOND +
    listingMarginSeconds(options)
  );
}
