// The HLS segment index: `segmentSlots` fixed slots over the byte ring, slot = seq % slots.
// Each slot has its own seqlock; after the slot is complete the writer publishes LAST_SEQ and
// bumps the index version, so a reader that saw a seq in the bounds finds it whole, and a
// playlist cache keyed by the version notices every publish.
import { isIntact } from './lap.js';
import {
  NO_SEQ,
  S_DISCONTINUITY_SEQ,
  S_DURATION_US,
  S_END,
  S_FLAGS,
  S_GENERATION,
  S_PROGRAM_DATE_TIME_MS,
  S_PSI,
  S_PSI_COUNT,
  S_SEQ,
  S_START,
  S_VERSION,
  SEGMENT_DISCONTINUITY,
  SEGMENT_FORCED_CUT,
  SEGMENT_INDEPENDENT,
  SLOT_BYTES,
  X_FIRST_SEQ,
  X_LAST_SEQ,
  X_SLOTS,
  X_VERSION,
} from './layout.js';
import type { RingMemory } from './memory.js';
import { loadPsi, storePsi } from './psi.js';
import { seqlockBegin, seqlockEnd, seqlockRead } from './sync.js';
import type { SegmentBounds, SegmentEntry } from './types.js';

function slotBase(memory: RingMemory, seq: number): number {
  return X_SLOTS + (seq % memory.segmentSlots) * SLOT_BYTES;
}

export function lastSeq(memory: RingMemory): number {
  return Number(Atomics.load(memory.x64, X_LAST_SEQ / 8));
}

export function firstSeq(memory: RingMemory): number {
  return Number(Atomics.load(memory.x64, X_FIRST_SEQ / 8));
}

export function indexVersion(memory: RingMemory): number {
  return Atomics.load(memory.x32, X_VERSION / 4) >>> 0;
}

/** Writer side; the entry is already validated (seq = last + 1, cursors committed). */
export function storeSegment(memory: RingMemory, entry: SegmentEntry): void {
  const { x32, xf64, x8 } = memory;
  const base = slotBase(memory, entry.seq);
  seqlockBegin(x32, (base + S_VERSION) / 4);
  x32[(base + S_FLAGS) / 4] =
    (entry.discontinuity ? SEGMENT_DISCONTINUITY : 0) |
    (entry.forcedCut ? SEGMENT_FORCED_CUT : 0) |
    (entry.independent ? SEGMENT_INDEPENDENT : 0);
  x32[(base + S_GENERATION) / 4] = entry.generation;
  xf64[(base + S_SEQ) / 8] = entry.seq;
  xf64[(base + S_START) / 8] = entry.start;
  xf64[(base + S_END) / 8] = entry.end;
  xf64[(base + S_DURATION_US) / 8] = entry.durationUs;
  xf64[(base + S_DISCONTINUITY_SEQ) / 8] = entry.discontinuitySequence;
  xf64[(base + S_PROGRAM_DATE_TIME_MS) / 8] = entry.programDateTimeMs;
  storePsi(x8, base + S_PSI, x32, (base + S_PSI_COUNT) / 4, entry.psi);
  seqlockEnd(x32, (base + S_VERSION) / 4);
  const seq = BigInt(entry.seq);
  if (firstSeq(memory) === NO_SEQ) Atomics.store(memory.x64, X_FIRST_SEQ / 8, seq);
  Atomics.store(memory.x64, X_LAST_SEQ / 8, seq);
  Atomics.add(x32, X_VERSION / 4, 1);
}

/** A consistent copy of slot `seq % slots`, whatever seq it holds now; null if never written or stuck. */
export function loadSlot(memory: RingMemory, seq: number): SegmentEntry | null {
  const { x32, xf64, x8 } = memory;
  const base = slotBase(memory, seq);
  const entry = seqlockRead(x32, (base + S_VERSION) / 4, (): SegmentEntry => {
    const flags = x32[(base + S_FLAGS) / 4]!;
    return {
      seq: xf64[(base + S_SEQ) / 8]!,
      start: xf64[(base + S_START) / 8]!,
      end: xf64[(base + S_END) / 8]!,
      durationUs: xf64[(base + S_DURATION_US) / 8]!,
      discontinuity: (flags & SEGMENT_DISCONTINUITY) !== 0,
      discontinuitySequence: xf64[(base + S_DISCONTINUITY_SEQ) / 8]!,
      programDateTimeMs: xf64[(base + S_PROGRAM_DATE_TIME_MS) / 8]!,
      forcedCut: (flags & SEGMENT_FORCED_CUT) !== 0,
      independent: (flags & SEGMENT_INDEPENDENT) !== 0,
      generation: x32[(base + S_GENERATION) / 4]! >>> 0,
      psi: loadPsi(x8, base + S_PSI, x32, (base + S_PSI_COUNT) / 4),
    };
  });
  // a never-written slot reads as all zeros: seq 0 with an empty range
  return entry !== undefined && entry.end > entry.start ? entry : null;
}

/** Segment `seq` if it is published, still in its slot and its bytes are not overwritten. */
export function readSegment(memory: RingMemory, seq: number): SegmentEntry | null {
  if (!Number.isSafeInteger(seq) || seq < 0) return null;
  const last = lastSeq(memory);
  if (last === NO_SEQ || seq > last || seq < firstSeq(memory)) return null;
  const entry = loadSlot(memory, seq);
  if (entry === null || entry.seq !== seq || !isIntact(memory, entry.start)) return null;
  return entry;
}

/** Published range; null before the first publish. Starts are monotonic, so scanning up finds the oldest readable. */
export function segmentBounds(memory: RingMemory): SegmentBounds | null {
  const last = lastSeq(memory);
  if (last === NO_SEQ) return null;
  const oldest = Math.max(firstSeq(memory), last - memory.segmentSlots + 1);
  for (let seq = oldest; seq <= last; seq++) {
    if (readSegment(memory, seq) !== null) return { firstAvailable: seq, last };
  }
  return { firstAvailable: last + 1, last };
}
