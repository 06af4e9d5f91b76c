// What the ingest lets into the ring, and what it counts as media: packets of PIDs the program does not
// list and packet-shaped garbage stay out, every cursor the ingest publishes (keyframes, segments) still
// points at the right packet, and only the program's elementary streams count as media progress.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_FIXTURE } from '@shardcast/engine-sim';
import { readPid, readPusi, SYNC_BYTE, TS_PACKET_SIZE } from '@shardcast/mpegts';
import { createRing, RingReader, RingWriter } from '@shardcast/ring';
import type { Ingest } from '../src/shard/owner/ingest.js';
import { testIngest } from './support/ingest-rig.js';

const fixture = readFileSync(DEFAULT_FIXTURE);
const FIXTURE_PIDS = new Set([0x0000, 0x0011, 0x0100, 0x0101, 0x1000, 0x1fff]);
const VIDEO_PID = 0x0100;
const STRAY_PID = 0x0abc;

function setup(): { ingest: Ingest; reader: RingReader } {
  const ring = createRing({ capacityPackets: 32_768 });
  const ingest = testIngest(new RingWriter(ring));
  return { ingest, reader: new RingReader(ring) };
}

/** `count` valid packets of `pid` (payload only, counters running). */
function packetsOf(pid: number, count: number): Uint8Array {
  const out = new Uint8Array(count * TS_PACKET_SIZE).fill(0xff);
  for (let i = 0; i < count; i++) {
    const at = i * TS_PACKET_SIZE;
    out[at] = SYNC_BYTE;
    out[at + 1] = (pid >> 8) & 0x1f;
    out[at + 2] = pid & 0xff;
    out[at + 3] = 0x10 | (i & 0x0f);
  }
  return out;
}

/** The fixture with a packet of an unlisted PID after every fifth packet. */
function withStrays(): Uint8Array {
  const n = fixture.length / TS_PACKET_SIZE;
  const stray = packetsOf(STRAY_PID, 1);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(fixture.subarray(i * TS_PACKET_SIZE, (i + 1) * TS_PACKET_SIZE));
    if (i % 5 === 4) parts.push(stray);
  }
  return Buffer.concat(parts);
}

function feed(ingest: Ingest, bytes: Uint8Array, nowMs: number, chunk = 1000): boolean {
  let media = false;
  for (let at = 0; at < bytes.length; at += chunk) {
    if (ingest.push(bytes.subarray(at, Math.min(bytes.length, at + chunk)), nowMs)) media = true;
  }
  return media;
}

test('only the program reaches the ring, and keyframe and segment cursors stay on their packets', () => {
  const { ingest, reader } = setup();
  // Garbage between two passes: an HTML-ish run, three packet-shaped packets of a stray PID (enough for
  // the demuxer to lock on them), more text.
  const garbage = Buffer.concat([
    Buffer.alloc(5000, '<'),
    packetsOf(STRAY_PID + 1, 3),
    Buffer.alloc(3001, 'x'),
  ]);
  feed(ingest, withStrays(), 1_000);
  feed(ingest, garbage, 2_000);
  feed(ingest, withStrays(), 3_000);
  const commit = reader.commitCursor;
  assert.equal(commit, 2 * fixture.length, 'exactly the program packets of both passes');
  const ring = new Uint8Array(commit);
  assert.ok(reader.copy(0, commit, ring));
  for (let at = 0; at < commit; at += TS_PACKET_SIZE) {
    assert.equal(ring[at], SYNC_BYTE, `sync at ${at}`);
    assert.ok(FIXTURE_PIDS.has(readPid(ring, at)), `PID ${readPid(ring, at)} at ${at}`);
  }
  assert.ok(ingest.stats.droppedPackets >= 2 * Math.floor(fixture.length / TS_PACKET_SIZE / 5) + 3);
  const isKeyframeStart = (cursor: number): boolean =>
    readPid(ring, cursor) === VIDEO_PID && readPusi(ring, cursor);
  const rap = reader.readRandomAccess();
  assert.ok(rap && isKeyframeStart(rap.cursor), `random access point at ${rap?.cursor}`);
  const bounds = reader.segmentBounds();
  assert.ok(bounds && bounds.last > bounds.firstAvailable, 'segments were cut');
  let checked = 0;
  for (let seq = bounds.firstAvailable; seq <= bounds.last; seq++) {
    const seg = reader.readSegment(seq)!;
    // A forced cut (no keyframe within the hard maximum) is the one segment allowed to start elsewhere.
    if (seg.forcedCut) continue;
    assert.ok(isKeyframeStart(seg.start), `segment ${seq} starts on a keyframe (cursor ${seg.start})`);
    checked++;
  }
  assert.ok(checked >= 4, `${checked} segments checked`);
});

test('media progress: the program, not bytes', () => {
  const { ingest } = setup();
  assert.equal(feed(ingest, packetsOf(STRAY_PID, 50), 1_000), false, 'a stray PID before any PSI');
  assert.equal(feed(ingest, fixture, 2_000), true, 'the program');
  assert.equal(ingest.lastMediaMs, 2_000);
  assert.equal(feed(ingest, packetsOf(0x1fff, 500), 3_000), false, 'null packets');
  assert.equal(feed(ingest, packetsOf(STRAY_PID, 500), 4_000), false, 'one PID the PMT does not list');
  assert.equal(feed(ingest, Buffer.alloc(100_000, '<'), 5_000), false, 'an HTML page');
  assert.equal(ingest.lastMediaMs, 2_000);
  assert.equal(feed(ingest, fixture, 6_000), true, 'the program again');
});

/** A packet's adaptation field flags (byte 5), or -1 without a non-empty adaptation field. */
function fieldFlags(b: Uint8Array, at: number): number {
  return (b[at + 3]! & 0x20) !== 0 && b[at + 4]! > 0 ? b[at + 5]! : -1;
}

/**
 * Feeds the fixture, starts a new timeline, feeds `next`; returns the ring and where the new timeline
 * starts in it, after checking the rule: no flag in the first timeline; in the new one, per PID, the first
 * packet carries discontinuity_indicator if it has an adaptation field, else the first packet with a PCR.
 */
function flaggedAfterSwitch(next: Uint8Array): {
  ring: Uint8Array;
  from: number;
  flagged: Map<number, number>;
} {
  const { ingest, reader } = setup();
  // Copies: the ingest flags packets in the buffer it is given.
  feed(ingest, Buffer.from(fixture), 1_000);
  const from = reader.commitCursor;
  ingest.newGeneration();
  feed(ingest, Buffer.from(next), 2_000);
  const commit = reader.commitCursor;
  const ring = new Uint8Array(commit);
  assert.ok(reader.copy(0, commit, ring));
  for (let at = 0; at < from; at += TS_PACKET_SIZE) {
    const f = fieldFlags(ring, at);
    assert.ok(f < 0 || (f & 0x80) === 0, `no flag in the first timeline (${at})`);
  }
  const state = new Map<number, 'wait' | 'done'>();
  const flagged = new Map<number, number>();
  for (let at = from; at < commit; at += TS_PACKET_SIZE) {
    const pid = readPid(ring, at);
    const f = fieldFlags(ring, at);
    let expected = false;
    if (pid !== 0x1fff && state.get(pid) !== 'done') {
      const first = !state.has(pid);
      expected = f >= 0 && (first || (f & 0x10) !== 0);
      state.set(pid, expected ? 'done' : 'wait');
    }
    assert.equal(f >= 0 && (f & 0x80) !== 0, expected, `PID ${pid} at ${at}`);
    if (expected) flagged.set(pid, at);
  }
  return { ring, from, flagged };
}

test('a new timeline after an old one flags the first packet of each PID that has an adaptation field', () => {
  const { flagged } = flaggedAfterSwitch(fixture);
  // The fixture's PCR travels on its video PID: a player learns there that the time base restarts.
  assert.ok(flagged.has(VIDEO_PID), `flagged PIDs: ${[...flagged.keys()].join(', ')}`);
});

test('a new timeline that starts mid-GOP flags the PCR PID at its first PCR', () => {
  // Start the second upstream on a video packet without an adaptation field, before its PAT/PMT.
  const n = fixture.length / TS_PACKET_SIZE;
  let k = -1;
  for (let i = n >> 1; i < n && k < 0; i++) {
    if (readPid(fixture, i * TS_PACKET_SIZE) === VIDEO_PID && fieldFlags(fixture, i * TS_PACKET_SIZE) < 0)
      k = i;
  }
  assert.ok(k > 0, 'the fixture has plain video packets');
  const { ring, from, flagged } = flaggedAfterSwitch(
    Buffer.concat([fixture.subarray(k * TS_PACKET_SIZE), fixture]),
  );
  const at = flagged.get(VIDEO_PID);
  assert.ok(at !== undefined, 'the video (PCR) PID is flagged');
  assert.ok((fieldFlags(ring, at) & 0x10) !== 0, 'on a packet that carries a PCR');
  let firstVideo = from;
  while (readPid(ring, firstVideo) !== VIDEO_PID) firstVideo += TS_PACKET_SIZE;
  assert.ok(at > firstVideo, `after the timeline's first video packet (${firstVideo}), which had no field`);
});
