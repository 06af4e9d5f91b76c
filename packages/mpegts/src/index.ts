// Public entry of @shardcast/mpegts: pure ISO/IEC 13818-1 parsing and writing, no I/O.
export {
  adaptationFieldLength,
  adaptationFlags,
  hasDiscontinuity,
  hasRandomAccessIndicator,
  parseAdaptationField,
  pcrFieldOffset,
  readPcr,
} from './adaptation.js';
export {
  buildPatPacket,
  buildPatSection,
  buildPmtPacket,
  buildPmtSection,
  buildSectionPacket,
  type PatSpec,
  type PmtSpec,
  type PmtStreamSpec,
} from './build-psi.js';
export * from './constants.js';
export { CC_RESULT, type CcResult, ContinuityChecker } from './continuity.js';
export { crc32Mpeg2 } from './crc32.js';
export type {
  TsDemuxEvent,
  TsDemuxerOptions,
  TsDemuxResult,
  TsDemuxStats,
  TsProgramState,
} from './demux-types.js';
export { TsDemuxer } from './demuxer.js';
export {
  H264_NAL_IDR,
  H264_NAL_SPS,
  HEVC_NAL_SPS,
  h264NalType,
  hevcNalType,
  isH264Idr,
  isH264Sps,
  isHevcIrap,
  scanNalUnits,
} from './nal.js';
export {
  hasAdaptationField,
  hasPayload,
  isPacketAt,
  parsePacketHeader,
  payloadOffset,
  readAfc,
  readCc,
  readPid,
  readPusi,
  readScrambling,
  readTei,
} from './packet.js';
export { isPesStart, parsePesHeader } from './pes.js';
export {
  MAX_SECTION_LENGTH,
  MAX_SECTION_SIZE,
  parsePatPacket,
  parsePatSection,
  parsePmtPacket,
  parsePmtSection,
  sectionSize,
  sectionStartInPacket,
  verifySectionCrc,
} from './psi.js';
export {
  hasH264Idr,
  hasHevcIrap,
  hasMpeg2SequenceHeader,
  hasRandomAccessUnit,
  isRandomAccessPacket,
} from './random-access.js';
export { MAX_SECTION_PACKETS, SectionAssembler, type SectionHandler } from './section-assembler.js';
export { classifyStream, findLanguage, type StreamClass } from './stream-types.js';
export {
  addPcr,
  addTimestamp,
  decodePcr,
  decodeTimestamp,
  encodePcr,
  encodeTimestamp,
  pcrDiff,
  timestampDiff,
} from './timestamps.js';
export * from './types.js';
export {
  buildNullPackets,
  DTS_PREFIX,
  PTS_ONLY_PREFIX,
  PTS_WITH_DTS_PREFIX,
  setContinuityCounter,
  writeNullPacket,
  writePcr,
  writePesTimestamps,
} from './write.js';
