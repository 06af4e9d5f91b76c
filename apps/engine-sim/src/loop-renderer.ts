// Renders loop n of the plan: the fixture bytes with timestamps advanced by n loop periods and continuity
// counters advanced by n steps per PID. Every session at loop n gets the very same bytes, so rendered
// loops are shared through a small LRU cache and written to sockets as zero-copy views.
import { encodePcr, encodeTimestamp, TS_PACKET_SIZE } from '@shardcast/mpegts';
import type { LoopPlan } from './loop-plan.js';

const CC_MASK = 0x0f;
const PCR_PER_90K = 300;

/** Rendered loops kept in memory (about 1 MB each): live sessions sit within a loop or two of each other. */
export const DEFAULT_LOOP_CACHE = 8;

export class LoopRenderer {
  readonly plan: LoopPlan;
  readonly #capacity: number;
  readonly #cache = new Map<number, Buffer>();
  /** Loops rendered so far (a cache miss each). */
  renders = 0;

  constructor(plan: LoopPlan, capacity = DEFAULT_LOOP_CACHE) {
    this.plan = plan;
    this.#capacity = capacity;
  }

  /** Bytes of loop `n` (n >= 0). Do not modify the returned buffer. */
  loop(n: number): Buffer {
    const hit = this.#cache.get(n);
    if (hit) {
      // Map keeps insertion order: re-inserting marks it most recently used.
      this.#cache.delete(n);
      this.#cache.set(n, hit);
      return hit;
    }
    const out = this.#render(n);
    this.#cache.set(n, out);
    if (this.#cache.size > this.#capacity) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
    return out;
  }

  #render(n: number): Buffer {
    this.renders++;
    const plan = this.plan;
    const out = Buffer.allocUnsafeSlow(plan.bytes.length);
    out.set(plan.bytes);
    const { ccBase, ccStep } = plan;
    for (let i = 0, off = 3; i < plan.packetCount; i++, off += TS_PACKET_SIZE) {
      out[off] = (out[off]! & 0xf0) | ((ccBase[i]! + n * ccStep[i]!) & CC_MASK);
    }
    const shift90k = n * plan.duration90k;
    const pcr = plan.pcr;
    for (let k = 0; k < pcr.at.length; k++)
      encodePcr(out, pcr.at[k]!, pcr.value[k]! + shift90k * PCR_PER_90K);
    const pes = plan.pes;
    for (let k = 0; k < pes.at.length; k++)
      encodeTimestamp(out, pes.at[k]!, pes.prefix[k]!, pes.value[k]! + shift90k);
    return out;
  }
}
