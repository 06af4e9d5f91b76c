/**
 * HLS timing every thread must agree on: the owner's segmenter and every shard's playlist renderer derive
 * the constant EXT-X-TARGETDURATION from the same configuration through this one function.
 */
import type { GatewayConfig } from './config/types.js';

export interface HlsTiming {
  /** Cut at the first keyframe after this many seconds. */
  readonly targetSeconds: number;
  /** Hard maximum: forced cut (flagged) when no keyframe comes. */
  readonly maxSeconds: number;
  /** EXT-X-TARGETDURATION: >= every rounded EXTINF (RFC 8216 §4.3.3.1). */
  readonly targetDuration: number;
  readonly windowSeconds: number;
  /** An HLS player that has not polled for this long no longer counts as a viewer. */
  readonly viewerTimeoutMs: number;
}

export function hlsTiming(config: GatewayConfig): HlsTiming {
  const targetSeconds = config.hlsSegmentSeconds;
  const maxSeconds = Math.max(6, Math.ceil(targetSeconds * 1.5));
  const targetDuration = Math.ceil(maxSeconds);
  return {
    targetSeconds,
    maxSeconds,
    targetDuration,
    windowSeconds: Math.max(config.hlsWindowSeconds, 3 * targetDuration),
    viewerTimeoutMs: Math.max(30_000, 4 * targetDuration * 1000),
  };
}
