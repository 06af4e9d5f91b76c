/**
 * The piscina job: probes one stream's ring from shared memory on a pool thread. It opens its own
 * RingReader on the handles (the SharedArrayBuffers are shared, not copied, by postMessage), copies a
 * sample that starts at a keyframe (the newest complete HLS segment, else the newest random-access point)
 * into a thread-local buffer, checks the seqlock, and parses it. It never writes to the ring, never
 * waits on the writer, and never throws for a stream's sake (outcomes are data).
 */
import { type MediaInfo, probeTs } from '@shardcast/media-probe';
import { type RingHandles, RingReader } from '@shardcast/ring';
import { keepHeapBounded } from '../memory/heap-keeper.js';
import { ringReleased } from '../memory/reclaim.js';

/** A probe job's input: the ring's shared memory (never a copy of its bytes). */
export interface ProbeTask {
  readonly ring: RingHandles;
  /** Most bytes to copy out of the ring for one probe. */
  readonly maxBytes: number;
}

/** A probe job's answer (errors as data: a job never throws for a stream's sake). */
export type ProbeOutcome =
  | { readonly ok: true; readonly media: MediaInfo; readonly generation: number; readonly parseMs: number }
  | { readonly ok: false; readonly reason: 'no-data' | 'torn' | 'no-program'; readonly generation: number };

// Keep this much room before the writer's overwrite point, so the copy is not lapped while it runs.
const LAP_MARGIN_BYTES = 1024 * 1024;
const MIN_SAMPLE_BYTES = 188 * 16;

keepHeapBounded();

/** Room for the PAT/PMT packets in front of the sample (a few packets; a PMT section is at most 1 KiB). */
const PSI_ROOM_BYTES = 64 * 1024;

// One sample buffer per pool thread (jobs on a thread run one at a time).
let scratch = new Uint8Array(0);

/**
 * The thread's sample buffer for `total` bytes. The first call allocates it at its largest (`maxBytes` plus
 * room for the PSI), so it is allocated once: grown to each new largest sample instead, every growth left
 * the previous buffer as a hole glibc could not reuse for the next, larger one, and the probe thread's
 * malloc arena grew by about a megabyte a minute under steady load.
 */
export function sampleBuffer(total: number, maxBytes: number): Uint8Array {
  if (scratch.length < total) scratch = new Uint8Array(Math.max(total, maxBytes + PSI_ROOM_BYTES));
  return scratch;
}

interface Sample {
  readonly psi: Uint8Array;
  readonly start: number;
}

/**
 * Where to start: the newest complete segment gives seconds of media from a keyframe; a fresh stream (or
 * one whose upstream just changed) has only its newest random-access point of the current generation.
 */
function pickStart(reader: RingReader, floor: number, generation: number): Sample | null {
  const bounds = reader.segmentBounds();
  const seg =
    bounds !== null && bounds.last >= bounds.firstAvailable ? reader.readSegment(bounds.last) : null;
  if (seg !== null && seg.start >= floor && seg.generation === generation)
    return { psi: seg.psi, start: seg.start };
  const rap = reader.readRandomAccess();
  if (rap !== null && rap.cursor >= floor) return { psi: rap.psi, start: rap.cursor };
  return seg !== null && seg.start >= floor ? { psi: seg.psi, start: seg.start } : null;
}

export default function probeJob(task: ProbeTask): ProbeOutcome {
  // This thread drops its handles when the job returns: a closed stream's ring must not wait for this
  // (mostly idle) thread's next natural collection.
  ringReleased();
  const reader = new RingReader(task.ring);
  const generation = reader.control.generation;
  const commit = reader.commitCursor;
  const sample = pickStart(reader, reader.oldestSafe(LAP_MARGIN_BYTES), generation);
  if (sample === null || commit - sample.start < MIN_SAMPLE_BYTES)
    return { ok: false, reason: 'no-data', generation };
  const length = Math.min(commit - sample.start, task.maxBytes);
  const total = sample.psi.length + length;
  const scratch = sampleBuffer(total, task.maxBytes);
  // PAT/PMT first, so the parser knows the PIDs from the first packet on.
  scratch.set(sample.psi, 0);
  if (!reader.copy(sample.start, sample.start + length, scratch, sample.psi.length)) {
    return { ok: false, reason: 'torn', generation };
  }
  const t0 = performance.now();
  const media = probeTs(scratch, total);
  if (media === null) return { ok: false, reason: 'no-program', generation };
  return { ok: true, media, generation, parseMs: performance.now() - t0 };
}
