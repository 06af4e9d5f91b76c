/**
 * What reaches the ring: only packets of the followed program and the tables every player may use. The
 * demuxer already drops bytes without packet sync, but an upstream that turned to garbage can still
 * produce a few packet-shaped runs (a 0x47 every 188 bytes by chance, a PID nobody listed), and those
 * would go straight to players. Kept: PAT, CAT, the SI tables (PIDs 0x10–0x1F: SDT, EIT, TDT…), null
 * packets, and the PMT's own PID, PCR PID and elementary streams. Before a PAT/PMT is known only the
 * tables pass; a client never starts before PAT/PMT anyway.
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
/** DVB SI and ATSC base PIDs (ETSI EN 300 468 §5.1.3): not listed in a PMT, still read by players. */
const SI_FIRST_PID = 0x10;
const SI_LAST_PID = 0x1f;

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

  constructor() {
    this.#rebuild();
  }

  /** A new upstream timeline: demuxer offsets restart at 0. */
  reset(): void {
    this.#drops = [];
    this.#droppedBefore = 0;
  }

  /** Writes the kept packets of one demuxer result to the ring, in order. */
  write(r: TsDemuxResult, program: TsProgramState, w: RingWriter): void {
    if (program.pmt !== this.#pmt || program.pmtPid !== this.#pmtPid) {
      this.#pmt = program.pmt;
      this.#pmtPid = program.pmtPid;
      this.#rebuild();
    }
    this.#droppedBefore += this.#drops.length * TS_PACKET_SIZE;
    this.#drops = [];
    const allowed = this.#allowed;
    let offset = r.offset;
    for (const chunk of r.chunks) {
      let runStart = 0;
      for (let at = 0; at < chunk.length; at += TS_PACKET_SIZE) {
        const pid = ((chunk[at + 1]! & 0x1f) << 8) | chunk[at + 2]!;
        if (allowed[pid] === 1) continue;
        if (at > runStart) w.write(chunk.subarray(runStart, at));
        runStart = at + TS_PACKET_SIZE;
        this.#drops.push(offset + at);
        this.dropped++;
      }
      if (chunk.length > runStart) w.write(runStart === 0 ? chunk : chunk.subarray(runStart));
      offset += chunk.length;
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
    a.fill(0);
    a[PAT_PID] = 1;
    a[CAT_PID] = 1;
    a[NULL_PID] = 1;
    for (let pid = SI_FIRST_PID; pid <= SI_LAST_PID; pid++) a[pid] = 1;
    if (this.#pmtPid >= 0) a[this.#pmtPid] = 1;
    const pmt = this.#pmt;
    if (!pmt) return;
    if (pmt.pcrPid < NULL_PID) a[pmt.pcrPid] = 1;
    for (const s of pmt.streams) a[s.pid] = 1;
  }
}
