// Media clock for the segmenter: one monotonic position in 27 MHz ticks, advanced by the best timing
// source available. Video PTS drives when present; PCR takes over when there is no video (or video
// goes quiet); the wall clock is the last resort for streams with neither. Only the driving source
// advances the position, so switching sources never counts time twice.

/** Ticks of the 27 MHz system clock (ISO/IEC 13818-1 §2.4.2.1) per microsecond. */
export const TICKS_PER_US = 27;
/** Ticks per millisecond of wall clock. */
export const TICKS_PER_MS = 27_000;
/** Ticks per second. */
export const TICKS_PER_SECOND = 27_000_000;

// PTS counts 90 kHz in 33 bits (ISO/IEC 13818-1 §2.4.3.7); one PTS tick is 300 system-clock ticks.
const PTS_TO_TICKS = 300;
const PTS_MODULUS = 2 ** 33;
// PCR = base(33 bits) × 300 + extension(0..299), so it wraps at 2^33 × 300 (ISO/IEC 13818-1 §2.4.3.5).
const PCR_MODULUS = PTS_MODULUS * 300;
// B-frames arrive in decode order with PTS below the high-water mark; anything further back is a jump.
const REORDER_TOLERANCE_TICKS = TICKS_PER_SECOND;
// PCR takes over from video after this much PCR time without a video PES (capped by maxStep / 2).
const VIDEO_STALE_TICKS = TICKS_PER_SECOND;

/** Signed difference `a - b` on a counter that wraps at `modulus`, in [-modulus/2, modulus/2). */
export function wrapDelta(a: number, b: number, modulus: number): number {
  const half = modulus / 2;
  let d = (a - b) % modulus;
  if (d >= half) d -= modulus;
  else if (d < -half) d += modulus;
  return d;
}

/** Media clock fed by video PTS, PCR and wall clock; see the file header for the priority rules. */
export class MediaClock {
  /** Monotonic media position in 27 MHz ticks; only differences are meaningful. */
  position = 0;
  /** The last forward step of the driving source, in ticks (a frame duration for video). */
  lastStep = 0;
  /** Timestamp jumps seen (steps backwards or larger than the maximum step); they add no time. */
  jumps = 0;
  readonly #maxStep: number;
  readonly #videoStale: number;
  #lastPts = 0;
  #lastPcr = 0;
  #lastWallMs = -1;
  #lastWallCursor = -1;
  #videoSeen = false;
  #pcrSeen = false;
  #pcrDriving = false;
  #pcrSinceVideo = 0;

  /** `maxStepTicks` bounds one plausible step; larger steps are timestamp jumps. */
  constructor(maxStepTicks: number) {
    this.#maxStep = maxStepTicks;
    this.#videoStale = Math.min(VIDEO_STALE_TICKS, Math.floor(maxStepTicks / 2));
  }

  /** Forget the timestamp references (new upstream generation); the position stays. */
  reset(): void {
    this.#videoSeen = false;
    this.#pcrSeen = false;
    this.#pcrDriving = false;
    this.#pcrSinceVideo = 0;
    this.#lastWallCursor = -1;
    this.lastStep = 0;
  }

  /** A video PES start with a 90 kHz PTS. Returns true: video always drives once seen. */
  video(pts: number): boolean {
    this.#pcrSinceVideo = 0;
    if (!this.#videoSeen || this.#pcrDriving) {
      // First PTS, or video is back after PCR covered the quiet stretch: re-base without counting.
      this.#videoSeen = true;
      this.#pcrDriving = false;
      this.#lastPts = pts;
      return true;
    }
    const d = wrapDelta(pts, this.#lastPts, PTS_MODULUS) * PTS_TO_TICKS;
    if (d > 0 && d <= this.#maxStep) {
      this.position += d;
      this.lastStep = d;
      this.#lastPts = pts;
    } else if (d < -REORDER_TOLERANCE_TICKS || d > this.#maxStep) {
      this.jumps++;
      this.#lastPts = pts;
    }
    return true;
  }

  /** A PCR in 27 MHz units. Returns true when PCR is the driving source. */
  pcr(pcr: number): boolean {
    if (!this.#pcrSeen) {
      this.#pcrSeen = true;
      this.#lastPcr = pcr;
      return !this.#videoSeen;
    }
    const d = wrapDelta(pcr, this.#lastPcr, PCR_MODULUS);
    this.#lastPcr = pcr;
    const driving = !this.#videoSeen || this.#pcrDriving;
    if (d <= 0 || d > this.#maxStep) {
      if (driving) this.jumps++;
      return driving;
    }
    if (driving) {
      this.position += d;
      this.lastStep = d;
      return true;
    }
    this.#pcrSinceVideo += d;
    if (this.#pcrSinceVideo <= this.#videoStale) return false;
    // Video went quiet: PCR drives from here and counts the whole quiet stretch once.
    this.#pcrDriving = true;
    this.position += this.#pcrSinceVideo;
    this.lastStep = d;
    return true;
  }

  /** Wall clock at byte `cursor`. Drives only while no PTS or PCR has been seen in this generation. */
  wall(nowMs: number, cursor: number): boolean {
    const driving = !this.#videoSeen && !this.#pcrSeen;
    if (driving && this.#lastWallMs >= 0 && this.#lastWallCursor >= 0 && cursor > this.#lastWallCursor) {
      // Bytes arrived since the last tick; a long gap is capped (ticks may be sparse), a stall adds nothing.
      const d = Math.min(Math.round((nowMs - this.#lastWallMs) * TICKS_PER_MS), this.#maxStep);
      if (d > 0) {
        this.position += d;
        this.lastStep = d;
      }
    }
    this.#lastWallMs = nowMs;
    this.#lastWallCursor = cursor;
    return driving;
  }
}
