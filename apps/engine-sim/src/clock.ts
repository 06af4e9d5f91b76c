// The global live clock: every session of the simulated broadcast is "live" at the same content position,
// like viewers of one real channel. Content time is seconds of the endless looped stream.
import { performance } from 'node:perf_hooks';
import type { LoopPlan } from './loop-plan.js';

/** Content already "broadcast" when the simulator starts, so sessions can begin behind live (burst). */
export const LIVE_HISTORY_S = 600;

export class LiveClock {
  readonly #epochMs: number;
  readonly #plan: LoopPlan;

  constructor(plan: LoopPlan, epochMs = performance.now()) {
    this.#plan = plan;
    this.#epochMs = epochMs;
  }

  /** Live content position now, seconds. */
  now(nowMs = performance.now()): number {
    return LIVE_HISTORY_S + (nowMs - this.#epochMs) / 1000;
  }

  /** Content time (s) at which global packet `g` is due. */
  packetTime(g: number): number {
    const n = Math.floor(g / this.#plan.packetCount);
    return n * this.#plan.durationS + this.#plan.packetTimes[g - n * this.#plan.packetCount]!;
  }

  /** Index of the first global packet whose time is after `t` (packets due by `t` are [.., result)). */
  packetAfter(t: number): number {
    const plan = this.#plan;
    const n = Math.floor(t / plan.durationS);
    const local = t - n * plan.durationS;
    const times = plan.packetTimes;
    let lo = 0;
    let hi = plan.packetCount;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! <= local) lo = mid + 1;
      else hi = mid;
    }
    return n * plan.packetCount + lo;
  }
}
