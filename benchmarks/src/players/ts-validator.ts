/**
 * Per-player MPEG-TS checks and bitrate, incremental over the bytes a player receives (ISO/IEC 13818-1):
 * sync byte on every packet (§2.4.3.2), continuity counters (§2.4.3.3, via @shardcast/mpegts), PAT then
 * PMT before any elementary-stream packet at join, and a video keyframe as the first video packet. Media
 * bytes (everything but null packets) and the PCR give the stream's bitrate, which the playout model
 * uses to turn bytes into seconds. Pure: no I/O, no clocks; partial packets carry over to the next push.
 */
import {
  CC_RESULT,
  ContinuityChecker,
  isRandomAccessPacket,
  NULL_PID,
  PAT_PID,
  PCR_HZ,
  parsePatPacket,
  parsePmtPacket,
  readPcr,
  readPid,
  SYNC_BYTE,
  TS_PACKET_SIZE,
  type VideoCodec,
} from '@shardcast/mpegts';

/** PIDs a multiplexer may send before the PMT (NIT, SDT/BAT, EIT, TDT/TOT; ISO/IEC 13818-1 Table 2-3, EN 300 468). */
const SI_PIDS = new Set([0x10, 0x11, 0x12, 0x14]);
/** A PCR span shorter than this gives a noisy bitrate; wait for more. */
const MIN_PCR_SPAN_S = 0.3;
/** A PCR step outside [0, this] is a discontinuity (loop, reconnect, failover): restart the measurement. */
const MAX_PCR_STEP_S = 2;

export type JoinCheck = 'pending' | 'ok' | 'failed';

export interface TsValidation {
  packets: number;
  nullPackets: number;
  syncErrors: number;
  ccErrors: number;
  /** PAT, then the PMT, before any elementary-stream packet (SI tables such as the SDT may come first). */
  psiAtJoin: JoinCheck;
  /** The first video packet is a random-access point. */
  keyframeAtJoin: JoinCheck;
}

export class TsValidator {
  readonly stats: TsValidation = {
    packets: 0,
    nullPackets: 0,
    syncErrors: 0,
    ccErrors: 0,
    psiAtJoin: 'pending',
    keyframeAtJoin: 'pending',
  };
  /** Non-null bytes seen: what a decoder consumes. */
  mediaBytes = 0;
  readonly #cc = new ContinuityChecker();
  readonly #carry = Buffer.alloc(TS_PACKET_SIZE);
  #carryLen = 0;
  #checkCc: boolean;
  #pmtPid = -1;
  #videoPid = -1;
  #videoCodec: VideoCodec | null = null;
  #pcrPid = -1;
  // Bitrate measurement: PCR and media bytes at the start of the current span, and the latest PCR.
  #spanPcr = -1;
  #spanBytes = 0;
  #lastPcr = -1;
  #bitrate = 0;

  constructor(checkContinuity = true) {
    this.#checkCc = checkContinuity;
  }

  /** Media bitrate in bits per second from the PCR, or 0 until known. */
  get bitrate(): number {
    return this.#bitrate;
  }

  /** Stops per-packet work after the join checks (unpaced loads): only sync and byte counts remain. */
  set checkContinuity(on: boolean) {
    this.#checkCc = on;
  }

  push(chunk: Buffer): void {
    let off = 0;
    if (this.#carryLen > 0) {
      const need = TS_PACKET_SIZE - this.#carryLen;
      const n = Math.min(need, chunk.length);
      chunk.copy(this.#carry, this.#carryLen, 0, n);
      this.#carryLen += n;
      off = n;
      if (this.#carryLen < TS_PACKET_SIZE) return;
      this.#carryLen = 0;
      if (this.#carry[0] === SYNC_BYTE) this.#packet(this.#carry, 0);
      else off = this.#resync(chunk, 0);
    }
    while (off + TS_PACKET_SIZE <= chunk.length) {
      if (chunk[off] !== SYNC_BYTE) {
        off = this.#resync(chunk, off);
        continue;
      }
      this.#packet(chunk, off);
      off += TS_PACKET_SIZE;
    }
    if (off < chunk.length) {
      chunk.copy(this.#carry, 0, off);
      this.#carryLen = chunk.length - off;
    }
  }

  // Counts one sync loss and returns the next offset that looks like a packet start.
  #resync(chunk: Buffer, from: number): number {
    this.stats.syncErrors++;
    this.#cc.reset();
    for (let i = from + 1; i < chunk.length; i++) {
      if (
        chunk[i] === SYNC_BYTE &&
        (i + TS_PACKET_SIZE >= chunk.length || chunk[i + TS_PACKET_SIZE] === SYNC_BYTE)
      )
        return i;
    }
    return chunk.length;
  }

  #packet(data: Buffer, off: number): void {
    const s = this.stats;
    s.packets++;
    const pid = readPid(data, off);
    if (pid === NULL_PID) {
      s.nullPackets++;
      return;
    }
    this.mediaBytes += TS_PACKET_SIZE;
    if (s.psiAtJoin === 'pending') this.#joinPsi(data, off, pid);
    else if (s.keyframeAtJoin === 'pending' && pid === this.#videoPid) {
      s.keyframeAtJoin = isRandomAccessPacket(data, off, this.#videoCodec) ? 'ok' : 'failed';
    }
    if (this.#checkCc && this.#cc.checkPacket(data, off) === CC_RESULT.ERROR) s.ccErrors++;
    if (pid === this.#pcrPid || this.#pcrPid < 0) this.#pcr(data, off, pid);
  }

  #joinPsi(data: Buffer, off: number, pid: number): void {
    const s = this.stats;
    if (this.#pmtPid < 0) {
      if (SI_PIDS.has(pid)) return;
      const pat = pid === PAT_PID ? parsePatPacket(data, off) : null;
      const program = pat?.programs[0];
      if (!program) {
        s.psiAtJoin = 'failed';
        s.keyframeAtJoin = 'failed';
        return;
      }
      this.#pmtPid = program.pmtPid;
      return;
    }
    if (pid === this.#pmtPid) {
      const pmt = parsePmtPacket(data, off);
      if (!pmt) return;
      s.psiAtJoin = 'ok';
      this.#pcrPid = pmt.pcrPid;
      this.#videoPid = pmt.video?.pid ?? -1;
      this.#videoCodec = (pmt.video?.codec as VideoCodec | null) ?? null;
      if (this.#videoPid < 0) s.keyframeAtJoin = 'ok'; // audio-only: nothing to lock on to
      return;
    }
    if (pid !== PAT_PID && !SI_PIDS.has(pid)) {
      s.psiAtJoin = 'failed';
      s.keyframeAtJoin = 'failed';
    }
  }

  #pcr(data: Buffer, off: number, pid: number): void {
    const pcr = readPcr(data, off);
    if (pcr < 0) return;
    if (this.#pcrPid < 0) this.#pcrPid = pid;
    const bytes = this.mediaBytes;
    const step = (pcr - this.#lastPcr) / PCR_HZ;
    if (this.#spanPcr < 0 || step < 0 || step > MAX_PCR_STEP_S) {
      // First PCR, or a discontinuity: a new span; the previous estimate stays until this one is long enough.
      this.#spanPcr = pcr;
      this.#spanBytes = bytes;
    } else {
      const spanS = (pcr - this.#spanPcr) / PCR_HZ;
      // Packet index difference between the two PCR packets = media bytes between them (nulls excluded).
      if (spanS >= MIN_PCR_SPAN_S) this.#bitrate = ((bytes - this.#spanBytes) * 8) / spanS;
    }
    this.#lastPcr = pcr;
  }
}
