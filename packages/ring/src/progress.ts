// Reader progress slots (see layout.ts H_READERS): each reader thread reports how far its slowest reading
// client has got; the writer asks for the least advanced fresh report. Advisory only: nobody waits on it.
import { H_READERS, READER_SLOT_BYTES, READER_SLOTS } from './layout.js';
import type { RingMemory } from './memory.js';

export function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= READER_SLOTS) {
    throw new RangeError(`Reader slot must be an integer from 0 to ${READER_SLOTS - 1}, got ${slot}.`);
  }
}

export function storeProgress(m: RingMemory, slot: number, cursor: number, nowMs: number): void {
  checkSlot(slot);
  const at = (H_READERS + slot * READER_SLOT_BYTES) / 8;
  m.hf64[at] = cursor;
  m.hf64[at + 1] = nowMs;
}

/** Least advanced cursor reported within `freshMs` of `nowMs`, or -1 when no reader reported recently. */
export function slowestProgress(m: RingMemory, nowMs: number, freshMs: number): number {
  let best = -1;
  for (let slot = 0; slot < READER_SLOTS; slot++) {
    const at = (H_READERS + slot * READER_SLOT_BYTES) / 8;
    const atMs = m.hf64[at + 1]!;
    if (atMs > 0 && nowMs - atMs <= freshMs) {
      const cursor = m.hf64[at]!;
      if (best < 0 || cursor < best) best = cursor;
    }
  }
  return best;
}
