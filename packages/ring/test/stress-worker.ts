// Worker side of stress.test.ts (not a test file itself). One writer fills a small ring as
// fast as it can; readers of three kinds check every region they accept:
//   fast: copy + seqlock check, big chunks, no pauses (should keep up most of the time)
//   slow: "sends" packet by packet with sleeps in between, so the writer laps it mid-send
//   edge: always reads the oldest bytes, the very packets the writer overwrites next, so its
//         copies overlap the writer's copies (the race the reserve cursor exists for)
//   meta: reads the RAP record, generation info and segment index while they change
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type RingHandles, RingReader, RingWriter, type SegmentEntry } from '../src/index.js';
import {
  ContinuityChecker,
  fillPacket,
  fillTagged,
  PACKET,
  packetSeq,
  taggedValue,
  viewOf,
} from './ts-packets.js';

export type Role = 'writer' | 'fast' | 'slow' | 'edge' | 'meta';

export interface StressInput {
  readonly role: Role;
  readonly handles: RingHandles;
  /** Int32Array words: CTL_READY (workers ready), CTL_GO (start), CTL_STOP (writer finished). */
  readonly control: SharedArrayBuffer;
  readonly durationMs: number;
  /** Hard stop for readers, in ms after GO, whatever the writer does. */
  readonly deadlineMs: number;
  /** Slow readers: sleep this long (ms) after each packet they "send". */
  readonly sleepMs: number;
}

export interface StressResult {
  readonly role: Role;
  /** Writer: bytes written. Readers: bytes between their first and last cursor. */
  readonly spanBytes: number;
  readonly acceptedBytes: number;
  readonly acceptedRegions: number;
  /** Regions the seqlock check rejected after consuming them. */
  readonly lappedRegions: number;
  /** Of those, regions whose bytes really were broken: proof the check catches real tearing. */
  readonly tornCaught: number;
  /** Regions accepted although their bytes break continuity. Must stay 0. */
  readonly corruptAccepted: number;
  /** Times the reader found its cursor overwritten before reading and skipped forward. */
  readonly skipsBeforeRead: number;
  /** Meta reader: consistent records seen, and inconsistent ones (must stay 0). */
  readonly recordsChecked: number;
  readonly inconsistentRecords: number;
}

export const CTL_READY = 0;
export const CTL_GO = 1;
export const CTL_STOP = 2;

const WRITE_MAX_PACKETS = 32;
const RAP_EVERY_PACKETS = 50;
const SEGMENT_PACKETS = 200;
const SEGMENTS_PER_GENERATION = 20;
const PSI_PACKETS = 2;
const SLOW_CHUNK_PACKETS = 16;
const SAFETY_MARGIN_PACKETS = 16;
const CAUGHT_UP_SLEEP_MS = 0.05;
const EDGE_CHUNK_PACKETS = 64;

const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleep(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function emptyResult(role: Role): StressResult {
  return {
    role,
    spanBytes: 0,
    acceptedBytes: 0,
    acceptedRegions: 0,
    lappedRegions: 0,
    tornCaught: 0,
    corruptAccepted: 0,
    skipsBeforeRead: 0,
    recordsChecked: 0,
    inconsistentRecords: 0,
  };
}

/** Segment fields are all functions of seq, so a torn copy mixing two slots' contents shows. */
export function segmentFor(seq: number, start: number, end: number, generation: number): SegmentEntry {
  return {
    seq,
    start,
    end,
    durationUs: seq * 1000 + 7,
    discontinuity: seq % 5 === 0,
    discontinuitySequence: seq * 3,
    programDateTimeMs: start / PACKET,
    forcedCut: seq % 3 === 0,
    independent: seq % 2 === 0,
    generation,
    psi: new Uint8Array(0),
  };
}

function runWriter(input: StressInput, ctl: Int32Array): StressResult {
  const writer = new RingWriter(input.handles);
  const staging = new Uint8Array(WRITE_MAX_PACKETS * PACKET);
  const stagingView = viewOf(staging);
  const psi = new Uint8Array(PSI_PACKETS * PACKET);
  writer.setState('live');
  let seq = 0;
  let nextRap = 0;
  let segmentSeq = 0;
  let segmentStart = 0;
  let generation = 0;
  let random = 0x2545f491;
  const deadline = performance.now() + input.durationMs;
  while (performance.now() < deadline) {
    random = (random * 1_103_515_245 + 12_345) >>> 0;
    const count = 1 + (random % WRITE_MAX_PACKETS);
    for (let i = 0; i < count; i++) fillPacket(stagingView, i * PACKET, seq + i);
    const commit = writer.write(staging.subarray(0, count * PACKET));
    seq += count;
    if (seq >= nextRap) {
      const cursor = commit - PACKET;
      fillTagged(psi, cursor / PACKET);
      writer.markRandomAccess(cursor, psi);
      nextRap = seq + RAP_EVERY_PACKETS;
    }
    if (commit - segmentStart >= SEGMENT_PACKETS * PACKET) {
      const entry = segmentFor(segmentSeq, segmentStart, commit, generation);
      fillTagged(psi, segmentSeq);
      writer.publishSegment({ ...entry, psi });
      segmentSeq++;
      segmentStart = commit;
      // a new generation starts exactly where segment 20 * generation starts
      if (segmentSeq % SEGMENTS_PER_GENERATION === 0) generation = writer.bumpGeneration();
    }
  }
  Atomics.store(ctl, CTL_STOP, 1);
  return { ...emptyResult('writer'), spanBytes: writer.commitCursor };
}

function runBytesReader(input: StressInput, ctl: Int32Array, slow: boolean): StressResult {
  const reader = new RingReader(input.handles);
  const dst = new Uint8Array(reader.capacityBytes);
  const dstView = viewOf(dst);
  const checker = new ContinuityChecker();
  const margin = SAFETY_MARGIN_PACKETS * PACKET;
  const chunkMax = slow ? SLOW_CHUNK_PACKETS * PACKET : reader.capacityBytes / 2;
  const deadline = performance.now() + input.deadlineMs;
  const first = reader.commitCursor;
  let cursor = first;
  const r = { ...emptyResult(slow ? 'slow' : 'fast') } as {
    -readonly [K in keyof StressResult]: StressResult[K];
  };
  while (performance.now() < deadline) {
    const stopped = Atomics.load(ctl, CTL_STOP) === 1;
    const commit = reader.commitCursor;
    // fast readers drain what is left once the writer stops; slow ones would take seconds
    if (cursor === commit || (stopped && slow)) {
      if (stopped) break;
      // caught up: give the core back rather than spin against the writer (2-core machine)
      sleep(CAUGHT_UP_SLEEP_MS);
      continue;
    }
    if (!reader.intact(cursor)) {
      r.skipsBeforeRead++;
      cursor = reader.oldestSafe(margin);
      checker.reset();
      continue;
    }
    const to = Math.min(commit, cursor + chunkMax);
    let ok: boolean;
    if (slow) {
      // a slow socket: each packet goes out through the views, with a pause after it
      for (let at = cursor; at < to; at += PACKET) {
        const views = reader.regions(at, at + PACKET);
        dst.set(views.first, at - cursor);
        sleep(input.sleepMs);
      }
      ok = reader.intact(cursor);
    } else {
      ok = reader.copy(cursor, to, dst);
    }
    const valid = checker.check(dstView, 0, to - cursor, cursor / PACKET);
    if (ok) {
      r.acceptedRegions++;
      r.acceptedBytes += to - cursor;
      if (!valid) {
        r.corruptAccepted++;
        checker.reset();
      }
      cursor = to;
    } else {
      r.lappedRegions++;
      if (!valid) r.tornCaught++;
      checker.reset();
      cursor = reader.oldestSafe(margin);
    }
  }
  r.spanBytes = reader.commitCursor - first;
  return r;
}

function runEdgeReader(input: StressInput, ctl: Int32Array): StressResult {
  const reader = new RingReader(input.handles);
  const dst = new Uint8Array(EDGE_CHUNK_PACKETS * PACKET);
  const dstView = viewOf(dst);
  const checker = new ContinuityChecker();
  const deadline = performance.now() + input.deadlineMs;
  const r = { ...emptyResult('edge') } as { -readonly [K in keyof StressResult]: StressResult[K] };
  while (performance.now() < deadline && Atomics.load(ctl, CTL_STOP) === 0) {
    const from = reader.oldestSafe(0);
    const to = Math.min(reader.commitCursor, from + EDGE_CHUNK_PACKETS * PACKET);
    if (to <= from) continue;
    const ok = reader.copy(from, to, dst);
    checker.reset();
    const valid = checker.check(dstView, 0, to - from, from / PACKET);
    if (ok) {
      r.acceptedRegions++;
      r.acceptedBytes += to - from;
      if (!valid) r.corruptAccepted++;
    } else {
      r.lappedRegions++;
      if (!valid) r.tornCaught++;
    }
  }
  return r;
}

function runMetaReader(input: StressInput, ctl: Int32Array): StressResult {
  const reader = new RingReader(input.handles);
  const packet = new Uint8Array(PACKET);
  const packetView = viewOf(packet);
  const deadline = performance.now() + input.deadlineMs;
  let checked = 0;
  let inconsistent = 0;
  const expect = (condition: boolean): void => {
    checked++;
    if (!condition) inconsistent++;
  };
  while (performance.now() < deadline && Atomics.load(ctl, CTL_STOP) === 0) {
    const rap = reader.readRandomAccess();
    if (rap !== null) {
      expect(taggedValue(rap.psi) === rap.cursor / PACKET && rap.psi.length === PSI_PACKETS * PACKET);
      if (reader.copy(rap.cursor, rap.cursor + PACKET, packet)) {
        expect(packetSeq(packetView, 0) === rap.cursor / PACKET);
      }
    }
    const bounds = reader.segmentBounds();
    if (bounds !== null) {
      for (const seq of [bounds.firstAvailable, bounds.last]) {
        const entry = reader.readSegment(seq);
        if (entry === null) continue;
        const { psi, ...fields } = entry;
        const { psi: _, ...wanted } = segmentFor(
          seq,
          entry.start,
          entry.end,
          Math.floor(seq / SEGMENTS_PER_GENERATION),
        );
        expect(JSON.stringify(fields) === JSON.stringify(wanted) && taggedValue(psi) === seq);
        if (reader.copy(entry.start, entry.start + PACKET, packet)) {
          expect(packetSeq(packetView, 0) === entry.start / PACKET);
        }
      }
    }
    const info = reader.control.generationInfo();
    if (info !== null && info.generation > 0) {
      const opening = reader.readSegment(info.generation * SEGMENTS_PER_GENERATION);
      if (opening !== null)
        expect(opening.start === info.startCursor && opening.generation === info.generation);
    }
    sleep(0.05);
  }
  return { ...emptyResult('meta'), recordsChecked: checked, inconsistentRecords: inconsistent };
}

if (!isMainThread && parentPort !== null) {
  const input = workerData as StressInput;
  const ctl = new Int32Array(input.control);
  Atomics.add(ctl, CTL_READY, 1);
  Atomics.notify(ctl, CTL_READY);
  Atomics.wait(ctl, CTL_GO, 0, input.deadlineMs);
  let result: StressResult;
  if (input.role === 'writer') result = runWriter(input, ctl);
  else if (input.role === 'meta') result = runMetaReader(input, ctl);
  else if (input.role === 'edge') result = runEdgeReader(input, ctl);
  else result = runBytesReader(input, ctl, input.role === 'slow');
  parentPort.postMessage(result);
}
