// PES packet header (ISO/IEC 13818-1 §2.4.3.6, Table 2-21) with PTS/DTS (§2.4.3.7).
import { decodeTimestamp } from './timestamps.js';
import { NO_VALUE, type PesHeader } from './types.js';

// Bytes before the optional PES header: start code prefix (3), stream_id, PES_packet_length.
const PES_PREFIX_SIZE = 6;
// Flags (2 bytes) and PES_header_data_length (1 byte) of the optional header.
const OPTIONAL_HEADER_SIZE = 3;
const TIMESTAMP_FIELD_SIZE = 5;
const PTS_DTS_PTS_ONLY = 0b10;
const PTS_DTS_BOTH = 0b11;
const FLAG_DATA_ALIGNMENT = 0x04;

// stream_id values without the optional PES header (Table 2-21 note).
const NO_OPTIONAL_HEADER: ReadonlySet<number> = new Set([
  0xbc, // program_stream_map
  0xbe, // padding_stream
  0xbf, // private_stream_2
  0xf0, // ECM
  0xf1, // EMM
  0xf2, // DSMCC_stream
  0xf8, // ITU-T H.222.1 type E
  0xff, // program_stream_directory
]);

/** True when data[at..] starts with packet_start_code_prefix 0x000001. */
export function isPesStart(data: Uint8Array, at: number, end = data.length): boolean {
  return at + 3 <= end && data[at] === 0x00 && data[at + 1] === 0x00 && data[at + 2] === 0x01;
}

/**
 * Parses the PES header starting at `at` (within data[at, end)), typically the payload of a packet with
 * payload_unit_start_indicator. Returns null when it is not a PES start or the header does not fit.
 */
export function parsePesHeader(data: Uint8Array, at: number, end = data.length): PesHeader | null {
  if (at + PES_PREFIX_SIZE > end || !isPesStart(data, at, end)) return null;
  const streamId = data[at + 3]!;
  const packetLength = (data[at + 4]! << 8) | data[at + 5]!;
  if (NO_OPTIONAL_HEADER.has(streamId)) {
    return {
      streamId,
      packetLength,
      pts: NO_VALUE,
      dts: NO_VALUE,
      dataAlignment: false,
      payloadOffset: at + PES_PREFIX_SIZE,
      ptsOffset: NO_VALUE,
      dtsOffset: NO_VALUE,
    };
  }
  const h = at + PES_PREFIX_SIZE;
  if (h + OPTIONAL_HEADER_SIZE > end) return null;
  if ((data[h]! & 0xc0) !== 0x80) return null; // the optional header starts with '10'
  const ptsDtsFlags = data[h + 1]! >> 6;
  const headerDataLength = data[h + 2]!;
  const fields = h + OPTIONAL_HEADER_SIZE;
  const payload = fields + headerDataLength;
  let ptsOffset = NO_VALUE;
  let dtsOffset = NO_VALUE;
  if (ptsDtsFlags === PTS_DTS_PTS_ONLY || ptsDtsFlags === PTS_DTS_BOTH) {
    ptsOffset = fields;
    if (ptsDtsFlags === PTS_DTS_BOTH) dtsOffset = fields + TIMESTAMP_FIELD_SIZE;
  }
  const fieldsEnd = fields + (dtsOffset >= 0 ? 2 : ptsOffset >= 0 ? 1 : 0) * TIMESTAMP_FIELD_SIZE;
  if (fieldsEnd > payload || fieldsEnd > end) return null;
  return {
    streamId,
    packetLength,
    pts: ptsOffset >= 0 ? decodeTimestamp(data, ptsOffset) : NO_VALUE,
    dts: dtsOffset >= 0 ? decodeTimestamp(data, dtsOffset) : NO_VALUE,
    dataAlignment: (data[h]! & FLAG_DATA_ALIGNMENT) !== 0,
    payloadOffset: Math.min(payload, end),
    ptsOffset,
    dtsOffset,
  };
}
