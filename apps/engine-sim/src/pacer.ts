// One shared ticker drives every paced playback connection: each tick, each connection writes what its
// clock says is due in one batch. No timer per packet or per connection.

/** Something the pacer ticks. */
export interface Paced {
  tick(nowMs: number): void;
}

/** Default pacing granularity: 20 ms batches (about 15 packets at 1 Mbit/s). */
export const DEFAULT_TICK_MS = 20;

export class Pacer {
  readonly #members = new Set<Paced>();
  readonly #tickMs: number;
  #timer: NodeJS.Timeout | null = null;
  #ticking = false;

  constructor(tickMs = DEFAULT_TICK_MS) {
    this.#tickMs = tickMs;
  }

  add(p: Paced): void {
    this.#members.add(p);
    if (this.#timer === null) {
      this.#timer = setInterval(() => this.#tick(), this.#tickMs);
      this.#timer.unref();
    }
  }

  delete(p: Paced): void {
    this.#members.delete(p);
    if (this.#members.size === 0 && this.#timer !== null) {
      clearInterval(this.#timer);
      this.#timer = null;
    }
  }

  get size(): number {
    return this.#members.size;
  }

  #tick(): void {
    // Re-entrancy guard: a member may close (and leave the set) while being ticked.
    if (this.#ticking) return;
    this.#ticking = true;
    try {
      const now = performance.now();
      for (const p of this.#members) p.tick(now);
    } finally {
      this.#ticking = false;
    }
  }

  close(): void {
    this.#members.clear();
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }
}
