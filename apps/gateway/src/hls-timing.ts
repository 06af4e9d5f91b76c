/**
 * HLS timing every thread must agree on: the owner's segmenter and every shard's playlist renderer derive
 * the constant EXT-X-TARGETDURATION from the same configuration through this one function.
 */
import type { GatewayConfig } from './config/types.js';

/** Seconds the hard maximum adds, at least, over the target (a keyframe may come late). */
const MIN_MAX_SECONDS = 6;
const MAX_OVER_TARGET = 1.5;
/** A new stream's first segment needs one full segment after the first keyframe, plus slack. */
const FIRST_SEGMENT_SLACK_SECONDS = 4;

export interface HlsTiming {
  /** Cut at the first keyframe after this many seconds. */
  readonly targetSeconds: number;
  /** Hard maximum: forced cut (flagged) when no keyframe comes. */
  readonly maxSeconds: number;
  /** EXT-X-TARGETDURATION: >= every rounded EXTINF (RFC 8216 §4.3.3.1). */
  readonly targetDuration: number;
  /** Playlist length, never below 3 × target duration (RFC 8216 §6.2.2). */
  readonly windowSeconds: number;
  /** An HLS player that has not polled for this long no longer counts as a viewer. */
  readonly viewerTimeoutMs: number;
  /** How long a playlist request waits for a newly opened stream's first segment before a 503. */
  readonly firstSegmentDeadlineMs: number;
}

export function hlsTiming(config: GatewayConfig): HlsTiming {
  const targetSeconds = config.hlsSegmentSeconds;
  const maxSeconds = Math.max(MIN_MAX_SECONDS, Math.ceil(targetSeconds * MAX_OVER_TARGET));
  const targetDuration = Math.ceil(maxSeconds);
  return {
    targetSeconds,
    maxSeconds,
    targetDuration,
    windowSeconds: Math.max(config.hlsWindowSeconds, 3 * targetDuration),
    viewerTimeoutMs: config.hlsViewerTimeoutSeconds * 1000,
    firstSegmentDeadlineMs: (maxSeconds + FIRST_SEGMENT_SLACK_SECONDS) * 1000,
  };
}

const US_PER_SECOND = 1_000_000;
/** A listed EXTINF rounds to at most the target duration, so a segment is shorter than TD + 0.5 s. */
const SEGMENT_EXCESS_SECONDS = 0.5;
/** Target durations of media a playlist lists at the least (RFC 8216 §6.2.2), plus the open segment. */
const MIN_LISTED_TARGET_DURATIONS = 4;

/**
 * Seconds of further ingest a segment must survive in the ring to be listed, so that after it leaves the
 * playlist it stays downloadable for its duration plus the longest playlist's (RFC 8216 §6.2.2): one
 * segment until the next playlist version removes it, its own duration, and the longest playlist
 * (window + one segment) — W + 3 × (TD + 0.5).
 */
export function listingMarginSeconds(t: HlsTiming): number {
  return t.windowSeconds + 3 * (t.targetDuration + SEGMENT_EXCESS_SECONDS);
}

/**
 * The ring bytes a listed segment must still have ahead of the writer's overwrite point, at the measured
 * bitrate. When the ring is too small for the full margin, the margin shrinks so the newest
 * 4 × target duration of media stays listable: a shorter retention beats an empty playlist. 0 = unknown.
 */
export function listingMarginBytes(t: HlsTiming, capacityBytes: number, bitsPerSecond: number): number {
  if (!(bitsPerSecond > 0)) return 0;
  const bytesPerSecond = bitsPerSecond / 8;
  const wanted = listingMarginSeconds(t) * bytesPerSecond;
  const keepListable = MIN_LISTED_TARGET_DURATIONS * t.targetDuration * bytesPerSecond;
  return Math.max(0, Math.min(wanted, capacityBytes - keepListable));
}

/**
 * Seconds of stream the ring must hold for a full window whose every segment keeps the listing margin:
 * the window, the segment being cut, and the margin. With the defaults (TD 6, window 30): 86 s, so the
 * default 48 MiB ring (49.3 MB) serves the full window up to ~4.5 Mbit/s; above that, raise --ring-mb.
 */
export function requiredRingSeconds(t: HlsTiming): number {
  return t.windowSeconds + t.targetDuration + SEGMENT_EXCESS_SECONDS + listingMarginSeconds(t);
}

/** Playlist window in µs, as the renderer selects it. */
export function windowMicros(t: HlsTiming): number {
  return Math.round(t.windowSeconds * US_PER_SECOND);
}
