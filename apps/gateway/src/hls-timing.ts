/**
 * HLS timing every thread must agree on: the owner's segmenter and every shard's playlist renderer derive
 * the constant EXT-X-TARGETDURATION from the same configuration through this one function. The playlist
 * rules themselves (window, listing margin, retention) live in `@shardcast/hls`.
 */
import { type ColdStartPlan, coldStartPlan, windowUs } from '@shardcast/hls';
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
  /** When a new stream's first playlist is answered (and its first segments' targets). */
  readonly coldStart: ColdStartPlan;
  /** How long a playlist request waits for a newly opened stream's first playlist before a 503. */
  readonly firstSegmentDeadlineMs: number;
}

export function hlsTiming(config: GatewayConfig): HlsTiming {
  const targetSeconds = config.hlsSegmentSeconds;
  const maxSeconds = Math.max(MIN_MAX_SECONDS, Math.ceil(targetSeconds * MAX_OVER_TARGET));
  const targetDuration = Math.ceil(maxSeconds);
  const coldStart = coldStartPlan(targetSeconds, targetDuration);
  return {
    targetSeconds,
    maxSeconds,
    targetDuration,
    windowSeconds: windowUs({ targetDuration, windowSeconds: config.hlsWindowSeconds }) / 1e6,
    viewerTimeoutMs: config.hlsViewerTimeoutSeconds * 1000,
    coldStart,
    firstSegmentDeadlineMs: (coldStart.enoughListedSeconds + maxSeconds + FIRST_SEGMENT_SLACK_SECONDS) * 1000,
  };
}

/** The window options every renderer and retention rule of `@shardcast/hls` takes. */
export function windowOptions(t: HlsTiming): { targetDuration: number; windowSeconds: number } {
  return { targetDuration: t.targetDuration, windowSeconds: t.windowSeconds };
}
