// Runs a TsDemuxer over pieces of input and collects everything it reported.
import { type TsDemuxEvent, TsDemuxer, type TsDemuxerOptions, type TsDemuxStats } from '../src/index.js';
import { concat } from './fixtures.js';

export interface Collected {
  output: Uint8Array;
  events: TsDemuxEvent[];
  stats: TsDemuxStats;
  /** Every result's offset matched the running output length. */
  offsetsConsistent: boolean;
}

/** Pushes `input` split at `cuts` (sorted offsets), then flushes. Copies views before the next call. */
export function demuxPieces(input: Uint8Array, cuts: number[], options?: TsDemuxerOptions): Collected {
  const d = new TsDemuxer(options);
  const out: Uint8Array[] = [];
  const events: TsDemuxEvent[] = [];
  let produced = 0;
  let offsetsConsistent = true;
  const take = (r: ReturnType<TsDemuxer['push']>): void => {
    if (r.offset !== produced) offsetsConsistent = false;
    for (const c of r.chunks) out.push(c.slice());
    produced += r.byteLength;
    events.push(...r.events);
  };
  let prev = 0;
  for (const cut of [...cuts, input.length]) {
    take(d.push(input.subarray(prev, cut)));
    prev = cut;
  }
  take(d.flush());
  return { output: concat(out), events, stats: { ...d.stats }, offsetsConsistent };
}
