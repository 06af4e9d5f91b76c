// Streaming MPEG-TS demuxer in the style of hls.js's tsdemuxer: synchronous, bytes in, results out, a
// partial packet carried to the next call, flush() at the end of a stream. It aligns the byte stream to
// whole packets (resyncing on lost sync), follows PAT -> PMT -> video PID (in a program without video, its
// first audio PID), and reports only the packets a live ingest cares about (PSI changes, PCRs, video PES
// starts, problems). Everything else costs a few byte reads and no allocation.
//
// Sync rule (ISO/IEC 13818-1 §2.4.3.3 sync_byte): once locked, a packet is accepted when its first byte is
// 0x47. When it is not, sync is lost and the demuxer searches for a 0x47 followed by two more at 188-byte
// spacing (fewer only at flush(), with what is left). Every decision looks at a fixed window of bytes, so
// splitting the input anywhere gives the same output.

import { NULL_PID, PAT_PID, SYNC_BYTE, TS_HEADER_SIZE, TS_PACKET_SIZE } from './constants.js';
import { CC_RESULT, ContinuityChecker } from './continuity.js';
import type { TsDemuxerOptions, TsDemuxResult, TsDemuxStats, TsProgramState } from './demux-types.js';
import { payloadOffset } from './packet.js';
import { parsePesHeader } from './pes.js';
import { parsePatSection, parsePmtSection, verifySectionCrc } from './psi.js';
import { hasRandomAccessUnit } from './random-access.js';
import { SectionAssembler } from './section-assembler.js';
import { decodePcr } from './timestamps.js';
import { type AudioCodec, NO_VALUE, type Pat, type Pmt, type TsErrorType, type VideoCodec } from './types.js';

// Sync bytes after a candidate that confirm it while searching.
const SYNC_CONFIRMATIONS = 2;
// Longest carry: a candidate plus the bytes up to its last confirmation byte.
const PENDING_CAPACITY = (SYNC_CONFIRMATIONS + 1) * TS_PACKET_SIZE;
// The combine buffer holds the carry plus enough of the next chunk to decide every carried position.
const SCRATCH_CAPACITY = 2 * PENDING_CAPACITY;
const FLAG_DISCONTINUITY = 0x80;
const FLAG_RANDOM_ACCESS = 0x40;
const FLAG_PCR = 0x10;
// Flags byte + 6-byte PCR field.
const MIN_PCR_ADAPTATION_LENGTH = 7;
const MAX_ADAPTATION_LENGTH = TS_PACKET_SIZE - TS_HEADER_SIZE - 1;
const NEED_MORE = -1;
const REJECTED = 0;
const CONFIRMED = 1;

/** The streaming demuxer. Not thread-safe; one instance per upstream connection. */
export class TsDemuxer {
  readonly #emitPcr: boolean;
  readonly #checkContinuity: boolean;
  readonly #programNumber: number;
  readonly #pending = new Uint8Array(PENDING_CAPACITY);
  readonly #scratch = new Uint8Array(SCRATCH_CAPACITY);
  #pendingLength = 0;
  #locked = false;
  #skipped = 0;
  #outOffset = 0;
  #packetOffset = 0;
  #result: TsDemuxResult = newResult(0);
  #continuity = new ContinuityChecker();
  readonly #stats: TsDemuxStats = {
    bytesIn: 0,
    packets: 0,
    syncLosses: 0,
    skippedBytes: 0,
    truncated: 0,
    continuityErrors: 0,
    transportErrors: 0,
    psiErrors: 0,
  };

  #pat: Pat | null = null;
  #pmt: Pmt | null = null;
  #patSection: Uint8Array | null = null;
  #pmtSection: Uint8Array | null = null;
  #patPackets: Uint8Array | null = null;
  #pmtPackets: Uint8Array | null = null;
  #followedProgram = NO_VALUE;
  #pmtPid = NO_VALUE;
  #pcrPid = NO_VALUE;
  #videoPid = NO_VALUE;
  #videoCodec: VideoCodec | AudioCodec | null = null;
  /** The program has no video: its first audio PID is followed instead, every PES start random access. */
  #audioOnly = false;
  readonly #patAssembler = new SectionAssembler({
    onSection: (section, packets) => this.#onPat(section, packets),
    onSectionError: (detail) => this.#psiError(`PAT: ${detail}`),
  });
  readonly #pmtAssembler = new SectionAssembler({
    onSection: (section, packets) => this.#onPmt(section, packets),
    onSectionError: (detail) => this.#psiError(`PMT: ${detail}`),
  });

  constructor(options: TsDemuxerOptions = {}) {
    this.#emitPcr = options.pcr ?? true;
    this.#checkContinuity = options.continuity ?? true;
    this.#programNumber = options.programNumber ?? NO_VALUE;
  }

  /** Feeds the next upstream bytes. Never throws; problems come back as 'error' events. */
  push(chunk: Uint8Array): TsDemuxResult {
    const result = this.#begin();
    this.#stats.bytesIn += chunk.length;
    let pos = 0;
    if (this.#pendingLength > 0) {
      const carried = this.#pendingLength;
      const take = Math.min(chunk.length, SCRATCH_CAPACITY - carried);
      this.#scratch.set(this.#pending.subarray(0, carried), 0);
      this.#scratch.set(chunk.subarray(0, take), carried);
      const total = carried + take;
      const stop = this.#scan(this.#scratch, 0, total, carried, false);
      if (stop < carried) {
        // Only possible when the whole chunk fit in scratch: everything left waits for more bytes.
        this.#pending.set(this.#scratch.subarray(stop, total), 0);
        this.#pendingLength = total - stop;
        return result;
      }
      this.#pendingLength = 0;
      pos = stop - carried;
    }
    const stop = this.#scan(chunk, pos, chunk.length, Number.POSITIVE_INFINITY, false);
    if (stop < chunk.length) {
      this.#pending.set(chunk.subarray(stop), 0);
      this.#pendingLength = chunk.length - stop;
    }
    return result;
  }

  /** Ends the stream: decides on the carried bytes with what is there. The demuxer then expects new sync. */
  flush(): TsDemuxResult {
    const result = this.#begin();
    const end = this.#pendingLength;
    this.#pendingLength = 0;
    const stop = end > 0 ? this.#scan(this.#pending, 0, end, end, true) : 0;
    if (stop < end) {
      this.#stats.truncated++;
      this.#error('truncated', `${end - stop} bytes of a partial packet dropped at end of stream`);
    }
    if (!this.#locked && this.#skipped > 0) this.#syncRegained('no sync found before end of stream');
    this.#locked = false;
    return result;
  }

  /**
   * Forgets everything about the current stream (carry, sync, PSI, counters per PID) for a reconnect or an
   * upstream switch. Output offsets restart at 0; the running stats are kept.
   */
  reset(): void {
    this.#pendingLength = 0;
    this.#locked = false;
    this.#skipped = 0;
    this.#outOffset = 0;
    this.#continuity = new ContinuityChecker();
    this.#patAssembler.reset();
    this.#pmtAssembler.reset();
    this.#pat = null;
    this.#patSection = null;
    this.#patPackets = null;
    this.#followedProgram = NO_VALUE;
    this.#setPmtPid(NO_VALUE);
  }

  /** Aligned output bytes emitted since construction or reset(). */
  get outputOffset(): number {
    return this.#outOffset;
  }

  /** Running counters (a live object; read, do not write). */
  get stats(): Readonly<TsDemuxStats> {
    return this.#stats;
  }

  /** The followed program as learnt so far. */
  get program(): TsProgramState {
    return {
      pat: this.#pat,
      pmt: this.#pmt,
      pmtPid: this.#pmtPid,
      pcrPid: this.#pcrPid,
      videoPid: this.#videoPid,
      videoCodec: this.#videoCodec,
    };
  }

  /** Raw packet(s) of the current PAT (n * 188 bytes, as received), or null. Do not modify. */
  get patPackets(): Uint8Array | null {
    return this.#patPackets;
  }

  /** Raw packet(s) of the current PMT of the followed program, or null. Do not modify. */
  get pmtPackets(): Uint8Array | null {
    return this.#pmtPackets;
  }

  #begin(): TsDemuxResult {
    this.#result = newResult(this.#outOffset);
    return this.#result;
  }

  // Processes data[pos, end) until it needs bytes beyond `end` or passes `stopAt`; returns where it
  // stopped. Aligned runs go to the current result as views of `data`.
  #scan(data: Uint8Array, pos: number, end: number, stopAt: number, final: boolean): number {
    let runStart = NO_VALUE;
    while (pos < end) {
      if (this.#locked) {
        if (end - pos < TS_PACKET_SIZE) break;
        if (data[pos] !== SYNC_BYTE) {
          if (runStart >= 0) this.#emitRun(data, runStart, pos);
          runStart = NO_VALUE;
          this.#locked = false;
          continue;
        }
        if (runStart < 0) runStart = pos;
        this.#packet(data, pos);
        pos += TS_PACKET_SIZE;
        if (pos >= stopAt) break;
        continue;
      }
      let q = pos;
      let verdict = REJECTED;
      for (; q < end && q < stopAt; q++) {
        if (data[q] !== SYNC_BYTE) continue;
        verdict = confirmSync(data, q, end, final);
        if (verdict !== REJECTED) break;
      }
      this.#skipped += q - pos;
      pos = q;
      if (verdict !== CONFIRMED) break;
      this.#locked = true;
      if (this.#skipped > 0) this.#syncRegained('resynchronised');
    }
    if (runStart >= 0) this.#emitRun(data, runStart, pos);
    return pos;
  }

  #emitRun(data: Uint8Array, start: number, end: number): void {
    this.#result.chunks.push(data.subarray(start, end));
    this.#result.byteLength += end - start;
  }

  #syncRegained(how: string): void {
    const skipped = this.#skipped;
    this.#skipped = 0;
    this.#stats.syncLosses++;
    this.#stats.skippedBytes += skipped;
    this.#error('sync-loss', `${how} after skipping ${skipped} bytes`);
  }

  // One aligned packet at data[off]. Null packets and unrelated PIDs return after a few byte reads.
  #packet(data: Uint8Array, off: number): void {
    const offset = this.#outOffset;
    this.#packetOffset = offset;
    this.#outOffset += TS_PACKET_SIZE;
    this.#stats.packets++;
    const b1 = data[off + 1]!;
    const pid = ((b1 & 0x1f) << 8) | data[off + 2]!;
    if (pid === NULL_PID) return;
    if ((b1 & 0x80) !== 0) {
      // transport_error_indicator: the bytes are known to be damaged; use nothing from them.
      this.#stats.transportErrors++;
      this.#error('transport-error', `transport_error_indicator set on PID ${pid}`);
      return;
    }
    const b3 = data[off + 3]!;
    let afLength = 0;
    let flags = 0;
    if ((b3 & 0x20) !== 0) {
      afLength = data[off + TS_HEADER_SIZE]!;
      if (afLength > MAX_ADAPTATION_LENGTH) afLength = 0;
      else if (afLength > 0) flags = data[off + TS_HEADER_SIZE + 1]!;
    }
    const discontinuity = (flags & FLAG_DISCONTINUITY) !== 0;
    if (this.#checkContinuity) {
      const r = this.#continuity.check(pid, b3 & 0x0f, (b3 & 0x10) !== 0, discontinuity);
      if (r === CC_RESULT.ERROR) this.#continuityError(pid, b3 & 0x0f);
    }
    if (discontinuity) this.#result.events.push({ kind: 'discontinuity', offset, pid });
    if (
      (flags & FLAG_PCR) !== 0 &&
      pid === this.#pcrPid &&
      this.#emitPcr &&
      afLength >= MIN_PCR_ADAPTATION_LENGTH
    ) {
      const pcr = decodePcr(data, off + TS_HEADER_SIZE + 2);
      this.#result.events.push({ kind: 'pcr', offset, pid, pcr });
    }
    if (pid === PAT_PID) this.#patAssembler.push(data, off);
    else if (pid === this.#pmtPid) this.#pmtAssembler.push(data, off);
    else if (pid === this.#videoPid && (b1 & 0x40) !== 0 && (b3 & 0xc0) === 0) {
      this.#videoStart(data, off, pid, (flags & FLAG_RANDOM_ACCESS) !== 0);
    }
  }

  #videoStart(data: Uint8Array, off: number, pid: number, randomAccessIndicator: boolean): void {
    const end = off + TS_PACKET_SIZE;
    const p = payloadOffset(data, off);
    const pes = p < 0 ? null : parsePesHeader(data, p, end);
    if (pes === null) return;
    const randomAccess =
      this.#audioOnly ||
      randomAccessIndicator ||
      hasRandomAccessUnit(this.#videoCodec, data, pes.payloadOffset, end);
    this.#result.events.push({
      kind: 'video',
      offset: this.#packetOffset,
      pid,
      pts: pes.pts,
      dts: pes.dts,
      randomAccess,
    });
  }

  #continuityError(pid: number, cc: number): void {
    this.#stats.continuityErrors++;
    if (pid === PAT_PID) this.#patAssembler.reset();
    else if (pid === this.#pmtPid) this.#pmtAssembler.reset();
    this.#error('continuity', `continuity_counter jump on PID ${pid} (got ${cc})`);
  }

  #onPat(section: Uint8Array, packets: Uint8Array): void {
    if (this.#patSection !== null && this.#pat !== null && equalBytes(section, this.#patSection)) {
      // A repetition: keep the newest raw copy (its continuity counter is the current one) so a player
      // joined here with these packets continues the counter with the next PAT in the stream.
      this.#patPackets = packets.slice();
      this.#result.events.push({
        kind: 'pat',
        offset: this.#packetOffset,
        pat: this.#pat,
        packets: this.#patPackets,
        changed: false,
      });
      return;
    }
    if (!verifySectionCrc(section, 0, section.length)) {
      this.#psiError('PAT: CRC_32 mismatch');
      return;
    }
    const pat = parsePatSection(section, 0, section.length, false);
    if (pat === null) {
      this.#psiError('PAT: malformed section');
      return;
    }
    this.#pat = pat;
    this.#patSection = section.slice();
    this.#patPackets = packets.slice();
    const program =
      this.#programNumber >= 0
        ? pat.programs.find((p) => p.programNumber === this.#programNumber)
        : pat.programs[0];
    this.#followedProgram = program?.programNumber ?? NO_VALUE;
    const pmtPid = program?.pmtPid ?? NO_VALUE;
    if (pmtPid !== this.#pmtPid) this.#setPmtPid(pmtPid);
    this.#result.events.push({
      kind: 'pat',
      offset: this.#packetOffset,
      pat,
      packets: this.#patPackets,
      changed: true,
    });
  }

  #onPmt(section: Uint8Array, packets: Uint8Array): void {
    if (this.#pmtSection !== null && this.#pmt !== null && equalBytes(section, this.#pmtSection)) {
      this.#pmtPackets = packets.slice(); // newest continuity counter, as for the PAT
      this.#result.events.push({
        kind: 'pmt',
        offset: this.#packetOffset,
        pid: this.#pmtPid,
        pmt: this.#pmt,
        packets: this.#pmtPackets,
        changed: false,
      });
      return;
    }
    if (!verifySectionCrc(section, 0, section.length)) {
      this.#psiError('PMT: CRC_32 mismatch');
      return;
    }
    const pmt = parsePmtSection(section, 0, section.length, false);
    if (pmt === null) {
      this.#psiError('PMT: malformed section');
      return;
    }
    // One PMT PID may carry several programs' sections; keep only the followed one.
    if (pmt.programNumber !== this.#followedProgram) return;
    this.#pmt = pmt;
    this.#pmtSection = section.slice();
    this.#pmtPackets = packets.slice();
    this.#pcrPid = pmt.pcrPid;
    // A program without video (a radio station) is followed by its first audio stream: every audio frame
    // decodes on its own, so each audio PES start is a point a player can join at (and an HLS segment can
    // start at). Without this an audio-only stream never became playable.
    const followed = pmt.video ?? pmt.audio;
    this.#videoPid = followed?.pid ?? NO_VALUE;
    this.#videoCodec = followed?.codec ?? null;
    this.#audioOnly = pmt.video === null && pmt.audio !== null;
    this.#result.events.push({
      kind: 'pmt',
      offset: this.#packetOffset,
      pid: this.#pmtPid,
      pmt,
      packets: this.#pmtPackets,
      changed: true,
    });
  }

  #setPmtPid(pid: number): void {
    this.#pmtPid = pid;
    this.#pmt = null;
    this.#pmtSection = null;
    this.#pmtPackets = null;
    this.#pcrPid = NO_VALUE;
    this.#videoPid = NO_VALUE;
    this.#videoCodec = null;
    this.#audioOnly = false;
    this.#pmtAssembler.reset();
  }

  #psiError(detail: string): void {
    this.#stats.psiErrors++;
    this.#error('psi', detail);
  }

  #error(type: TsErrorType, detail: string): void {
    this.#result.events.push({ kind: 'error', offset: this.#outOffset, type, detail, fatal: false });
  }
}

function newResult(offset: number): TsDemuxResult {
  return { chunks: [], offset, byteLength: 0, events: [] };
}

// Whether the 0x47 at q is followed by sync bytes at 188-byte spacing (fewer are enough at flush).
function confirmSync(data: Uint8Array, q: number, end: number, final: boolean): number {
  if (final && q + TS_PACKET_SIZE > end) return REJECTED;
  for (let k = 1; k <= SYNC_CONFIRMATIONS; k++) {
    const at = q + k * TS_PACKET_SIZE;
    if (at >= end) return final ? CONFIRMED : NEED_MORE;
    if (data[at] !== SYNC_BYTE) return REJECTED;
  }
  return CONFIRMED;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
