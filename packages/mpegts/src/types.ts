// Shared vocabulary of the MPEG-TS toolkit. Absent numeric values are -1 (NO_VALUE), never undefined,
// so hot-path readers return plain numbers.

/** Sentinel for an absent PID, PCR, PTS or DTS (real values are never negative). */
export const NO_VALUE = -1;

/** Fixed 4-byte packet header (ISO/IEC 13818-1 §2.4.3.2). */
export interface PacketHeader {
  readonly pid: number;
  /** payload_unit_start_indicator */
  readonly pusi: boolean;
  /** transport_error_indicator */
  readonly tei: boolean;
  readonly priority: boolean;
  /** transport_scrambling_control (0 = not scrambled) */
  readonly scrambling: number;
  /** adaptation_field_control (1 payload, 2 adaptation, 3 both) */
  readonly afc: number;
  /** continuity_counter */
  readonly cc: number;
  readonly hasAdaptation: boolean;
  readonly hasPayload: boolean;
}

/** The adaptation field flags this toolkit uses (§2.4.3.4). */
export interface AdaptationField {
  /** adaptation_field_length (bytes after the length byte) */
  readonly length: number;
  readonly discontinuity: boolean;
  readonly randomAccess: boolean;
  readonly esPriority: boolean;
  /** Program clock reference in 27 MHz units, or -1. */
  readonly pcr: number;
  /** Original PCR in 27 MHz units, or -1. */
  readonly opcr: number;
}

export type VideoCodec = 'h264' | 'hevc' | 'mpeg2' | 'mpeg1' | 'mpeg4';
export type AudioCodec = 'aac' | 'aac-latm' | 'mp3' | 'ac3' | 'eac3';
export type StreamKind = 'video' | 'audio' | 'other';

/** One elementary stream of a PMT (§2.4.4.8). */
export interface ElementaryStream {
  readonly pid: number;
  readonly streamType: number;
  readonly kind: StreamKind;
  /** Classified codec, or null when the stream type is not one we know. */
  readonly codec: VideoCodec | AudioCodec | null;
  /** ISO 639 language code from the descriptors, when present. */
  readonly language: string | null;
}

/** program_association_section (§2.4.4.3). */
export interface Pat {
  readonly transportStreamId: number;
  readonly version: number;
  /** Programs with program_number != 0, in section order. */
  readonly programs: readonly { readonly programNumber: number; readonly pmtPid: number }[];
  /** network_PID (program_number 0), or -1. */
  readonly networkPid: number;
}

/** TS_program_map_section (§2.4.4.8). */
export interface Pmt {
  readonly programNumber: number;
  readonly version: number;
  readonly pcrPid: number;
  readonly streams: readonly ElementaryStream[];
  /** First video stream, or null. */
  readonly video: ElementaryStream | null;
  /** First audio stream, or null. */
  readonly audio: ElementaryStream | null;
}

/** PES packet header fields (§2.4.3.6, §2.4.3.7). Offsets are absolute indexes into the parsed buffer. */
export interface PesHeader {
  readonly streamId: number;
  /** PES_packet_length (0 = unbounded, allowed for video). */
  readonly packetLength: number;
  /** Presentation time stamp, 90 kHz, 33 bits, or -1. */
  readonly pts: number;
  /** Decoding time stamp, 90 kHz, or -1 (then it equals the PTS). */
  readonly dts: number;
  readonly dataAlignment: boolean;
  /** Offset of the first PES payload byte (elementary stream data). */
  readonly payloadOffset: number;
  /** Offset of the 5-byte PTS field, or -1. */
  readonly ptsOffset: number;
  /** Offset of the 5-byte DTS field, or -1. */
  readonly dtsOffset: number;
}

/** Classes of non-fatal stream problems (hls.js style: counted, never thrown). */
export type TsErrorType =
  | 'sync-loss' // bytes skipped to find 0x47 at 188-byte spacing again
  | 'truncated' // a partial packet left over at flush()
  | 'transport-error' // transport_error_indicator set by the demodulator/upstream
  | 'continuity' // continuity_counter jump (lost or reordered packets)
  | 'psi'; // a PAT/PMT section that does not parse or fails its CRC

/** A classified, non-fatal problem. */
export interface TsError {
  readonly type: TsErrorType;
  readonly detail: string;
  readonly fatal: false;
}
