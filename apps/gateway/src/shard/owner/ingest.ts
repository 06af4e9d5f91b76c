/**
 * The owner's ingest path: upstream bytes → aligned packets of the program in the ring, plus just enough MPEG-TS
 * knowledge to serve players: the latest PAT/PMT, random-access points (each with the PSI that preceded
 * it), the PCR bitrate, and HLS segments cut by the segmenter into the ring's segment index.
 *
 * Order per chunk matters: packets are written (commit moves) before any record points at them, so a
 * reader never sees a random-access point or a segment beyond the commit cursor.
 */
import { type Segment, Segmenter } from '@shardcast/hls';
import { type TsDemuxEvent, TsDemuxer } from '@shardcast/mpegts';
import type { RingWriter } from '@shardcast/ring';
import type { HlsTiming } from '../../hls-timing.js';
import type { HlsStart } from '../../protocol.js';
import { BitrateMeter } from './bitrate.js';
import { ProgramFilter } from './program-filter.js';

/**
 * Pacing of an upstream that delivers faster than real time (an unpaced source, a long burst): while the
 * writer is more than a quarter ring ahead of the slowest client still reading (as the shards reported in the
 * last READER_FRESH_MS), reading is limited to FAST_FACTOR × the stream's own bitrate (a token bucket holding
 * at most BURST_SECONDS of credit) and waits HOLD_STEP_MS at a time when it runs out, instead of overwriting
 * bytes nobody has read. The floor matters as much as the brake: however slow one reader is, everyone else
 * still gets FAST_FACTOR × real time, so a client that stops reading can never starve the others. With no
 * client reading at all (the grace period, HLS-only viewers, every client stuck) the bucket refills at
 * NO_READER_FACTOR × the bitrate: real time, which is all a live stream needs, instead of pulling an unpaced
 * source at full speed for nobody. A live upstream (real time) never empties the bucket for longer than its
 * jitter, so it is never held for long.
 */
const FAST_FACTOR = 1.5;
const NO_READER_FACTOR = 1;
const BURST_SECONDS = 1;
const READER_FRESH_MS = 1000;
const HOLD_STEP_MS = 5;

/** PSI kept for segment starts: a few recent random-access points with the PSI that preceded each. */
const RAP_PSI_MEMORY = 8;

export interface IngestStats {
  bytesIn: number;
  segments: number;
  discontinuities: number;
  syncLosses: number;
  /** Packets kept out of the ring: PIDs the program does not list (see ProgramFilter). */
  droppedPackets: number;
}

export class Ingest {
  readonly #writer: RingWriter;
  readonly #demux = new TsDemuxer();
  readonly #segmenter: Segmenter;
  readonly #bitrate = new BitrateMeter();
  readonly #filter = new ProgramFilter();
  /** Ring cursor of demuxer output offset 0 for the current generation. */
  #base: number;
  #pat: Uint8Array | null = null;
  #pmt: Uint8Array | null = null;
  #psi: Uint8Array | null = null;
  readonly #rapPsi: Array<{ cursor: number; psi: Uint8Array }> = [];
  #sawRandomAccess = false;
  /** Pacing credit in bytes (see FAST_FACTOR), refilled at FAST_FACTOR × the PCR bitrate. */
  #credit = 0;
  #creditAtMs = 0;
  #lastMediaMs = 0;
  readonly stats: IngestStats = {
    bytesIn: 0,
    segments: 0,
    discontinuities: 0,
    syncLosses: 0,
    droppedPackets: 0,
  };

  constructor(writer: RingWriter, generation: number, timing: HlsTiming, start: HlsStart) {
    this.#writer = writer;
    this.#base = writer.commitCursor;
    this.#segmenter = new Segmenter({
      targetSeconds: timing.targetSeconds,
      maxSeconds: timing.maxSeconds,
      // Short first segments, so the first playlist reaches its cold-start length at a segment boundary.
      startTargetSeconds: timing.coldStart.startTargetSeconds,
      startSeq: start.seq,
      startDiscontinuitySeq: start.discontinuitySeq,
      discontinuityAtStart: start.resumed,
      generation,
    });
  }

  /** True once a random-access point with PSI is in the ring: the stream is playable. */
  get playable(): boolean {
    return this.#sawRandomAccess;
  }

  /** How long the upstream should wait before reading more (0: read on); see FAST_FACTOR. */
  holdMs(nowMs: number): number {
    const bytesPerSecond = this.#bitrate.bitsPerSecond / 8;
    if (bytesPerSecond === 0) return 0;
    const w = this.#writer;
    const slowest = w.slowestReader(nowMs, READER_FRESH_MS);
    let factor: number;
    if (slowest < 0) factor = NO_READER_FACTOR;
    else if (w.commitCursor - slowest > w.capacityBytes / 4) factor = FAST_FACTOR;
    else {
      // Unbraked: what was read meanwhile is no debt to pay back later.
      if (this.#credit < 0) this.#credit = 0;
      this.#creditAtMs = nowMs;
      return 0;
    }
    const refill = factor * bytesPerSecond;
    if (this.#creditAtMs > 0) {
      this.#credit = Math.min(
        refill * BURST_SECONDS,
        this.#credit + ((nowMs - this.#creditAtMs) * refill) / 1000,
      );
    }
    this.#creditAtMs = nowMs;
    return this.#credit > 0 ? 0 : HOLD_STEP_MS;
  }

  /** Wall time (ms) of the last media progress of the followed program (see push). */
  get lastMediaMs(): number {
    return this.#lastMediaMs;
  }

  /**
   * Feeds one upstream chunk (any size, any alignment). Returns true when it carried media progress of the
   * followed program (a packet of one of its elementary streams or its PCR PID, a PCR, a video PES start):
   * bytes alone (lost sync, an error page, null packets, a PID the program does not list, PSI only) are
   * not progress, and only progress holds off the stall and failover clocks.
   */
  push(chunk: Uint8Array, nowMs: number): boolean {
    this.stats.bytesIn += chunk.length;
    this.#credit -= chunk.length;
    const w = this.#writer;
    this.#publish(this.#segmenter.tick(nowMs, w.commitCursor));
    const r = this.#demux.push(chunk);
    const media = this.#filter.write(r, this.#demux.program, w);
    this.stats.droppedPackets = this.#filter.dropped;
    const progress = this.#events(r.events) || media;
    if (progress) this.#lastMediaMs = nowMs;
    w.touch(nowMs);
    return progress;
  }

  /**
   * A new upstream connection or engine: bump the generation, drop any partial packet (never splice
   * mid-packet), and make the next HLS segment start with a discontinuity at the next keyframe.
   */
  newGeneration(): number {
    const w = this.#writer;
    const flushed = this.#demux.flush();
    this.#filter.write(flushed, this.#demux.program, w);
    this.#events(flushed.events);
    const gen = w.bumpGeneration();
    this.#demux.reset();
    this.#filter.reset();
    this.#filter.markDiscontinuity();
    this.#base = w.commitCursor;
    this.#bitrate.reset();
    this.#pat = null;
    this.#pmt = null;
    this.#psi = null;
    this.#publish(this.#segmenter.discontinuity(w.commitCursor, gen));
    this.stats.discontinuities++;
    return gen;
  }

  /** Applies demuxer events; true when one of them was media progress (see push). */
  #events(events: readonly TsDemuxEvent[]): boolean {
    const w = this.#writer;
    let progress = false;
    for (const ev of events) {
      const cursor = this.#base + this.#filter.ringOffset(ev.offset);
      switch (ev.kind) {
        case 'pat':
          this.#pat = ev.packets;
          this.#psi = null;
          break;
        case 'pmt':
          this.#pmt = ev.packets;
          this.#psi = null;
          break;
        case 'pcr': {
          progress = true;
          const bps = this.#bitrate.pcr(ev.pcr, cursor);
          if (bps > 0) w.setBitrate(bps);
          this.#publish(this.#segmenter.pcr(cursor, ev.pcr));
          break;
        }
        case 'video':
          progress = true;
          if (ev.randomAccess) this.#randomAccess(cursor, ev.pts);
          else if (ev.pts >= 0) this.#publish(this.#segmenter.videoPes(cursor, ev.pts));
          break;
        case 'error':
          // Continuity errors pass through to players as they came; only lost sync is counted.
          if (ev.type === 'sync-loss') this.stats.syncLosses++;
          break;
        case 'discontinuity':
          break;
      }
    }
    return progress;
  }

  #randomAccess(cursor: number, pts: number): void {
    const psi = this.#currentPsi();
    if (!psi) return; // a keyframe before PAT/PMT cannot be joined at
    this.#writer.markRandomAccess(cursor, psi);
    this.#rapPsi.push({ cursor, psi });
    if (this.#rapPsi.length > RAP_PSI_MEMORY) this.#rapPsi.shift();
    if (!this.#sawRandomAccess) {
      this.#sawRandomAccess = true;
      this.#writer.setState('live');
    }
    this.#publish(this.#segmenter.randomAccess(cursor, pts >= 0 ? pts : undefined));
  }

  #currentPsi(): Uint8Array | null {
    if (this.#psi) return this.#psi;
    if (!this.#pat || !this.#pmt) return null;
    const psi = new Uint8Array(this.#pat.length + this.#pmt.length);
    psi.set(this.#pat, 0);
    psi.set(this.#pmt, this.#pat.length);
    this.#psi = psi;
    this.#writer.setPsi(psi);
    return psi;
  }

  #publish(segments: readonly Segment[]): void {
    for (const s of segments) {
      const psi = this.#rapPsi.find((r) => r.cursor === s.start)?.psi ?? this.#psi ?? new Uint8Array(0);
      this.#writer.publishSegment({
        seq: s.seq,
        start: s.start,
        end: s.end,
        durationUs: s.durationUs,
        discontinuity: s.discontinuity,
        discontinuitySequence: s.discontinuitySequence,
        programDateTimeMs: s.programDateTimeMs,
        forcedCut: s.forced,
        independent: s.independent,
        generation: s.generation,
        psi,
      });
      this.stats.segments++;
    }
  }
}
