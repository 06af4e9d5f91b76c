/**
 * Stream bitrate measured from PCR (ISO/IEC 13818-1 §2.4.2.2): bytes between two PCRs over the PCR time
 * between them, over a window of one to five seconds of stream time. Independent of how fast the
 * upstream delivers (an unpaced or bursting engine still measures the stream's own rate).
 */
import { pcrDiff } from '@shardcast/mpegts';

const PCR_HZ = 27_000_000;
const WINDOW_PCR = 5 * PCR_HZ;
/** A PCR step larger than this (or negative) is a timebase break, not elapsed time. */
const MAX_STEP_PCR = 2 * PCR_HZ;

export class BitrateMeter {
  #anchorPcr = -1;
  #anchorCursor = 0;
  #lastPcr = -1;
  #elapsed = 0;
  #bps = 0;

  get bitsPerSecond(): number {
    return this.#bps;
  }

  /** Feeds a PCR seen at ring cursor `cursor`; returns the updated estimate (0 until measured). */
  pcr(pcr: number, cursor: number): number {
    if (this.#lastPcr >= 0) {
      const step = pcrDiff(pcr, this.#lastPcr);
      if (step <= 0 || step > MAX_STEP_PCR) {
        this.reset();
      } else {
        this.#elapsed += step;
      }
    }
    if (this.#anchorPcr < 0) {
      this.#anchorPcr = pcr;
      this.#anchorCursor = cursor;
      this.#elapsed = 0;
    } else if (this.#elapsed >= WINDOW_PCR / 5) {
      const bps = ((cursor - this.#anchorCursor) * 8 * PCR_HZ) / this.#elapsed;
      this.#bps = Math.round(bps);
      if (this.#elapsed >= WINDOW_PCR) {
        this.#anchorPcr = pcr;
        this.#anchorCursor = cursor;
        this.#elapsed = 0;
      }
    }
    this.#lastPcr = pcr;
    return this.#bps;
  }

  /** Upstream change: the next PCR starts a new measurement (the last estimate is kept meanwhile). */
  reset(): void {
    this.#anchorPcr = -1;
    this.#lastPcr = -1;
    this.#elapsed = 0;
  }
}
