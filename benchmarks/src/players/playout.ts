/**
 * A player's buffer in seconds of media, drained at real time once playback starts. Playback starts when
 * the buffer holds `prebufferS`; if it runs dry the player stalls (counted) and rebuffers to `prebufferS`
 * before it plays again, as real players do. Pure: the caller passes the clock.
 *
 *   state:  prebuffer ──(≥ prebuffer)──▶ playing ──(buffer empty: stall++)──▶ rebuffering ──(≥ prebuffer)──▶ playing
 */

export type PlayoutState = 'prebuffer' | 'playing' | 'rebuffering';

export class Playout {
  readonly prebufferS: number;
  state: PlayoutState = 'prebuffer';
  /** Media seconds received and not yet played. */
  bufferedS = 0;
  stalls = 0;
  /** Time spent rebuffering after stalls, ms (the initial prebuffer is not a stall). */
  stalledMs = 0;
  /** Time spent playing, ms. */
  playedMs = 0;
  /** When playback first started (ms clock), or -1. */
  startedAtMs = -1;
  #lastMs: number;
  #stallStartMs = 0;

  constructor(prebufferS: number, nowMs: number) {
    this.prebufferS = prebufferS;
    this.#lastMs = nowMs;
  }

  /** Media arrived. */
  add(seconds: number, nowMs: number): void {
    this.advance(nowMs);
    this.bufferedS += seconds;
    if (this.state !== 'playing' && this.bufferedS >= this.prebufferS) {
      if (this.state === 'rebuffering') this.stalledMs += nowMs - this.#stallStartMs;
      else this.startedAtMs = nowMs;
      this.state = 'playing';
    }
  }

  /** Plays the buffer up to `nowMs`; a buffer that ran dry on the way is a stall at that instant. */
  advance(nowMs: number): void {
    const dtMs = nowMs - this.#lastMs;
    this.#lastMs = nowMs;
    if (this.state !== 'playing' || dtMs <= 0) return;
    const dtS = dtMs / 1000;
    if (this.bufferedS > dtS) {
      this.bufferedS -= dtS;
      this.playedMs += dtMs;
      return;
    }
    const playedMs = this.bufferedS * 1000;
    this.playedMs += playedMs;
    this.bufferedS = 0;
    this.stalls++;
    this.state = 'rebuffering';
    this.#stallStartMs = nowMs - (dtMs - playedMs);
  }

  /** Closes the books at the end of the run (an ongoing stall counts up to now). */
  finish(nowMs: number): void {
    this.advance(nowMs);
    if (this.state === 'rebuffering') {
      this.stalledMs += nowMs - this.#stallStartMs;
      this.#stallStartMs = nowMs;
    }
  }
}
