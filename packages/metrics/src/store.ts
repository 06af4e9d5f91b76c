// Per-operation storage on main: 15 minutes of per-second sparse histograms, per-minute dense blocks
// over the same seconds, and the cumulative histograms since start.
//
//   seconds ring (900 slots, slot = sec % 900)    blocks ring (16 slots, slot = minute % 16)
//   [ s-899 ... s-1  s ]                          [ m-15 ... m ]  each = sum of its seconds so far
//
// A window [a, b] is the sum of whole-minute blocks inside it (only when the block holds no second
// after b) plus the single seconds at its edges: ~15 dense adds and <= 59 sparse adds for 900 s.
// Both rings hold exactly the same samples: a second refused by the ring (too late) is refused by
// the block too, and a block evicted or reused for another minute makes the query fall back to seconds.
import { Dense } from './dense.js';
import { mergeSparse, type Sparse } from './sparse.js';
import type { SeriesSnapshot } from './types.js';
import { RETENTION_SECONDS } from './window.js';

const SECONDS_PER_MINUTE = 60;
// 900 s touch at most 16 distinct minutes.
const BLOCK_SLOTS = Math.ceil(RETENTION_SECONDS / SECONDS_PER_MINUTE) + 1;

interface SecondSlot {
  sec: number;
  ok: Sparse | undefined;
  failed: number;
}

interface MinuteBlock {
  minute: number;
  /** Latest second added: the block may stand for [minute start, maxSec] only. */
  maxSec: number;
  ok: Dense | undefined;
  failed: number;
}

function slotOf(n: number, size: number): number {
  return ((n % size) + size) % size;
}

export class OpStore {
  readonly #seconds: (SecondSlot | undefined)[] = new Array(RETENTION_SECONDS).fill(undefined);
  readonly #blocks: (MinuteBlock | undefined)[] = new Array(BLOCK_SLOTS).fill(undefined);
  #newestSec = Number.NEGATIVE_INFINITY;
  /** Successes and failures since start (what Prometheus exports). */
  readonly allOk = new Dense();
  readonly allFail = new Dense();

  addCumulative(s: SeriesSnapshot): void {
    (s.ok ? this.allOk : this.allFail).addSparse(s);
  }

  /** Adds a series to second `sec`; false when `sec` is already past retention (only cumulative keeps it). */
  addWindow(sec: number, s: SeriesSnapshot): boolean {
    if (sec <= this.#newestSec - RETENTION_SECONDS) return false;
    const k = slotOf(sec, RETENTION_SECONDS);
    let slot = this.#seconds[k];
    if (slot === undefined || slot.sec < sec) {
      slot = { sec, ok: undefined, failed: 0 };
      this.#seconds[k] = slot;
    } else if (slot.sec > sec) {
      return false;
    }
    if (sec > this.#newestSec) this.#newestSec = sec;
    // Failed durations are not part of windowed latency (see statsOf): only their number is kept.
    if (s.ok) slot.ok = slot.ok === undefined ? s : mergeSparse(slot.ok, s);
    else slot.failed += s.count;
    this.#addToBlock(sec, s);
    return true;
  }

  /** Adds the successes of seconds [a, b] into `acc` and returns the failures over the same seconds. */
  collect(a: number, b: number, acc: Dense): number {
    // Seconds before the retention horizon may already be evicted from the ring; never count them
    // through a block either, so both paths always agree.
    let s = Math.max(a, this.#newestSec - RETENTION_SECONDS + 1);
    let failed = 0;
    while (s <= b) {
      if (s % SECONDS_PER_MINUTE === 0) {
        const minute = s / SECONDS_PER_MINUTE;
        const block = this.#blocks[slotOf(minute, BLOCK_SLOTS)];
        if (block !== undefined && block.minute === minute && block.maxSec <= b) {
          if (block.ok !== undefined) acc.addDense(block.ok);
          failed += block.failed;
          s += SECONDS_PER_MINUTE;
          continue;
        }
      }
      const slot = this.#seconds[slotOf(s, RETENTION_SECONDS)];
      if (slot !== undefined && slot.sec === s) {
        if (slot.ok !== undefined) acc.addSparse(slot.ok);
        failed += slot.failed;
      }
      s++;
    }
    return failed;
  }

  /** Forgets every window (after the wall clock stepped back); cumulative histograms stay. */
  clearWindows(): void {
    this.#seconds.fill(undefined);
    this.#blocks.fill(undefined);
    this.#newestSec = Number.NEGATIVE_INFINITY;
  }

  /** Bytes held by typed arrays of the windows and cumulative histograms (for a memory gauge). */
  retainedBytes(): number {
    let bytes = this.allOk.counts.byteLength + this.allFail.counts.byteLength;
    for (const slot of this.#seconds) {
      if (slot?.ok !== undefined) bytes += slot.ok.indices.byteLength + slot.ok.counts.byteLength;
    }
    for (const block of this.#blocks) if (block?.ok !== undefined) bytes += block.ok.counts.byteLength;
    return bytes;
  }

  #addToBlock(sec: number, s: SeriesSnapshot): void {
    const minute = Math.floor(sec / SECONDS_PER_MINUTE);
    const k = slotOf(minute, BLOCK_SLOTS);
    let block = this.#blocks[k];
    if (block === undefined || block.minute < minute) {
      // Reuse the evicted block's counts array: no allocation per minute in steady state.
      block?.ok?.reset();
      block = { minute, maxSec: sec, ok: block?.ok, failed: 0 };
      this.#blocks[k] = block;
    } else if (block.minute > minute) {
      return;
    }
    if (sec > block.maxSec) block.maxSec = sec;
    if (s.ok) {
      block.ok ??= new Dense();
      block.ok.addSparse(s);
    } else {
      block.failed += s.count;
    }
  }
}
