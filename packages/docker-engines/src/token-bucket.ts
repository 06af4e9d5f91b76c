/**
 * A token bucket: `ratePerSec` tokens flow in continuously up to `burst`; every Docker API call takes one.
 * Over any window of T seconds at most `burst + ratePerSec * T` calls pass, and the long-run rate never
 * exceeds `ratePerSec`. Pure: the clock is passed in, so tests drive time by hand.
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  #tokens: number;
  #lastMs: number;

  constructor(opts: { ratePerSec: number; burst: number; nowMs: number }) {
    this.ratePerSec = opts.ratePerSec;
    this.burst = opts.burst;
    this.#tokens = opts.burst;
    this.#lastMs = opts.nowMs;
  }

  /** Takes one token if there is one. */
  tryTake(nowMs: number): boolean {
    this.#refill(nowMs);
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 when one is available now). */
  msUntilToken(nowMs: number): number {
    this.#refill(nowMs);
    if (this.#tokens >= 1) return 0;
    return Math.ceil(((1 - this.#tokens) * 1000) / this.ratePerSec);
  }

  /** Tokens available now (fractional). */
  available(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  #refill(nowMs: number): void {
    // A clock that steps backwards adds nothing (never a negative refill).
    const elapsed = Math.max(0, nowMs - this.#lastMs);
    this.#lastMs = Math.max(this.#lastMs, nowMs);
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSec) / 1000);
  }
}
