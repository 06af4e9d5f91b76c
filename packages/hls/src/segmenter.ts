// Segmenter: the owner's ingest path feeds it events with byte cursors of the aligned TS output and it
// cuts that byte stream into HLS segments. Called per video PES start / random-access point / PCR /
// ingest chunk, never per packet; an event that completes nothing returns a shared empty array.
//
//   waiting ──RAP──► open ──RAP at ≥ target──► emit, open (independent)
//                     (the first segments of a segmenter may use the shorter start targets instead)
//      ▲               │ ──≥ max (hard limit)──► emit forced, open (not independent)
//      └─discontinuity─┘ (emits the old generation's tail up to its last video PES start unless < 1 s,
//                          waits for the new generation's RAP)

import { MediaClock, TICKS_PER_MS, TICKS_PER_SECOND, TICKS_PER_US } from './clock.js';
import { HlsError } from './errors.js';
import type { Segment } from './types.js';

/** Options of a {@link Segmenter}; validated once by the constructor. */
export interface SegmenterOptions {
  /** Cut at the first random-access point at or after this many seconds. Default 4. */
  readonly targetSeconds?: number;
  /** Hard maximum: cut at the next timing event past this many seconds even without a RAP. Default 6. */
  readonly maxSeconds?: number;
  /**
   * Targets of the first segments this segmenter emits, in seconds, each at most `targetSeconds`: with
   * `[1, 2]` the first segment is cut at the first random-access point at or after 1 s, the second after
   * 2 s, the rest after `targetSeconds`. A new stream's first playlist then reaches a given length at a
   * segment boundary sooner (see the gateway's cold-start rule). The target duration header is unchanged.
   * Default `[]`.
   */
  readonly startTargetSeconds?: readonly number[];
  /** Media sequence number of the first segment (continue a recreated stream above its last seq). Default 0. */
  readonly startSeq?: number;
  /** EXT-X-DISCONTINUITY-SEQUENCE base: the last discontinuitySequence of a previous incarnation. Default 0. */
  readonly startDiscontinuitySeq?: number;
  /** Flag the first segment as a discontinuity (a recreated stream). Default: `startSeq > 0`. */
  readonly discontinuityAtStart?: boolean;
  /** Upstream generation of the first bytes. Default 0. */
  readonly generation?: number;
}

/** Counters of a {@link Segmenter}, for metrics. */
export interface SegmenterStats {
  readonly segments: number;
  readonly forcedCuts: number;
  /** Segments whose measured duration was above the rounding limit and was reported at the limit. */
  readonly clamped: number;
  /** Byte ranges dropped at a discontinuity: less than a second of media (or none) was measured in them. */
  readonly dropped: number;
  readonly timestampJumps: number;
}

const DEFAULT_TARGET_SECONDS = 4;
const DEFAULT_MAX_SECONDS = 6;
// One timing step longer than this is a timestamp jump (also capped by the target duration).
const MAX_STEP_TICKS = 2 * TICKS_PER_SECOND;
// A segment that began at a forced cut re-aligns to the next RAP once it holds this much media.
const RESYNC_MIN_TICKS = TICKS_PER_SECOND;
// Rounded EXTINF must be <= EXT-X-TARGETDURATION (RFC 8216 §4.3.3.1): with 3 decimals, TD + 0.499 s.
const ROUNDING_MARGIN_US = 499_000;
// Without any RAP for twice the maximum, start a (non-independent) segment anyway.
const NO_RAP_START_FACTOR = 2;
// At a discontinuity, a shorter tail of the old generation is dropped, not listed: a segment of a few
// frames (the engine died right after a keyframe) holds no audio yet, and hls.js then fails the whole
// media source (mediaSourceRequiresReset) instead of playing on.
const MIN_TAIL_TICKS = TICKS_PER_SECOND;
// The upstream was cut at an arbitrary byte, so the last video PES of the old generation is usually torn
// (video PES carry no length: only the next PES start proves one complete). The tail therefore ends at the
// start of that PES, never after it: Chromium's decoder fails on a torn frame followed by the new
// generation's keyframe (PIPELINE_ERROR_DECODE), which closes the MediaSource (hls.js
// mediaSourceRequiresReset) and playback stops at the discontinuity. NO_VIDEO: no video PES start seen
// yet in this generation (audio-only, or before the first one): the tail then ends at the change.
const NO_VIDEO = -1;
const EMPTY: readonly Segment[] = Object.freeze([]);

function append(out: Segment[] | undefined, seg: Segment): Segment[] {
  if (out === undefined) return [seg];
  out.push(seg);
  return out;
}

function positive(value: number | undefined, fallback: number, sentence: string): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v <= 0) throw new HlsError('SC_ERR_HLS_OPTION', sentence);
  return v;
}

function counter(value: number | undefined, sentence: string): number {
  const v = value ?? 0;
  if (!Number.isSafeInteger(v) || v < 0) throw new HlsError('SC_ERR_HLS_OPTION', sentence);
  return v;
}

/** Cuts the aligned TS byte stream into segments; single-threaded, owned by the ingest pump. */
export class Segmenter {
  /** The constant EXT-X-TARGETDURATION these options imply: >= every rounded EXTINF this segmenter emits. */
  readonly targetDurationHeader: number;
  readonly #targetTicks: number;
  /** Start targets in ticks, then the steady target; indexed by segments emitted so far. */
  readonly #startTicks: readonly number[];
  readonly #maxTicks: number;
  readonly #hardTicks: number;
  readonly #noRapStartTicks: number;
  readonly #clock: MediaClock;
  #nextSeq: number;
  #discSeq: number;
  #generation: number;
  #pendingDiscontinuity: boolean;
  #emittedAny = false;
  #open = false;
  #start = 0;
  #startPos = 0;
  #independent = false;
  #discontinuity = false;
  #pdt = 0;
  #segGeneration = 0;
  #prevCursor = -1;
  #prevPos = 0;
  #prevRap = false;
  #waitSincePos = 0;
  #wallMs = 0;
  #anchored = false;
  #anchorWallMs = 0;
  #anchorPos = 0;
  #segments = 0;
  #forcedCuts = 0;
  #clamped = 0;
  #dropped = 0;
  /** Cursor and clock position of the last video PES start of this generation (NO_VIDEO before one). */
  #videoCursor = NO_VIDEO;
  #videoPos = 0;

  constructor(options: SegmenterOptions = {}) {
    const target = positive(
      options.targetSeconds,
      DEFAULT_TARGET_SECONDS,
      'targetSeconds must be a finite number greater than 0.',
    );
    const max = positive(
      options.maxSeconds,
      Math.max(DEFAULT_MAX_SECONDS, target),
      'maxSeconds must be a finite number greater than 0.',
    );
    if (max < target)
      throw new HlsError('SC_ERR_HLS_OPTION', 'maxSeconds must not be smaller than targetSeconds.');
    this.#nextSeq = counter(options.startSeq, 'startSeq must be a non-negative safe integer.');
    this.#discSeq = counter(
      options.startDiscontinuitySeq,
      'startDiscontinuitySeq must be a non-negative safe integer.',
    );
    this.#generation = counter(options.generation, 'generation must be a non-negative safe integer.');
    this.#pendingDiscontinuity = options.discontinuityAtStart ?? this.#nextSeq > 0;
    this.targetDurationHeader = Math.ceil(max);
    this.#targetTicks = Math.round(target * TICKS_PER_SECOND);
    const ramp = options.startTargetSeconds ?? [];
    if (!Array.isArray(ramp)) throw new HlsError('SC_ERR_HLS_OPTION', 'startTargetSeconds must be an array.');
    this.#startTicks = ramp.map((v: unknown) => {
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || v > target) {
        throw new HlsError(
          'SC_ERR_HLS_OPTION',
          'startTargetSeconds must hold numbers greater than 0 and not above targetSeconds.',
        );
      }
      return Math.round(v * TICKS_PER_SECOND);
    });
    this.#maxTicks = Math.round(max * TICKS_PER_SECOND);
    this.#hardTicks = (this.targetDurationHeader * 1_000_000 + ROUNDING_MARGIN_US) * TICKS_PER_US;
    this.#noRapStartTicks = NO_RAP_START_FACTOR * this.#maxTicks;
    this.#clock = new MediaClock(Math.min(MAX_STEP_TICKS, this.#targetTicks));
  }

  /** Media sequence number the next completed segment will carry. */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Discontinuity Sequence Number of the last emitted segment (or the start value). */
  get discontinuitySequence(): number {
    return this.#discSeq;
  }

  /** Upstream generation currently being segmented. */
  get generation(): number {
    return this.#generation;
  }

  /** Byte cursor where the open segment starts, or -1 while waiting for a random-access point. */
  get openStart(): number {
    return this.#open ? this.#start : -1;
  }

  get stats(): SegmenterStats {
    return {
      segments: this.#segments,
      forcedCuts: this.#forcedCuts,
      clamped: this.#clamped,
      dropped: this.#dropped,
      timestampJumps: this.#clock.jumps,
    };
  }

  /** A video PES (not a random-access point) starts at `cursor`; `pts` is the 33-bit 90 kHz PTS. */
  videoPes(cursor: number, pts: number): readonly Segment[] {
    const drive = this.#clock.video(pts);
    this.#videoStart(cursor);
    return this.#observe(cursor, false, drive);
  }

  /** A random-access point (keyframe PES start) at `cursor`, with its PTS when the PES header has one. */
  randomAccess(cursor: number, pts?: number): readonly Segment[] {
    if (pts !== undefined) this.#clock.video(pts);
    this.#videoStart(cursor);
    return this.#observe(cursor, true, true);
  }

  /** A PCR (27 MHz: base × 300 + extension) in the packet at `cursor`. */
  pcr(cursor: number, pcr: number): readonly Segment[] {
    return this.#clock.pcr(pcr) ? this.#observe(cursor, false, true) : EMPTY;
  }

  /**
   * Wall clock at byte `cursor`. Call once per ingest chunk, before feeding that chunk's events:
   * it dates segments (program date time) and drives the clock for streams with neither PTS nor PCR.
   */
  tick(nowMs: number, cursor: number): readonly Segment[] {
    this.#wallMs = nowMs;
    return this.#clock.wall(nowMs, cursor) ? this.#observe(cursor, false, true) : EMPTY;
  }

  /**
   * The upstream generation changes at `cursor`: the open segment closes at the start of its last video PES
   * (which may be torn; at `cursor` when it has no video), and is dropped when it holds less than a second
   * of media; the next segment starts at the first random-access point of the new generation and carries
   * the flag.
   */
  discontinuity(cursor: number, generation: number): readonly Segment[] {
    const out =
      this.#open && this.#videoCursor >= this.#start
        ? this.#finishAt(this.#videoCursor, this.#videoPos - this.#startPos, MIN_TAIL_TICKS)
        : this.#finish(cursor, MIN_TAIL_TICKS);
    this.#videoCursor = NO_VIDEO;
    // Before anything was emitted there is no earlier timeline to break from.
    this.#pendingDiscontinuity ||= this.#emittedAny;
    this.#generation = generation;
    this.#clock.reset();
    this.#anchored = false;
    this.#waitSincePos = this.#clock.position;
    return out;
  }

  /** The stream ends at `cursor`: emit the open segment (for a final playlist with ENDLIST). */
  flush(cursor: number): readonly Segment[] {
    const out = this.#finish(cursor);
    this.#waitSincePos = this.#clock.position;
    return out;
  }

  #videoStart(cursor: number): void {
    this.#videoCursor = cursor;
    this.#videoPos = this.#clock.position;
  }

  #observe(cursor: number, rap: boolean, drive: boolean): readonly Segment[] {
    const pos = this.#clock.position;
    if (!this.#open) {
      if (rap) this.#openAt(cursor, pos, true);
      else if (drive && pos - this.#waitSincePos >= this.#noRapStartTicks) this.#openAt(cursor, pos, false);
      return EMPTY;
    }
    let out: Segment[] | undefined;
    // At most two cuts: one at the previous point when this step overshoots, then one here.
    for (let i = 0; i < 2 && cursor > this.#start; i++) {
      const elapsed = pos - this.#startPos;
      if (elapsed > this.#hardTicks && this.#prevCursor > this.#start && this.#prevPos > this.#startPos) {
        // Cutting here would round above the target duration: cut at the previous point, then retry.
        out = append(out, this.#cut(this.#prevCursor, this.#prevPos, !this.#prevRap, this.#prevRap));
        continue;
      }
      if (
        rap &&
        (elapsed >= this.#currentTargetTicks() || (!this.#independent && elapsed >= RESYNC_MIN_TICKS))
      ) {
        out = append(out, this.#cut(cursor, pos, false, true));
      } else if (elapsed >= this.#maxTicks) {
        out = append(out, this.#cut(cursor, pos, true, false));
      }
      break;
    }
    if (drive) {
      this.#prevCursor = cursor;
      this.#prevPos = pos;
      this.#prevRap = rap;
    }
    return out ?? EMPTY;
  }

  /** The open segment's target: a start target while the segmenter has emitted fewer segments. */
  #currentTargetTicks(): number {
    return this.#segments < this.#startTicks.length ? this.#startTicks[this.#segments]! : this.#targetTicks;
  }

  #cut(at: number, atPos: number, forced: boolean, nextIndependent: boolean): Segment {
    const seg = this.#close(at, atPos - this.#startPos, forced);
    this.#openAt(at, atPos, nextIndependent);
    return seg;
  }

  #openAt(cursor: number, pos: number, independent: boolean): void {
    if (!this.#anchored) {
      // Program date time follows media time within a generation so every playlist agrees on it.
      this.#anchored = true;
      this.#anchorWallMs = this.#wallMs;
      this.#anchorPos = pos;
    }
    this.#open = true;
    this.#start = cursor;
    this.#startPos = pos;
    this.#independent = independent;
    this.#discontinuity = this.#pendingDiscontinuity;
    this.#pendingDiscontinuity = false;
    this.#segGeneration = this.#generation;
    this.#pdt =
      this.#anchorWallMs > 0 ? Math.round(this.#anchorWallMs + (pos - this.#anchorPos) / TICKS_PER_MS) : 0;
    this.#prevCursor = -1;
  }

  /** Emits the open segment up to `cursor`, unless it holds less than `minTicks` of media (dropped, counted). */
  #finish(cursor: number, minTicks = 1): readonly Segment[] {
    if (!this.#open) return EMPTY;
    // The last frame lasts about one more step past the last timing event.
    return this.#finishAt(cursor, this.#clock.position - this.#startPos + this.#clock.lastStep, minTicks);
  }

  /** Emits the open segment up to `cursor` as `ticks` of media, unless that is less than `minTicks`. */
  #finishAt(cursor: number, ticks: number, minTicks: number): readonly Segment[] {
    this.#open = false;
    if (cursor <= this.#start || ticks < minTicks) {
      if (cursor > this.#start) this.#dropped++;
      this.#pendingDiscontinuity ||= this.#discontinuity;
      return EMPTY;
    }
    return [this.#close(cursor, ticks, false)];
  }

  #close(end: number, ticks: number, forced: boolean): Segment {
    if (ticks > this.#hardTicks) this.#clamped++;
    if (forced) this.#forcedCuts++;
    if (this.#discontinuity) this.#discSeq++;
    this.#segments++;
    this.#emittedAny = true;
    return {
      seq: this.#nextSeq++,
      start: this.#start,
      end,
      durationUs: Math.round(Math.min(ticks, this.#hardTicks) / TICKS_PER_US),
      discontinuity: this.#discontinuity,
      discontinuitySequence: this.#discSeq,
      forced,
      independent: this.#independent,
      programDateTimeMs: this.#pdt,
      generation: this.#segGeneration,
    };
  }
}
