// Shared vocabulary of the HLS package: segments as the segmenter emits them, playlist entries as the
// renderer reads them, and the shapes the upstream parser produces. Leaf module: imports nothing.

/** What every listed media segment carries, whoever produced it. Times are integers (µs, ms). */
export interface SegmentInfo {
  /** Media Sequence Number (RFC 8216 §3): +1 per segment, never reused, never backwards. */
  readonly seq: number;
  /** Exact duration in microseconds; rendered as EXTINF with 3 decimals. */
  readonly durationUs: number;
  /** An upstream change happened right before this segment: EXT-X-DISCONTINUITY precedes it. */
  readonly discontinuity: boolean;
  /**
   * The segment's Discontinuity Sequence Number (RFC 8216 §4.3.3.3): the stream's
   * EXT-X-DISCONTINUITY-SEQUENCE base plus every discontinuity tag up to and including this
   * segment's own. Kept per entry so a playlist can compute its header after old entries are gone.
   */
  readonly discontinuitySequence: number;
  /** The segment starts with a random-access point (a keyframe after PAT/PMT). */
  readonly independent: boolean;
  /** Wall-clock time of the segment's first sample (ms since the epoch); 0 = unknown. */
  readonly programDateTimeMs: number;
}

/** A completed segment from the {@link Segmenter}: a byte range of the stream's aligned TS output. */
export interface Segment extends SegmentInfo {
  /** Byte cursor (total bytes written) of the first byte, inclusive. */
  readonly start: number;
  /** Byte cursor one past the last byte, exclusive. */
  readonly end: number;
  /** The segment was ended by the hard maximum, not at a random-access point. */
  readonly forced: boolean;
  /** Upstream generation the segment's bytes belong to. */
  readonly generation: number;
}

/** One entry of the segment index as the playlist model reads it. */
export interface PlaylistEntry extends SegmentInfo {
  /** False once the segment's bytes are gone (ring overwritten); such entries are never listed. */
  readonly available?: boolean;
}

/** A byte range inside a resource (RFC 8216 §4.3.2.2). */
export interface ByteRange {
  readonly offset: number;
  readonly length: number;
}

/** The encryption that applies to an upstream segment (RFC 8216 §4.3.2.4). */
export interface SegmentKey {
  readonly method: string;
  readonly uri: string | undefined;
  readonly iv: string | undefined;
}

/** The media initialization section of an upstream segment (RFC 8216 §4.3.2.5). */
export interface SegmentMap {
  readonly uri: string;
  readonly byteRange: ByteRange | undefined;
}

/** A segment of a parsed upstream media playlist. */
export interface ParsedSegment {
  /** Media Sequence Number: EXT-X-MEDIA-SEQUENCE plus the segment's position. */
  readonly seq: number;
  /** Absolute URL, resolved against the playlist URL. */
  readonly uri: string;
  readonly durationUs: number;
  /** The EXTINF title (text after the comma), '' when absent. */
  readonly title: string;
  readonly discontinuity: boolean;
  /** Discontinuity Sequence Number (RFC 8216 §4.3.3.3). */
  readonly discontinuitySequence: number;
  /** From EXT-X-PROGRAM-DATE-TIME, or derived from the previous one plus durations; undefined if none. */
  readonly programDateTimeMs: number | undefined;
  readonly byteRange: ByteRange | undefined;
  /** Undefined when the segment is not encrypted (no key or METHOD=NONE). */
  readonly key: SegmentKey | undefined;
  readonly map: SegmentMap | undefined;
  /** EXT-X-GAP: the segment must not be loaded. */
  readonly gap: boolean;
}

/** A parsed media playlist (RFC 8216 §4.3.3). */
export interface MediaPlaylist {
  readonly kind: 'media';
  readonly url: string;
  readonly version: number;
  /** EXT-X-TARGETDURATION in seconds; derived from the longest EXTINF when the tag is missing. */
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  readonly playlistType: 'EVENT' | 'VOD' | undefined;
  readonly endList: boolean;
  readonly independentSegments: boolean;
  /** Some segment carries an EXT-X-KEY with a METHOD other than NONE. */
  readonly encrypted: boolean;
  readonly segments: readonly ParsedSegment[];
}

/** A variant stream of a master (multivariant) playlist (RFC 8216 §4.3.4.2). */
export interface Variant {
  readonly uri: string;
  readonly bandwidth: number;
  readonly averageBandwidth: number | undefined;
  readonly resolution: { readonly width: number; readonly height: number } | undefined;
  /** CODECS split on commas, trimmed; empty when absent. */
  readonly codecs: readonly string[];
  readonly frameRate: number | undefined;
}

/** A parsed master (multivariant) playlist (RFC 8216 §4.3.4). */
export interface MasterPlaylist {
  readonly kind: 'master';
  readonly url: string;
  readonly version: number;
  readonly independentSegments: boolean;
  readonly variants: readonly Variant[];
}

export type Playlist = MediaPlaylist | MasterPlaylist;
