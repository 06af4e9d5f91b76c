// Vocabulary of the streaming demuxer: its options, events, result and counters.
import type { AudioCodec, Pat, Pmt, TsErrorType, VideoCodec } from './types.js';

/** Options of a TsDemuxer. */
export interface TsDemuxerOptions {
  /** program_number to follow; default: the first program listed in the PAT. */
  readonly programNumber?: number;
  /** Emit a 'pcr' event for every PCR on the program's PCR PID (default true). */
  readonly pcr?: boolean;
  /** Check continuity counters and report jumps as 'continuity' errors (default true). */
  readonly continuity?: boolean;
}

/**
 * What the demuxer reports, in stream order. `offset` is the byte offset of the packet in the aligned
 * output stream (bytes emitted since construction or reset(); always a multiple of 188).
 */
export type TsDemuxEvent =
  /**
   * Every complete PAT. `packets` is a copy of the raw packet(s) that carried it (n * 188 bytes);
   * `changed` is false for a repetition of the current table (its packets still carry a new counter).
   */
  | {
      readonly kind: 'pat';
      readonly offset: number;
      readonly pat: Pat;
      readonly packets: Uint8Array;
      readonly changed: boolean;
    }
  /** Every complete PMT of the followed program; `packets` and `changed` as for 'pat'. */
  | {
      readonly kind: 'pmt';
      readonly offset: number;
      readonly pid: number;
      readonly pmt: Pmt;
      readonly packets: Uint8Array;
      readonly changed: boolean;
    }
  /** A PCR on the program's PCR PID, 27 MHz units. */
  | { readonly kind: 'pcr'; readonly offset: number; readonly pid: number; readonly pcr: number }
  /**
   * A PES start on the video PID (in a program without video: on its first audio PID, every one random
   * access); pts/dts are 90 kHz or -1; dts is -1 when equal to pts.
   */
  | {
      readonly kind: 'video';
      readonly offset: number;
      readonly pid: number;
      readonly pts: number;
      readonly dts: number;
      readonly randomAccess: boolean;
    }
  /** The adaptation field set discontinuity_indicator (a timebase or counter restart is legal here). */
  | { readonly kind: 'discontinuity'; readonly offset: number; readonly pid: number }
  /** A classified, non-fatal problem; the demuxer carries on. */
  | {
      readonly kind: 'error';
      readonly offset: number;
      readonly type: TsErrorType;
      readonly detail: string;
      readonly fatal: false;
    };

/** One push()/flush() outcome. Views in `chunks` stay valid only until the next call on the demuxer. */
export interface TsDemuxResult {
  /** Whole, aligned packets in order (views; mostly of the pushed chunk, so no copy). */
  readonly chunks: Uint8Array[];
  /** Aligned output offset of chunks[0][0]. */
  readonly offset: number;
  /** Sum of chunks' lengths (a multiple of 188). */
  byteLength: number;
  readonly events: TsDemuxEvent[];
}

/** Running counters since construction (reset() keeps them). */
export interface TsDemuxStats {
  bytesIn: number;
  packets: number;
  syncLosses: number;
  skippedBytes: number;
  truncated: number;
  continuityErrors: number;
  transportErrors: number;
  psiErrors: number;
}

/** The program the demuxer follows, as learnt from PAT and PMT. */
export interface TsProgramState {
  readonly pat: Pat | null;
  readonly pmt: Pmt | null;
  readonly pmtPid: number;
  readonly pcrPid: number;
  readonly videoPid: number;
  readonly videoCodec: VideoCodec | AudioCodec | null;
}
