// Analyses a fixture once so it can be replayed as an endless, seamless live stream: loop n is the
// fixture with n * D added to every PCR/PTS/DTS (33-bit wrap) and continuity counters shifted so each PID
// counts on without a jump (ISO/IEC 13818-1 §2.4.3.3, §2.4.3.5, §2.4.3.7). Pure: bytes in, plan out.
import {
  ContinuityChecker,
  decodePcr,
  NULL_PID,
  PCR_HZ,
  PTS_HZ,
  parsePesHeader,
  payloadOffset,
  pcrFieldOffset,
  readPid,
  SYNC_BYTE,
  TS_PACKET_SIZE,
  TsDemuxer,
} from '@shardcast/mpegts';

/** A PCR/PTS/DTS field to rewrite on every loop: byte offset, loop-0 value, PES prefix nibble. */
export interface TimestampPatch {
  readonly at: Int32Array;
  readonly value: Float64Array;
  readonly prefix: Uint8Array;
}

/** One HLS segment of the loop: packets [start, end) where end may pass the loop end (wraps). */
export interface LoopSegment {
  readonly start: number;
  readonly end: number;
  readonly durationS: number;
}

/** Everything needed to replay the fixture forever. */
export interface LoopPlan {
  readonly bytes: Uint8Array;
  readonly packetCount: number;
  /** Loop period in 90 kHz ticks (exact). */
  readonly duration90k: number;
  readonly durationS: number;
  /** Content time (s) of each packet from the loop start, by PCR interpolation; strictly inside [0, D). */
  readonly packetTimes: Float64Array;
  /** Continuity counter of each packet in loop 0. */
  readonly ccBase: Uint8Array;
  /** Per packet: how far its PID's counter advances per loop (payload packets per loop, mod 16). */
  readonly ccStep: Uint8Array;
  readonly pcr: TimestampPatch;
  readonly pes: TimestampPatch;
  readonly segments: readonly LoopSegment[];
  /** Nominal delivery rate, bytes per second (fixture bytes / loop duration). */
  readonly bytesPerSecond: number;
}

/** Why a fixture cannot be looped; the message is one sentence. */
export class LoopPlanError extends Error {
  override readonly name = 'LoopPlanError';
}

const CC_MODULO = 16;
// A segment cut may start up to this many packets before its keyframe to include the PAT/PMT.
const PSI_LOOKBACK_PACKETS = 64;

/**
 * Builds the loop plan. `segmentTargetS` is the HLS segment length to aim for (segments are cut at
 * random-access points, so they are whole GOPs).
 */
export function planLoop(bytes: Uint8Array, segmentTargetS: number): LoopPlan {
  if (bytes.length === 0 || bytes.length % TS_PACKET_SIZE !== 0) {
    throw new LoopPlanError('The fixture is not a whole number of 188-byte packets.');
  }
  const packetCount = bytes.length / TS_PACKET_SIZE;
  for (let i = 0; i < packetCount; i++) {
    if (bytes[i * TS_PACKET_SIZE] !== SYNC_BYTE)
      throw new LoopPlanError(`Fixture packet ${i} does not start with 0x47.`);
  }
  const { videoPid, esPids, raps, patPositions } = scanProgram(bytes);
  const pes = collectPes(bytes, packetCount, esPids);
  const duration90k = loopDuration(pes, videoPid);
  const pcr = collectPcr(bytes, packetCount);
  checkLoopable(pcr, pes, duration90k);
  const packetTimes = interpolateTimes(pcr, packetCount, duration90k);
  const { ccBase, ccStep } = continuity(bytes, packetCount);
  const durationS = duration90k / PTS_HZ;
  return {
    bytes,
    packetCount,
    duration90k,
    durationS,
    packetTimes,
    ccBase,
    ccStep,
    pcr: pcr.patch,
    pes: pes.patch,
    segments: cutSegments(raps, patPositions, packetCount, duration90k, segmentTargetS),
    bytesPerSecond: bytes.length / durationS,
  };
}

interface ProgramScan {
  videoPid: number;
  esPids: Set<number>;
  raps: { index: number; pts: number }[];
  patPositions: number[];
}

function scanProgram(bytes: Uint8Array): ProgramScan {
  const demuxer = new TsDemuxer();
  const result = demuxer.push(bytes);
  demuxer.flush();
  const pmt = demuxer.program.pmt;
  if (pmt === null || pmt.video === null)
    throw new LoopPlanError('The fixture has no PMT with a video stream.');
  const raps: { index: number; pts: number }[] = [];
  for (const e of result.events) {
    if (e.kind === 'video' && e.randomAccess) raps.push({ index: e.offset / TS_PACKET_SIZE, pts: e.pts });
  }
  if (raps.length === 0) throw new LoopPlanError('The fixture has no video random-access point.');
  const patPositions: number[] = [];
  for (let i = 0; i < bytes.length / TS_PACKET_SIZE; i++)
    if (readPid(bytes, i * TS_PACKET_SIZE) === 0) patPositions.push(i);
  return { videoPid: pmt.video.pid, esPids: new Set(pmt.streams.map((s) => s.pid)), raps, patPositions };
}

interface PesScan {
  patch: TimestampPatch;
  /** PTS values per PID, for the loop duration and the loopability check. */
  ptsByPid: Map<number, number[]>;
  dtsByPid: Map<number, number[]>;
}

function collectPes(bytes: Uint8Array, packetCount: number, esPids: Set<number>): PesScan {
  const at: number[] = [];
  const value: number[] = [];
  const prefix: number[] = [];
  const ptsByPid = new Map<number, number[]>();
  const dtsByPid = new Map<number, number[]>();
  for (let i = 0; i < packetCount; i++) {
    const off = i * TS_PACKET_SIZE;
    const pid = readPid(bytes, off);
    if (!esPids.has(pid) || (bytes[off + 1]! & 0x40) === 0) continue;
    const p = payloadOffset(bytes, off);
    const pes = p < 0 ? null : parsePesHeader(bytes, p, off + TS_PACKET_SIZE);
    if (pes === null) continue;
    for (const [fieldAt, ts, map] of [
      [pes.ptsOffset, pes.pts, ptsByPid],
      [pes.dtsOffset, pes.dts, dtsByPid],
    ] as const) {
      if (fieldAt < 0) continue;
      at.push(fieldAt);
      value.push(ts);
      prefix.push(bytes[fieldAt]! >> 4);
      const list = map.get(pid) ?? [];
      list.push(ts);
      map.set(pid, list);
    }
  }
  return {
    patch: { at: Int32Array.from(at), value: Float64Array.from(value), prefix: Uint8Array.from(prefix) },
    ptsByPid,
    dtsByPid,
  };
}

// Loop period = video frame count x frame duration, from the video PTS values.
function loopDuration(pes: PesScan, videoPid: number): number {
  const pts = [...(pes.ptsByPid.get(videoPid) ?? [])].sort((a, b) => a - b);
  if (pts.length < 2) throw new LoopPlanError('The fixture has fewer than two video frames.');
  let frame = Number.POSITIVE_INFINITY;
  for (let i = 1; i < pts.length; i++) {
    const d = pts[i]! - pts[i - 1]!;
    if (d > 0 && d < frame) frame = d;
  }
  return frame * pts.length;
}

interface PcrScan {
  patch: TimestampPatch;
  index: number[];
}

function collectPcr(bytes: Uint8Array, packetCount: number): PcrScan {
  const at: number[] = [];
  const value: number[] = [];
  const index: number[] = [];
  let pcrPid = -1;
  for (let i = 0; i < packetCount; i++) {
    const off = i * TS_PACKET_SIZE;
    const field = pcrFieldOffset(bytes, off);
    if (field < 0) continue;
    const pid = readPid(bytes, off);
    if (pcrPid < 0) pcrPid = pid;
    else if (pid !== pcrPid) continue;
    at.push(field);
    index.push(i);
    value.push(decodePcr(bytes, field));
  }
  if (index.length < 2) throw new LoopPlanError('The fixture has fewer than two PCRs.');
  return {
    patch: { at: Int32Array.from(at), value: Float64Array.from(value), prefix: new Uint8Array(at.length) },
    index,
  };
}

// Seamless means: every clock of loop n+1 starts after the same clock ended in loop n.
function checkLoopable(pcr: PcrScan, pes: PesScan, duration90k: number): void {
  const v = pcr.patch.value;
  for (let i = 1; i < v.length; i++) {
    if (v[i]! <= v[i - 1]!) throw new LoopPlanError('The fixture PCR is not strictly increasing.');
  }
  const pcrPeriod = duration90k * 300;
  if (v[0]! + pcrPeriod <= v[v.length - 1]!) {
    throw new LoopPlanError(
      'The fixture PCR spans more than its loop duration; remux it with a shorter -muxdelay.',
    );
  }
  for (const map of [pes.ptsByPid, pes.dtsByPid]) {
    for (const [pid, list] of map) {
      if (Math.min(...list) + duration90k <= Math.max(...list)) {
        throw new LoopPlanError(`The timestamps of PID ${pid} span more than the loop duration.`);
      }
    }
  }
}

// Content time of every packet from PCR interpolation, treating the PCR points as periodic (the first PCR
// of the next loop is pcr0 + D), so times run from 0 at packet 0 to just under D at the last packet.
function interpolateTimes(pcr: PcrScan, packetCount: number, duration90k: number): Float64Array {
  const periodPcr = duration90k * 300;
  const idx = pcr.index;
  const val = pcr.patch.value;
  const n = idx.length;
  const at = (k: number): [number, number] => {
    // Point k of the periodic sequence; k may be -1 or n.
    if (k < 0) return [idx[n - 1]! - packetCount, val[n - 1]! - periodPcr];
    if (k >= n) return [idx[0]! + packetCount, val[0]! + periodPcr];
    return [idx[k]!, val[k]!];
  };
  const raw = new Float64Array(packetCount);
  let k = -1;
  for (let i = 0; i < packetCount; i++) {
    while (k + 1 < n && idx[k + 1]! <= i) k++;
    const [i0, p0] = at(k);
    const [i1, p1] = at(k + 1);
    raw[i] = p0 + ((p1 - p0) * (i - i0)) / (i1 - i0);
  }
  const times = new Float64Array(packetCount);
  const origin = raw[0]!;
  for (let i = 0; i < packetCount; i++) times[i] = (raw[i]! - origin) / PCR_HZ;
  return times;
}

// Renumbers continuity counters per PID from 0 (payload packets count up; packets without payload repeat
// the previous value), and records how far each PID advances per loop.
function continuity(bytes: Uint8Array, packetCount: number): { ccBase: Uint8Array; ccStep: Uint8Array } {
  const check = new ContinuityChecker();
  for (let i = 0; i < packetCount; i++) check.checkPacket(bytes, i * TS_PACKET_SIZE);
  if (check.errors > 0) throw new LoopPlanError('The fixture has continuity counter errors.');
  const payloadCount = new Map<number, number>();
  const ccBase = new Uint8Array(packetCount);
  const pids = new Int32Array(packetCount);
  for (let i = 0; i < packetCount; i++) {
    const off = i * TS_PACKET_SIZE;
    const pid = readPid(bytes, off);
    pids[i] = pid;
    if (pid === NULL_PID) {
      ccBase[i] = bytes[off + 3]! & 0x0f;
      continue;
    }
    const seen = payloadCount.get(pid) ?? 0;
    const hasPayload = (bytes[off + 3]! & 0x10) !== 0;
    // Without payload the counter repeats the last payload packet's value (-1 before the first one).
    ccBase[i] = (((hasPayload ? seen : seen - 1) % CC_MODULO) + CC_MODULO) % CC_MODULO;
    if (hasPayload) payloadCount.set(pid, seen + 1);
  }
  const ccStep = new Uint8Array(packetCount);
  for (let i = 0; i < packetCount; i++) {
    const pid = pids[i]!;
    ccStep[i] = pid === NULL_PID ? 0 : (payloadCount.get(pid) ?? 0) % CC_MODULO;
  }
  return { ccBase, ccStep };
}

// Cuts HLS segments at random-access points about `targetS` apart, each starting at the last PAT before
// its keyframe (so a segment opens with PAT, PMT, keyframe). The last segment wraps into the next loop.
function cutSegments(
  raps: { index: number; pts: number }[],
  patPositions: number[],
  packetCount: number,
  duration90k: number,
  targetS: number,
): LoopSegment[] {
  const target90k = targetS * PTS_HZ;
  const chosen: { index: number; pts: number }[] = [];
  for (const rap of raps) {
    const prev = chosen[chosen.length - 1];
    // A small tolerance keeps 2.000 s GOP pairs together despite rounding.
    if (prev === undefined || rap.pts - prev.pts >= target90k - PTS_HZ / 100) chosen.push(rap);
  }
  // The wrap segment must not be much shorter than the others: drop a trailing cut that leaves a stub.
  while (chosen.length > 1) {
    const last = chosen[chosen.length - 1]!;
    if (chosen[0]!.pts + duration90k - last.pts >= target90k / 2) break;
    chosen.pop();
  }
  const starts = chosen.map((rap) => {
    let start = rap.index;
    for (const pat of patPositions)
      if (pat <= rap.index && pat >= rap.index - PSI_LOOKBACK_PACKETS) start = pat;
    return start;
  });
  return chosen.map((rap, j) => {
    const next = chosen[j + 1];
    const end = j + 1 < starts.length ? starts[j + 1]! : starts[0]! + packetCount;
    const nextPts = next ? next.pts : chosen[0]!.pts + duration90k;
    return { start: starts[j]!, end, durationS: (nextPts - rap.pts) / PTS_HZ };
  });
}
