// Public entry of @shardcast/media-probe: what a sample of MPEG-TS carries (codecs, profile, level, size,
// frame rate, GOP, audio layout), read from bytes alone. Pure and synchronous, no I/O.
export { type AudioHeader, findAc3, findAdts, findMpegAudio } from './audio-headers.js';
export { BitOverrun, BitReader, unescapeRbsp } from './bit-reader.js';
export { type H264Sps, parseH264Sps, roundRate } from './h264-sps.js';
export { type HevcSps, parseHevcSps } from './hevc-sps.js';
export type { AudioInfo, MediaInfo, TrackInfo, VideoInfo } from './media-info.js';
export { isComplete, type ProbeCounts, probeTs } from './ts-probe.js';
