// Hand-built byte fixtures for the mpegts tests. Each byte group is commented with the field it encodes
// (ISO/IEC 13818-1 section numbers in brackets).
import {
  buildPatPacket,
  buildPmtPacket,
  DTS_PREFIX,
  encodePcr,
  encodeTimestamp,
  PTS_ONLY_PREFIX,
  PTS_WITH_DTS_PREFIX,
  STREAM_TYPE,
  TS_PACKET_SIZE,
  writeNullPacket,
} from '../src/index.js';

export const PMT_PID = 0x1000;
export const VIDEO_PID = 0x100;
export const AUDIO_PID = 0x101;

/** A PAT for program 1 -> PMT PID 0x1000, hand-encoded [§2.4.4.3]. */
// biome-ignore format: one line per field
export const PAT_PACKET = Uint8Array.from([
  0x47, // sync_byte
  0x40, 0x00, // TEI=0, PUSI=1, priority=0, PID=0x0000
  0x10, // scrambling=00, adaptation_field_control=01 (payload only), continuity_counter=0
  0x00, // pointer_field=0
  0x00, // table_id=0 (program_association_section)
  0xb0, 0x0d, // section_syntax_indicator=1, '0', reserved '11', section_length=13
  0x00, 0x01, // transport_stream_id=1
  0xc1, // reserved '11', version_number=0, current_next_indicator=1
  0x00, // section_number=0
  0x00, // last_section_number=0
  0x00, 0x01, // program_number=1
  0xf0, 0x00, // reserved '111', program_map_PID=0x1000
  0x2a, 0xb1, 0x04, 0xb2, // CRC_32 (MPEG-2)
  ...new Array<number>(TS_PACKET_SIZE - 21).fill(0xff), // stuffing
]);

/** A PMT for program 1: PCR on 0x100, H.264 on 0x100, AAC ADTS on 0x101 [§2.4.4.8]. */
export function pmtPacket(cc = 0, version = 0): Uint8Array {
  return buildPmtPacket(
    PMT_PID,
    {
      programNumber: 1,
      version,
      pcrPid: VIDEO_PID,
      streams: [
        { streamType: STREAM_TYPE.H264, pid: VIDEO_PID },
        { streamType: STREAM_TYPE.AAC_ADTS, pid: AUDIO_PID },
      ],
    },
    cc,
  )!;
}

export function patPacket(cc = 0): Uint8Array {
  return buildPatPacket({ transportStreamId: 1, programs: [{ programNumber: 1, pmtPid: PMT_PID }] }, cc)!;
}

/** H.264 Annex B access unit start: AUD, SPS, PPS, then an IDR or a non-IDR slice NAL header. */
export function h264AccessUnit(idr: boolean): number[] {
  // biome-ignore format: one line per NAL unit
  return [
    0x00, 0x00, 0x00, 0x01, 0x09, 0xf0, // access unit delimiter (nal_unit_type 9)
    0x00, 0x00, 0x00, 0x01, 0x67, 0x4d, 0x40, 0x1e, // SPS (nal_unit_type 7), profile main
    0x00, 0x00, 0x00, 0x01, 0x68, 0xee, 0x3c, 0x80, // PPS (nal_unit_type 8)
    0x00, 0x00, 0x01, idr ? 0x65 : 0x41, 0x88, 0x84, // slice: IDR (5) or non-IDR (1)
  ];
}

/** A PES header with PTS and optional DTS [§2.4.3.6], followed by `es` bytes. */
export function pesBytes(streamId: number, pts: number, dts: number, es: number[]): number[] {
  const withDts = dts >= 0;
  const hdr = new Uint8Array(withDts ? 19 : 14);
  hdr.set([0x00, 0x00, 0x01, streamId]); // packet_start_code_prefix, stream_id
  hdr[4] = 0x00; // PES_packet_length (0 = unbounded, video)
  hdr[5] = 0x00;
  hdr[6] = 0x84; // '10', scrambling 00, priority 0, data_alignment_indicator 1, copyright 0, original 0
  hdr[7] = withDts ? 0xc0 : 0x80; // PTS_DTS_flags '11' or '10', other flags 0
  hdr[8] = withDts ? 10 : 5; // PES_header_data_length
  encodeTimestamp(hdr, 9, withDts ? PTS_WITH_DTS_PREFIX : PTS_ONLY_PREFIX, pts);
  if (withDts) encodeTimestamp(hdr, 14, DTS_PREFIX, dts);
  return [...hdr, ...es];
}

/**
 * One packet with an optional adaptation field (PCR, random_access_indicator) and `payload` bytes (at most
 * what fits); the rest of the adaptation field is stuffing so the packet is exactly 188 bytes.
 */
export function packet(opts: {
  pid: number;
  cc: number;
  pusi?: boolean;
  payload?: number[];
  pcr?: number;
  rai?: boolean;
  discontinuity?: boolean;
  adaptation?: boolean;
}): Uint8Array {
  const out = new Uint8Array(TS_PACKET_SIZE);
  const payload = opts.payload ?? [];
  const wantsAf = opts.adaptation || opts.pcr !== undefined || opts.rai || opts.discontinuity;
  const room = TS_PACKET_SIZE - 4;
  const afMin = wantsAf ? 2 + (opts.pcr !== undefined ? 6 : 0) : 0; // length + flags (+ PCR)
  const used = Math.min(payload.length, room - afMin);
  const needsAf = wantsAf || used < room;
  const afc = (needsAf ? 0b10 : 0) | (used > 0 ? 0b01 : 0);
  out[0] = 0x47; // sync_byte
  out[1] = (opts.pusi ? 0x40 : 0) | ((opts.pid >> 8) & 0x1f); // PUSI, PID high bits
  out[2] = opts.pid & 0xff; // PID low bits
  out[3] = (afc << 4) | (opts.cc & 0x0f); // adaptation_field_control, continuity_counter
  let p = 4;
  if (needsAf) {
    const afLength = room - used - 1; // adaptation_field_length fills the packet
    out[p++] = afLength;
    if (afLength > 0) {
      // discontinuity_indicator, random_access_indicator, ES priority 0, PCR_flag, other flags 0
      out[p++] =
        (opts.discontinuity ? 0x80 : 0) | (opts.rai ? 0x40 : 0) | (opts.pcr !== undefined ? 0x10 : 0);
      if (opts.pcr !== undefined) {
        encodePcr(out, p, opts.pcr); // program_clock_reference base + extension
        p += 6;
      }
      out.fill(0xff, p, 4 + 1 + afLength); // stuffing_byte
      p = 4 + 1 + afLength;
    }
  }
  out.set(payload.slice(0, used), p);
  return out;
}

export function nullPacket(): Uint8Array {
  const out = new Uint8Array(TS_PACKET_SIZE);
  writeNullPacket(out, 0);
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * A small synthetic program: PAT, PMT, then `frames` video frames (PES start with PCR; keyframe every
 * `gop`), an audio PES per frame and a null packet. CCs are continuous per PID.
 */
export function syntheticStream(frames: number, gop = 5): Uint8Array {
  const cc = new Map<number, number>();
  const next = (pid: number): number => {
    const v = cc.get(pid) ?? 0;
    cc.set(pid, (v + 1) & 0x0f);
    return v;
  };
  const parts: Uint8Array[] = [];
  for (let f = 0; f < frames; f++) {
    if (f % gop === 0) {
      parts.push(patPacket(next(0)), pmtPacket(next(PMT_PID)));
    }
    const pts = 126_000 + f * 3_600;
    const key = f % gop === 0;
    const es = [...h264AccessUnit(key), ...new Array<number>(200).fill(0xab)];
    const pes = pesBytes(0xe0, pts + 3_600, pts, es);
    const first = packet({
      pid: VIDEO_PID,
      cc: next(VIDEO_PID),
      pusi: true,
      payload: pes,
      pcr: pts * 300,
      rai: key,
    });
    parts.push(first);
    const firstPayload = TS_PACKET_SIZE - 4 - 8;
    parts.push(packet({ pid: VIDEO_PID, cc: next(VIDEO_PID), payload: pes.slice(firstPayload) }));
    parts.push(
      packet({
        pid: AUDIO_PID,
        cc: next(AUDIO_PID),
        pusi: true,
        payload: pesBytes(0xc0, pts, -1, [0xff, 0xf1]),
      }),
    );
    parts.push(nullPacket());
  }
  return concat(parts);
}
