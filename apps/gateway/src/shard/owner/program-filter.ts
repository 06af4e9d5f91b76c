/**
 * What reaches the ring: only packets of the followed program and the tables every player may use. The
 * demuxer already drops bytes without packet sync, but an upstream that turned to garbage can still
 * produce a few packet-shaped runs (a 0x47 every 188 bytes by chance, a PID nobody listed), and those
 * would go straight to players. Kept: PAT, CAT, the SI tables (PIDs 0x10–0x1F: SDT, EIT, TDT…), null
 * packets, and the PMT's own PID, PCR PID and elementary streams. Before a PAT/PMT is known only the
 * tables pass; a client never starts before PAT/PMT anyway.
 *
 * A new upstream timeline that follows an old one in the ring (a failover, a reconnect, an HLS upstream's
 * discontinuity) is flagged for TS players, who read the ring straight through: the first packet of each
 * PID in the new timeline gets the adaptation field's discontinuity_indicator when it has an adaptation
 * field (ISO/IEC 13818-1 §2.4.3.5); a PID whose first packet has none gets it on its first packet that
 * carries a PCR. On the PCR PID that tells a player the PCR starts a new time base (instead of a clock jump
 * it has to detect and smooth over); on the others, that the continuity counter restarts. A first packet
 * without an adaptation field is otherwise left as it is (adding one would move its payload into another
 * packet). Only packets that reach the ring count, and only the first MARK_PACKETS of them (at most
 * MARK_SCAN_PACKETS in all) are looked at, in a pass of their own, so the per-packet loop below pays
 * nothing for it.
 *
 * Dropping packets shifts ring cursors against the demuxer's output offsets; `ringOffset` maps an event's
 * offset (always a kept packet: PSI, PCR, video) to its place in the ring.
 */
import {
  CAT_PID,
  NULL_PID,
  PAT_PID,
  type Pmt,
  TS_PACKET_SIZE,
  type TsDemuxResult,
  type TsProgramState,
} from '@shardcast/mpegts';
import type { RingWriter } from '@shardcast/ring';

const PID_COUNT = 8192;
/** Kinds of PID in the lookup table. */
const DROP = 0;
const TABLE = 1;
/** An elementary stream (or the PCR PID) of the program: its packets are media. */
const MEDIA = 2;
/** DVB SI and ATSC base PIDs (ETSI EN 300 468 §5.1.3): not listed in a PMT, still read by players. */
const SI_FIRST_PID = 0x10;
const SI_LAST_PID = 0x1f;
/**
 * Packets of a new timeline looked at for first packets per PID: ~0.7 s at 4.5 Mbit/s, ~0.15 s at
 * 20 Mbit/s, longer than the 100 ms a PCR may be apart (ISO/IEC 13818-1 §2.7.2).
 */
const MARK_PACKETS = 2048;
/** Packets looked at in all, dropped ones included (an upstream whose PAT/PMT never comes): ~12 MB. */
const MARK_SCAN_PACKETS = 65_536;
/** A PID's state while a new timeline is marked: not seen yet, first packet had no field, flagged. */
const MARK_UNSEEN = 0;
const MARK_WAIT_PCR = 1;
const MARK_DONE = 2;
/** Adaptation field flags (byte 5 of a packet): discontinuity_indicator, PCR_flag. */
const DISCONTINUITY_FLAG = 0x80;
const PCR_FLAG = 0x10;

export class ProgramFilter {
  readonly #allowed = new Uint8Array(PID_COUNT);
  #pmt: Pmt | null = null;
  #pmtPid = -1;
  /** Demuxer offsets of the packets dropped from the current batch, ascending. */
  #drops: number[] = [];
  /** Bytes dropped before the current batch, since the last reset. */
  #droppedBefore = 0;
  /** Packets dropped over the ingest's life. */
  dropped = 0;
  /** While a new timeline's first packets are flagged: the PIDs already seen in it; else null. */
  #marking: Uint8Array | null = null;
  /** Packets that reach the ring, and packets in all, still to look at in the new timeline. */
  #markLeft = 0;
  #markScan = 0;

  constructor() {
    this.#rebuild();
  }

  /** A new upstream timeline: demuxer offsets restart at 0. */
  reset(): void {
    this.#drops = [];
    this.#droppedBefore = 0;
  }

  /** The next timeline follows an earlier one in the ring: flag its first packets (see above). */
  markDiscontinuity(): void {
    this.#marking = new Uint8Array(PID_COUNT);
    this.#markLeft = MARK_PACKETS;
    this.#markScan = MARK_SCAN_PACKETS;
  }

  /**
   * Writes the kept packets of one demuxer result to the ring, in order. Returns true when one of them
   * belongs to an elementary stream (or the PCR PID) of the program: media, even without a PCR or a video
   * PES start in this batch (an audio-only program, a long video frame).
   */
  write(r: TsDemuxResult, program: TsProgramState, w: RingWriter): boolean {
    if (program.pmt !== this.#pmt || program.pmtPid !== this.#pmtPid) {
      this.#pmt = program.pmt;
      this.#pmtPid = program.pmtPid;
      this.#rebuild();
    }
    this.#droppedBefore += this.#drops.length * TS_PACKET_SIZE;
    this.#drops = [];
    if (this.#marking !== null) this.#mark(r.chunks, this.#marking);
    const allowed = this.#allowed;
    let media = false;
    let offset = r.offset;
    for (const chunk of r.chunks) {
      let runStart = 0;
      for (let at = 0; at < chunk.length; at += TS_PACKET_SIZE) {
        const pid = ((chunk[at + 1]! & 0x1f) << 8) | chunk[at + 2]!;
        const kind = allowed[pid]!;
        if (kind === MEDIA) media = true;
        if (kind !== DROP) continue;
        if (at > runStart) w.write(chunk.subarray(runStart, at));
        runStart = at + TS_PACKET_SIZE;
        this.#drops.push(offset + at);
        this.dropped++;
      }
      if (chunk.length > runStart) w.write(runStart === 0 ? chunk : chunk.subarray(runStart));
      offset += chunk.length;
    }
    return media;
  }

  /**
   * Sets discontinuity_indicator on the first packet of each PID when it has an adaptation field, and on a
   * PID whose first packet had none, on its first packet that carries a PCR: the new time base is then
   * announced however the new upstream began (mid-GOP, its first video packet is a plain payload packet).
   */
  #mark(chunks: readonly Uint8Array[], state: Uint8Array): void {
    const allowed = this.#allowed;
    for (const chunk of chunks) {
      for (let at = 0; at < chunk.length; at += TS_PACKET_SIZE) {
        if (this.#markLeft <= 0 || --this.#markScan < 0) {
          this.#marking = null;
          return;
        }
        const pid = ((chunk[at + 1]! & 0x1f) << 8) | chunk[at + 2]!;
        // Only packets that reach the ring count: before the new PAT/PMT, media packets are dropped.
        if (allowed[pid] === DROP) continue;
        this.#markLeft--;
        const was = state[pid]!;
        if (pid === NULL_PID || was === MARK_DONE) continue;
        // adaptation_field_control 2 or 3 with a non-empty field: byte 5 holds its flags.
        const field = (chunk[at + 3]! & 0x20) !== 0 && chunk[at + 4]! > 0;
        if (was === MARK_UNSEEN) {
          state[pid] = field ? MARK_DONE : MARK_WAIT_PCR;
          if (field) chunk[at + 5]! |= DISCONTINUITY_FLAG;
        } else if (field && (chunk[at + 5]! & PCR_FLAG) !== 0) {
          state[pid] = MARK_DONE;
          chunk[at + 5]! |= DISCONTINUITY_FLAG;
        }
      }
    }
  }

  /** The ring offset (from the timeline's base) of a kept packet at demuxer offset `offset` of the last batch. */
  ringOffset(offset: number): number {
    const drops = this.#drops;
    let lo = 0;
    let hi = drops.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (drops[mid]! < offset) lo = mid + 1;
      else hi = mid;
    }
    return offset - this.#droppedBefore - lo * TS_PACKET_SIZE;
  }

  #rebuild(): void {
    const a = this.#allowed;
    a.fill(DROP);
    a[PAT_PID] = TABLE;
    a[CAT_PID] = TABLE;
    a[NULL_PID] = TABLE;
    for (let pid = SI_FIRST_PID; pid <= SI_LAST_PID; pid++) a[pid] = TABLE;
    if (this.#pmtPid >= 0) a[this.#pmtPid] = TABLE;
    const pmt = this.#pmt;
    if (!pmt) return;
    if (pmt.pcrPid < NULL_PID) a[pmt.pcrPid] = MEDIA;
    for (const s of pmt.streams) if (s.pid !== this.#pmtPid && s.pid < NULL_PID) a[s.pid] = MEDIA;
  }
}
