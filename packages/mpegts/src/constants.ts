// Transport stream constants, ISO/IEC 13818-1 (MPEG-2 Systems).

/** Size of one transport stream packet in bytes (§2.4.3.2). */
export const TS_PACKET_SIZE = 188;
/** Bytes of the fixed packet header (§2.4.3.2). */
export const TS_HEADER_SIZE = 4;
/** Payload bytes of a packet without adaptation field. */
export const TS_MAX_PAYLOAD = TS_PACKET_SIZE - TS_HEADER_SIZE;
/** sync_byte, the first byte of every packet (§2.4.3.3). */
export const SYNC_BYTE = 0x47;

/** PID of the Program Association Table (Table 2-3). */
export const PAT_PID = 0x0000;
/** PID of the Conditional Access Table (Table 2-3). */
export const CAT_PID = 0x0001;
/** DVB Service Description Table PID (ETSI EN 300 468 §5.1.3). */
export const SDT_PID = 0x0011;
/** PID of null packets (Table 2-3). */
export const NULL_PID = 0x1fff;
/** Largest PID value (13 bits). */
export const MAX_PID = 0x1fff;
/** Number of distinct PIDs, for per-PID tables. */
export const PID_COUNT = 0x2000;

/** table_id of a program_association_section (Table 2-31). */
export const TABLE_ID_PAT = 0x00;
/** table_id of a TS_program_map_section (Table 2-31). */
export const TABLE_ID_PMT = 0x02;

/** adaptation_field_control values (Table 2-5). */
export const AFC_PAYLOAD_ONLY = 0b01;
export const AFC_ADAPTATION_ONLY = 0b10;
export const AFC_ADAPTATION_AND_PAYLOAD = 0b11;

/** PCR clock, 27 MHz (§2.4.2.2). */
export const PCR_HZ = 27_000_000;
/** PTS/DTS and PCR base clock, 90 kHz (§2.4.3.7). */
export const PTS_HZ = 90_000;
/** PTS/DTS and PCR base are 33-bit counters: values wrap at 2^33. */
export const TIMESTAMP_WRAP = 2 ** 33;
/** PCR in 27 MHz units wraps at 2^33 * 300. */
export const PCR_WRAP = TIMESTAMP_WRAP * 300;

/** stream_type values (Table 2-34, plus common registrations). */
export const STREAM_TYPE = {
  MPEG1_VIDEO: 0x01,
  MPEG2_VIDEO: 0x02,
  MPEG1_AUDIO: 0x03,
  MPEG2_AUDIO: 0x04,
  PRIVATE_SECTIONS: 0x05,
  PRIVATE_PES: 0x06,
  AAC_ADTS: 0x0f,
  MPEG4_VIDEO: 0x10,
  AAC_LATM: 0x11,
  METADATA_PES: 0x15,
  H264: 0x1b,
  HEVC: 0x24,
  /** ATSC A/52 AC-3 (ATSC A/52 Annex A). */
  AC3: 0x81,
  /** ATSC A/52 E-AC-3. */
  EAC3: 0x87,
} as const;

/** descriptor_tag values used to classify stream_type 0x06 (ETSI EN 300 468 §6.1, 13818-1 §2.6.8). */
export const DESCRIPTOR_TAG = {
  REGISTRATION: 0x05,
  DVB_AC3: 0x6a,
  DVB_EAC3: 0x7a,
} as const;
