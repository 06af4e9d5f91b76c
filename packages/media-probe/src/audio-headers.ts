/**
 * Audio frame headers: ADTS (ISO/IEC 13818-7 §6.2), MPEG-1/2 audio (ISO/IEC 11172-3 §2.4.2.3) and
 * AC-3 / E-AC-3 (ATSC A/52 §5.3, Annex E). Each finder scans a PES payload for the first header it can
 * read and returns codec, sample rate and channels. Pure; never throws.
 */

export interface AudioHeader {
  readonly codec: string;
  readonly profile: string | null;
  readonly sampleRate: number;
  readonly channels: number | null;
}

// sampling_frequency_index (ISO/IEC 14496-3 Table 1.18).
const AAC_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
// ADTS `profile` = audio object type - 1 (13818-7 Table 31).
const AAC_PROFILES = ['Main', 'LC', 'SSR', 'LTP'];
const ADTS_HEADER_BYTES = 7;
// channel_configuration 7 means 7.1 (8 channels); 0 means "in the bitstream" (not in the header).
const AAC_CHANNELS = [0, 1, 2, 3, 4, 5, 6, 8];

/** First ADTS header in data[start, end). */
export function findAdts(data: Uint8Array, start: number, end: number): AudioHeader | null {
  for (let i = start; i + ADTS_HEADER_BYTES <= end; i++) {
    // syncword 0xFFF, then ID, layer (must be 00).
    if (data[i] !== 0xff || (data[i + 1]! & 0xf6) !== 0xf0) continue;
    const b2 = data[i + 2]!;
    const rateIndex = (b2 >> 2) & 0x0f;
    const rate = AAC_RATES[rateIndex];
    if (rate === undefined) continue;
    const config = ((b2 & 0x01) << 2) | (data[i + 3]! >> 6);
    return {
      codec: 'aac',
      profile: AAC_PROFILES[b2 >> 6]!,
      sampleRate: rate,
      channels: config === 0 ? null : AAC_CHANNELS[config]!,
    };
  }
  return null;
}

// Sample rates by version bits (11 = MPEG-1, 10 = MPEG-2, 00 = MPEG-2.5) and index.
const MPEG_RATES: Readonly<Record<number, readonly number[]>> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};
const MPEG_LAYER_CODEC: Readonly<Record<number, string>> = { 3: 'mp1', 2: 'mp2', 1: 'mp3' };
const MPEG_MONO = 3;

/** First MPEG audio frame header in data[start, end). */
export function findMpegAudio(data: Uint8Array, start: number, end: number): AudioHeader | null {
  for (let i = start; i + 4 <= end; i++) {
    if (data[i] !== 0xff || (data[i + 1]! & 0xe0) !== 0xe0) continue;
    const version = (data[i + 1]! >> 3) & 0x03;
    const layer = (data[i + 1]! >> 1) & 0x03;
    const bitrateIndex = data[i + 2]! >> 4;
    const rateIndex = (data[i + 2]! >> 2) & 0x03;
    const rate = MPEG_RATES[version]?.[rateIndex];
    const codec = MPEG_LAYER_CODEC[layer];
    if (rate === undefined || codec === undefined || bitrateIndex === 0x0f) continue;
    const mode = data[i + 3]! >> 6;
    return { codec, profile: null, sampleRate: rate, channels: mode === MPEG_MONO ? 1 : 2 };
  }
  return null;
}

const AC3_RATES = [48000, 44100, 32000];
const EAC3_REDUCED_RATES = [24000, 22050, 16000];
// Full-bandwidth channels by acmod (A/52 Table 5.8).
const AC3_CHANNELS = [2, 1, 2, 3, 3, 4, 4, 5];
// bsid values: <= 10 is AC-3, 11..16 is E-AC-3 (A/52 Annex E §E.2.3.1.6).
const AC3_MAX_BSID = 10;
const EAC3_MAX_BSID = 16;
const AC3_HEADER_BYTES = 8;

/** First AC-3 or E-AC-3 sync frame header in data[start, end). */
export function findAc3(data: Uint8Array, start: number, end: number): AudioHeader | null {
  for (let i = start; i + AC3_HEADER_BYTES <= end; i++) {
    if (data[i] !== 0x0b || data[i + 1] !== 0x77) continue;
    const bsid = data[i + 5]! >> 3;
    const header = bsid <= AC3_MAX_BSID ? ac3(data, i) : bsid <= EAC3_MAX_BSID ? eac3(data, i) : null;
    if (header) return header;
  }
  return null;
}

function ac3(data: Uint8Array, i: number): AudioHeader | null {
  const fscod = data[i + 4]! >> 6;
  const rate = AC3_RATES[fscod];
  if (rate === undefined) return null;
  // After bsid(5) bsmod(3): acmod(3), then cmixlev/surmixlev/dsurmod depending on acmod, then lfeon.
  const b6 = data[i + 6]!;
  const b7 = data[i + 7]!;
  const acmod = b6 >> 5;
  let bit = 3; // bits of byte 6 consumed
  if ((acmod & 0x01) !== 0 && acmod !== 1) bit += 2;
  if ((acmod & 0x04) !== 0) bit += 2;
  if (acmod === 2) bit += 2;
  const word = (b6 << 8) | b7;
  const lfe = (word >> (15 - bit)) & 1;
  return { codec: 'ac3', profile: null, sampleRate: rate, channels: AC3_CHANNELS[acmod]! + lfe };
}

function eac3(data: Uint8Array, i: number): AudioHeader | null {
  // syncword(16) strmtyp(2) substreamid(3) frmsiz(11) fscod(2) fscod2|numblkscod(2) acmod(3) lfeon(1)
  const b4 = data[i + 4]!;
  const fscod = b4 >> 6;
  const rate = fscod === 3 ? EAC3_REDUCED_RATES[(b4 >> 4) & 0x03] : AC3_RATES[fscod];
  if (rate === undefined) return null;
  const acmod = (b4 >> 1) & 0x07;
  const lfe = b4 & 0x01;
  return { codec: 'eac3', profile: null, sampleRate: rate, channels: AC3_CHANNELS[acmod]! + lfe };
}
