/**
 * The shared memory of one stream ring. A plain object of SharedArrayBuffers: post it to any
 * thread (structured clone shares, never copies, a SharedArrayBuffer) and open it there with
 * `new RingReader(handles)`, `new RingControl(handles)`, or, in the owner only,
 * `new RingWriter(handles)`.
 */
export interface RingHandles {
  /** Cursors, status words, lease word, RAP and PSI records. */
  readonly header: SharedArrayBuffer;
  /** The byte ring: 188 * capacityPackets bytes of MPEG-TS. */
  readonly data: SharedArrayBuffer;
  /** The HLS segment index: segmentSlots fixed-size slots. */
  readonly index: SharedArrayBuffer;
}

/** Options of {@link createRing}. */
export interface RingOptions {
  /** Packets the ring holds; a power of two. */
  readonly capacityPackets: number;
  /** Entries in the segment index (default 128). */
  readonly segmentSlots?: number;
}

/** Lifecycle of a stream as published in the header. */
export type RingState = 'opening' | 'live' | 'stalled' | 'failed' | 'closed';

/** The newest random-access point: where a joining client starts. */
export interface RandomAccessPoint {
  /** Byte cursor of the packet where the keyframe starts. */
  readonly cursor: number;
  /** The PAT/PMT packets current just before `cursor` (whole 188-byte packets, may be empty). */
  readonly psi: Uint8Array;
  /** Generation the point belongs to. */
  readonly generation: number;
}

/** Generation number and the byte cursor where it began. */
export interface GenerationInfo {
  readonly generation: number;
  readonly startCursor: number;
}

/** One HLS segment: a byte range of the ring plus what a playlist needs to list it. */
export interface SegmentEntry {
  /** Media sequence number; strictly increasing per ring; integer up to 2^53. */
  readonly seq: number;
  /** Byte cursor of the first packet (inclusive). */
  readonly start: number;
  /** Byte cursor after the last packet (exclusive). */
  readonly end: number;
  readonly durationUs: number;
  /** An EXT-X-DISCONTINUITY precedes this segment (RFC 8216 §4.3.2.3). */
  readonly discontinuity: boolean;
  /** EXT-X-DISCONTINUITY-SEQUENCE value in force for this segment (RFC 8216 §4.3.3.3). */
  readonly discontinuitySequence: number;
  /** EXT-X-PROGRAM-DATE-TIME of the first sample, ms since the epoch (RFC 8216 §4.3.2.6). */
  readonly programDateTimeMs: number;
  /** The segmenter hit its hard maximum and cut without a keyframe. */
  readonly forcedCut: boolean;
  /** The segment starts with a keyframe (EXT-X-INDEPENDENT-SEGMENTS holds for it). */
  readonly independent: boolean;
  readonly generation: number;
  /** PAT/PMT packets to send before the segment bytes (same rule as the RAP record). */
  readonly psi: Uint8Array;
}

/** Published range of the segment index; `firstAvailable > last` means none is readable. */
export interface SegmentBounds {
  /** Oldest seq whose slot and bytes are both still present. */
  readonly firstAvailable: number;
  /** Newest published seq. */
  readonly last: number;
}

/**
 * The one or two views covering a byte range of the ring (two when it wraps the physical
 * end). One object per reader, overwritten by the next `regions()` call: consume it first.
 */
export interface RingRegions {
  count: 0 | 1 | 2;
  first: Uint8Array;
  second: Uint8Array;
}
