/**
 * Media probe over a sample of MPEG-TS (ISO/IEC 13818-1): PAT → PMT → the first video and audio PES
 * streams, reassembled just far enough to read the video SPS (H.264/HEVC), spot keyframes, time frames by
 * their DTS, and read one audio frame header. Bytes in, MediaInfo out; pure and synchronous, never throws
 * on bad input (a field it cannot tell stays null).
 *
 * One PES is taken as one access unit (what every broadcast muxer does), so frames = video PES starts.
 */
import {
  HEVC_NAL_SPS,
  hasRandomAccessIndicator,
  hevcNalType,
  isH264Idr,
  isH264Sps,
  isHevcIrap,
  NO_VALUE,
  PAT_PID,
  type Pmt,
  PTS_HZ,
  parsePatPacket,
  parsePesHeader,
  parsePmtPacket,
  payloadOffset,
  readPid,
  readPusi,
  SYNC_BYTE,
  scanNalUnits,
  TIMESTAMP_WRAP,
  TS_PACKET_SIZE,
} from '@shardcast/mpegts';
import { type AudioHeader, findAc3, findAdts, findMpegAudio } from './audio-headers.js';
import { type H264Sps, parseH264Sps, roundRate } from './h264-sps.js';
import { type HevcSps, parseHevcSps } from './hevc-sps.js';
import type { AudioInfo, MediaInfo, TrackInfo, VideoInfo } from './media-info.js';

// Bytes of a video PES kept for NAL scanning: parameter sets, SEI and the first slice header live at
// the front of an access unit.
const VIDEO_HEAD_BYTES = 64 * 1024;
const AUDIO_HEAD_BYTES = 4 * 1024;
// Frames timed per probe: far more than one GOP of any sane stream, and a bound on work and memory.
const MAX_FRAMES = 4096;

interface PesCollector {
  buf: Uint8Array;
  length: number;
  open: boolean;
  /** DTS (or PTS) of the open PES, 90 kHz, or -1. */
  dts: number;
}

function collector(size: number): PesCollector {
  return { buf: new Uint8Array(size), length: 0, open: false, dts: NO_VALUE };
}

function append(c: PesCollector, data: Uint8Array, from: number, to: number): void {
  const n = Math.min(to - from, c.buf.length - c.length);
  if (n <= 0) return;
  c.buf.set(data.subarray(from, from + n), c.length);
  c.length += n;
}

class VideoState {
  readonly pes = collector(VIDEO_HEAD_BYTES);
  readonly dts: number[] = [];
  readonly keyframes: number[] = [];
  h264: H264Sps | null = null;
  hevc: HevcSps | null = null;

  constructor(readonly codec: string | null) {}

  /** A video PES ended: one frame; look for parameter sets and a keyframe. */
  finish(randomAccess: boolean): void {
    const c = this.pes;
    if (this.dts.length >= MAX_FRAMES) return;
    let key = randomAccess;
    if (this.codec === 'h264') {
      scanNalUnits(c.buf, 0, c.length, (s, e) => {
        const h = c.buf[s]!;
        if (this.h264 === null && isH264Sps(h)) this.h264 = parseH264Sps(c.buf, s, e);
        if (isH264Idr(h)) key = true;
        return false;
      });
    } else if (this.codec === 'hevc') {
      scanNalUnits(c.buf, 0, c.length, (s, e) => {
        const h = c.buf[s]!;
        if (this.hevc === null && hevcNalType(h) === HEVC_NAL_SPS) this.hevc = parseHevcSps(c.buf, s, e);
        if (isHevcIrap(h)) key = true;
        return false;
      });
    }
    if (key) this.keyframes.push(this.dts.length);
    this.dts.push(c.dts);
  }

  /** Frame duration in 90 kHz ticks: the most common positive DTS step (B-frames do not disturb DTS). */
  frameTicks(): number | null {
    const steps = new Map<number, number>();
    for (let i = 1; i < this.dts.length; i++) {
      const a = this.dts[i - 1]!;
      const b = this.dts[i]!;
      if (a < 0 || b < 0) continue;
      const d = (b - a + TIMESTAMP_WRAP) % TIMESTAMP_WRAP;
      if (d > 0 && d < PTS_HZ) steps.set(d, (steps.get(d) ?? 0) + 1);
    }
    let best: number | null = null;
    let bestCount = 0;
    for (const [d, n] of steps) {
      if (n > bestCount) {
        best = d;
        bestCount = n;
      }
    }
    return best;
  }

  spanSeconds(): number | null {
    const known = this.dts.filter((d) => d >= 0);
    if (known.length < 2) return null;
    return ((known.at(-1)! - known[0]! + TIMESTAMP_WRAP) % TIMESTAMP_WRAP) / PTS_HZ;
  }

  info(pid: number): VideoInfo {
    const ticks = this.frameTicks();
    const fromDts = ticks === null ? null : roundRate(PTS_HZ / ticks);
    const frameRate = this.h264?.frameRate ?? fromDts;
    const k = this.keyframes;
    const gop = k.length >= 2 ? k.at(-1)! - k.at(-2)! : null;
    const sps = this.h264 ?? this.hevc;
    return {
      pid,
      codec: this.codec ?? 'unknown',
      profile: sps?.profile ?? null,
      level: sps?.level ?? null,
      width: sps?.width ?? null,
      height: sps?.height ?? null,
      frame_rate: frameRate,
      gop_frames: gop,
      gop_seconds: gop !== null && frameRate ? Math.round((gop / frameRate) * 1000) / 1000 : null,
      interlaced: this.h264?.interlaced ?? null,
    };
  }
}

class AudioState {
  readonly pes = collector(AUDIO_HEAD_BYTES);
  header: AudioHeader | null = null;

  constructor(readonly codec: string | null) {}

  finish(): void {
    if (this.header !== null) return;
    const { buf, length } = this.pes;
    const c = this.codec;
    if (c === 'aac') this.header = findAdts(buf, 0, length);
    else if (c === 'mp3') this.header = findMpegAudio(buf, 0, length);
    else if (c === 'ac3' || c === 'eac3') this.header = findAc3(buf, 0, length);
  }

  info(pid: number, language: string | null): AudioInfo {
    const h = this.header;
    return {
      pid,
      // The PMT says "MPEG audio"; the frame header tells layer II from layer III.
      codec: h?.codec ?? this.codec ?? 'unknown',
      profile: h?.profile ?? null,
      sample_rate: h?.sampleRate ?? null,
      channels: h?.channels ?? null,
      language,
    };
  }
}

/** What a probe saw beyond MediaInfo, for callers that pass a `counts` object to {@link probeTs}. */
export interface ProbeCounts {
  /** Video keyframes (IDR / IRAP access units, or PES flagged random access) in the sample. */
  keyframes: number;
}

/** Probes data[0, length): whole 188-byte packets, ideally starting with PAT and PMT. */
export function probeTs(data: Uint8Array, length = data.length, counts?: ProbeCounts): MediaInfo | null {
  let pmtPid = NO_VALUE;
  let pmt: Pmt | null = null;
  let video: VideoState | null = null;
  let audio: AudioState | null = null;
  let videoRap = false;
  for (let off = 0; off + TS_PACKET_SIZE <= length; off += TS_PACKET_SIZE) {
    if (data[off] !== SYNC_BYTE) continue;
    const pid = readPid(data, off);
    if (pmt === null) {
      if (pid === PAT_PID) {
        const pat = parsePatPacket(data, off);
        if (pat && pat.programs.length > 0) pmtPid = pat.programs[0]!.pmtPid;
      } else if (pid === pmtPid) {
        pmt = parsePmtPacket(data, off);
        if (pmt) {
          video = pmt.video ? new VideoState(pmt.video.codec) : null;
          audio = pmt.audio ? new AudioState(pmt.audio.codec) : null;
        }
      }
      continue;
    }
    const isVideo = pid === pmt.video?.pid;
    const state = isVideo ? video : pid === pmt.audio?.pid ? audio : null;
    if (state === null) continue;
    const p = payloadOffset(data, off);
    if (p < 0) continue;
    const end = off + TS_PACKET_SIZE;
    const c = state.pes;
    if (readPusi(data, off)) {
      if (c.open) {
        if (state instanceof VideoState) state.finish(videoRap);
        else state.finish();
      }
      const h = parsePesHeader(data, p, end);
      c.open = h !== null;
      c.length = 0;
      if (h === null) continue;
      c.dts = h.dts >= 0 ? h.dts : h.pts;
      // random_access_indicator (§2.4.3.5) on the packet that starts the PES.
      if (isVideo) videoRap = hasRandomAccessIndicator(data, off);
      append(c, data, h.payloadOffset, end);
    } else if (c.open) {
      append(c, data, p, end);
    }
  }
  if (counts) counts.keyframes = video?.keyframes.length ?? 0;
  if (pmt === null) return null;
  // The last PES is cut by the sample's end: its head is still good for parameter sets, not for timing.
  if (audio?.pes.open) audio.finish();
  const tracks: TrackInfo[] = pmt.streams.map((s) => ({
    pid: s.pid,
    kind: s.kind,
    stream_type: s.streamType,
    codec: s.codec,
    language: s.language,
  }));
  return {
    video: video && pmt.video ? video.info(pmt.video.pid) : null,
    audio: audio && pmt.audio ? audio.info(pmt.audio.pid, pmt.audio.language) : null,
    tracks,
    sampled_bytes: length,
    sampled_seconds: video?.spanSeconds() ?? null,
  };
}

/** True when the probe told everything a stream of this shape can tell (else a follow-up probe helps). */
export function isComplete(m: MediaInfo): boolean {
  const v = m.video;
  const a = m.audio;
  const videoDone = v === null || (v.width !== null && v.frame_rate !== null && v.gop_frames !== null);
  const audioDone = a === null || a.sample_rate !== null;
  return videoDone && audioDone;
}
