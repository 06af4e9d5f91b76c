// Byte layout of the three SharedArrayBuffers that make up a ring (RingHandles).
// Every offset is in bytes; word indexes are derived (`/ 4` for Int32Array, `/ 8` for
// BigInt64Array and Float64Array views over the same buffer). Groups written by different
// parties sit on separate 64-byte cache lines so a reader's CAS on the lease word does not
// bounce the line the writer stores its cursors on.

/** ISO/IEC 13818-1 §2.4.3.2: a transport stream packet is 188 bytes. */
export const TS_PACKET_SIZE = 188;
/** At most this many PSI packets (PAT + PMT, a PMT may span sections) travel with a RAP or segment. */
export const PSI_MAX_PACKETS = 4;
export const PSI_MAX_BYTES = PSI_MAX_PACKETS * TS_PACKET_SIZE;

export const MIN_CAPACITY_PACKETS = 1;
// 2^22 packets = 788 MiB of stream; also keeps packet-count arithmetic far inside 32 bits.
export const MAX_CAPACITY_PACKETS = 2 ** 22;
export const DEFAULT_SEGMENT_SLOTS = 128;
export const MAX_SEGMENT_SLOTS = 65_536;

/** 'SCR1': identifies a ring header; LAYOUT_VERSION changes whenever an offset below moves. */
export const RING_MAGIC = 0x53435231;
export const LAYOUT_VERSION = 2;

const CACHE_LINE = 64;

// ── header buffer ─────────────────────────────────────────────────────────
// line 0: identity, written once by createRing
export const H_MAGIC = 0; // i32
export const H_LAYOUT = 4; // i32
export const H_CAPACITY_PACKETS = 8; // i32
export const H_SEGMENT_SLOTS = 12; // i32
// line 1: byte cursors, stored by the writer on every write
export const H_COMMIT = 64; // i64, end of the bytes readers may read
export const H_RESERVE = 72; // i64, end of the region the writer may be overwriting
// low 32 bits of RESERVE / 188 (a packet count): lets readers run the lap check without
// materialising a BigInt (serial-number arithmetic as in RFC 1982)
export const H_RESERVE_PACKETS_LO = 80; // i32
// line 2: stream status, stored by the writer now and then
export const H_GENERATION = 128; // i32 read as u32
export const H_META_SEQ = 132; // i32 seqlock over GENERATION + GEN_START
export const H_GEN_START = 136; // f64 under META_SEQ: cursor where the generation began
export const H_STATE = 144; // i32 RingState code
export const H_PSI_VERSION = 148; // i32, bumped on every setPsi
export const H_BITRATE = 152; // i64 bits/s
export const H_LAST_WRITE_MS = 160; // i64 wall clock ms of the last touch()
// line 3: lease, CASed by any thread
export const H_LEASE = 192; // i32: reader count | LEASE_CLOSING | LEASE_CLOSED
export const H_ATTACH = 200; // i64 successful acquires, monotonic
// lines 4+: random-access point record (seqlock)
export const H_RAP_SEQ = 256; // i32
export const H_RAP_PSI_COUNT = 260; // i32
export const H_RAP_GENERATION = 264; // i32
export const H_RAP_CURSOR = 272; // f64, NO_CURSOR until the first mark
export const H_RAP_PSI = 320; // PSI_MAX_BYTES
// latest PSI record (seqlock)
export const H_PSI_SEQ = alignUp(H_RAP_PSI + PSI_MAX_BYTES); // i32
export const H_PSI_COUNT = H_PSI_SEQ + 4; // i32
export const H_PSI = H_PSI_SEQ + CACHE_LINE; // PSI_MAX_BYTES
// reader progress: one slot per reader thread (shard), written only by it: f64 cursor, f64 wall-clock ms.
// Advisory (plain aligned f64 stores, read without a lock): it lets the writer pace an upstream that
// delivers faster than real time to its slowest reading client instead of lapping everyone.
export const READER_SLOTS = 64;
export const READER_SLOT_BYTES = 16;
export const H_READERS = alignUp(H_PSI + PSI_MAX_BYTES);
export const HEADER_BYTES = alignUp(H_READERS + READER_SLOTS * READER_SLOT_BYTES);

export const NO_CURSOR = -1;

// ── lease word ────────────────────────────────────────────────────────────
export const LEASE_COUNT_MASK = 0x0fff_ffff;
export const LEASE_CLOSING = 0x1000_0000;
export const LEASE_CLOSED = 0x2000_0000;

// ── index buffer ──────────────────────────────────────────────────────────
export const X_VERSION = 0; // i32, bumped after every publish
export const X_LAST_SEQ = 8; // i64, NO_SEQ until the first publish
export const X_FIRST_SEQ = 16; // i64, seq of the first segment ever published
export const X_SLOTS = CACHE_LINE;
export const NO_SEQ = -1;

// one slot; every field except VERSION is plain and guarded by the slot's seqlock
export const S_VERSION = 0; // i32 seqlock, odd while the writer fills the slot
export const S_FLAGS = 4; // i32 SEGMENT_* bits
export const S_GENERATION = 8; // i32
export const S_PSI_COUNT = 12; // i32
export const S_SEQ = 16; // f64 (media sequence numbers may pass 2^32)
export const S_START = 24; // f64 byte cursor
export const S_END = 32; // f64 byte cursor
export const S_DURATION_US = 40; // f64
export const S_DISCONTINUITY_SEQ = 48; // f64
export const S_PROGRAM_DATE_TIME_MS = 56; // f64
export const S_PSI = 64; // PSI_MAX_BYTES
export const SLOT_BYTES = alignUp(S_PSI + PSI_MAX_BYTES);

export const SEGMENT_DISCONTINUITY = 0x1;
export const SEGMENT_FORCED_CUT = 0x2;
export const SEGMENT_INDEPENDENT = 0x4;

export function indexBytes(segmentSlots: number): number {
  return X_SLOTS + segmentSlots * SLOT_BYTES;
}

function alignUp(n: number): number {
  return Math.ceil(n / CACHE_LINE) * CACHE_LINE;
}
