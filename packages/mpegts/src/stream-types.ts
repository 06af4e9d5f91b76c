// stream_type classification (ISO/IEC 13818-1 Table 2-34; ETSI EN 300 468 for DVB private streams).
import { DESCRIPTOR_TAG, STREAM_TYPE } from './constants.js';
import type { AudioCodec, StreamKind, VideoCodec } from './types.js';

const ISO_639_LANGUAGE_DESCRIPTOR = 0x0a;

/** Codec and kind of an elementary stream, from its stream_type and ES_info descriptors. */
export interface StreamClass {
  readonly kind: StreamKind;
  readonly codec: VideoCodec | AudioCodec | null;
}

const OTHER: StreamClass = { kind: 'other', codec: null };

const BY_TYPE: ReadonlyMap<number, StreamClass> = new Map<number, StreamClass>([
  [STREAM_TYPE.MPEG1_VIDEO, { kind: 'video', codec: 'mpeg1' }],
  [STREAM_TYPE.MPEG2_VIDEO, { kind: 'video', codec: 'mpeg2' }],
  [STREAM_TYPE.MPEG4_VIDEO, { kind: 'video', codec: 'mpeg4' }],
  [STREAM_TYPE.H264, { kind: 'video', codec: 'h264' }],
  [STREAM_TYPE.HEVC, { kind: 'video', codec: 'hevc' }],
  [STREAM_TYPE.MPEG1_AUDIO, { kind: 'audio', codec: 'mp3' }],
  [STREAM_TYPE.MPEG2_AUDIO, { kind: 'audio', codec: 'mp3' }],
  [STREAM_TYPE.AAC_ADTS, { kind: 'audio', codec: 'aac' }],
  [STREAM_TYPE.AAC_LATM, { kind: 'audio', codec: 'aac-latm' }],
  [STREAM_TYPE.AC3, { kind: 'audio', codec: 'ac3' }],
  [STREAM_TYPE.EAC3, { kind: 'audio', codec: 'eac3' }],
]);

// Registration descriptor format_identifier values (SMPTE RA) that name a codec.
const BY_REGISTRATION: ReadonlyMap<string, StreamClass> = new Map<string, StreamClass>([
  ['AC-3', { kind: 'audio', codec: 'ac3' }],
  ['EAC3', { kind: 'audio', codec: 'eac3' }],
  ['HEVC', { kind: 'video', codec: 'hevc' }],
]);

/**
 * Classifies an elementary stream. stream_type 0x06 (private PES) is resolved through its descriptors
 * (DVB AC-3/E-AC-3 descriptors, registration descriptor).
 */
export function classifyStream(
  streamType: number,
  descriptors?: Uint8Array,
  start = 0,
  end = descriptors?.length ?? 0,
): StreamClass {
  const known = BY_TYPE.get(streamType);
  if (known) return known;
  if (descriptors === undefined) return OTHER;
  for (let p = start; p + 2 <= end; ) {
    const tag = descriptors[p]!;
    const len = descriptors[p + 1]!;
    if (p + 2 + len > end) break;
    if (tag === DESCRIPTOR_TAG.DVB_AC3) return { kind: 'audio', codec: 'ac3' };
    if (tag === DESCRIPTOR_TAG.DVB_EAC3) return { kind: 'audio', codec: 'eac3' };
    if (tag === DESCRIPTOR_TAG.REGISTRATION && len >= 4) {
      const id = String.fromCharCode(
        descriptors[p + 2]!,
        descriptors[p + 3]!,
        descriptors[p + 4]!,
        descriptors[p + 5]!,
      );
      const reg = BY_REGISTRATION.get(id);
      if (reg) return reg;
    }
    p += 2 + len;
  }
  return OTHER;
}

/** ISO 639 language code from an ES_info descriptor loop (§2.6.18), or null. */
export function findLanguage(descriptors: Uint8Array, start: number, end: number): string | null {
  for (let p = start; p + 2 <= end; ) {
    const tag = descriptors[p]!;
    const len = descriptors[p + 1]!;
    if (p + 2 + len > end) break;
    if (tag === ISO_639_LANGUAGE_DESCRIPTOR && len >= 3) {
      return String.fromCharCode(descriptors[p + 2]!, descriptors[p + 3]!, descriptors[p + 4]!);
    }
    p += 2 + len;
  }
  return null;
}
