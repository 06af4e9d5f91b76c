// Regression: an engine failover right after a keyframe left the old generation's open segment
// with a few frames (EXTINF 0.040, 1.5 kB, no audio yet). The segmenter listed it, and hls.js in Chromium
// failed the whole media source on it (mediaSourceRequiresReset, fatal) instead of playing across the
// discontinuity. A tail under one second is now dropped; the discontinuity flag moves to the next segment.
// Likewise a tail that ended in the torn frame the engine was sending when it died: the tail now ends where
// that frame's PES starts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Segmenter } from '../src/index.js';
import { Feeder, gopFrames, PACKET, PTS_HZ } from './sim.js';

const FPS = 25;

describe('segmenter: the tail of a generation at a discontinuity', () => {
  it('drops a tail shorter than one second and flags the next segment', () => {
    const seg = new Segmenter();
    const f = new Feeder(seg);
    // Segment 0 (0-4 s) done; segment 1 opens at the keyframe at 4 s and gets 3 frames before the change.
    f.frames(gopFrames(4 + 3 / FPS, FPS, 2));
    assert.equal(f.segments.length, 1);
    f.discontinuity(1);
    assert.equal(f.segments.length, 1, 'the 0.12 s tail is not a segment');
    assert.equal(seg.stats.dropped, 1);
    f.frames(gopFrames(9, FPS, 2, 77 * PTS_HZ));
    const next = f.segments[1]!;
    assert.equal(next.seq, 1, 'no sequence number is lost');
    assert.equal(next.discontinuity, true);
    assert.equal(next.discontinuitySequence, 1);
    assert.equal(next.generation, 1);
  });

  it('keeps a tail of a second or more', () => {
    const f = new Feeder(new Segmenter());
    f.frames(gopFrames(5.2, FPS, 2));
    f.discontinuity(1);
    assert.equal(f.segments.length, 2);
    // 4 s up to the start of the last frame (5.16 s), which the tail leaves out (see below).
    assert.equal(f.segments[1]!.durationUs, 1_160_000);
  });

  it('ends the tail where the last video PES starts, not where the upstream was cut', () => {
    // The engine died in the middle of a frame: its PES is torn (a video PES has no length, so nothing
    // says it is incomplete). Chromium fails to decode across a torn frame (PIPELINE_ERROR_DECODE on the
    // new generation's keyframe) and hls.js stops at the discontinuity (mediaSourceRequiresReset).
    const seg = new Segmenter();
    const f = new Feeder(seg);
    f.frames(gopFrames(5.6, FPS, 2)); // segment 1 open at 4 s, last frame starts at 5.56 s
    const lastFrameAt = f.cursor - 3 * PACKET;
    f.cursor = lastFrameAt + PACKET; // only one of the last frame's three packets arrived
    f.discontinuity(1);
    const tail = f.segments[1]!;
    assert.equal(tail.end, lastFrameAt, 'no byte of the torn frame is in the tail');
    assert.equal(tail.durationUs, 1_560_000);
    f.frames(gopFrames(5, FPS, 2, 77 * PTS_HZ));
    const next = f.segments[2]!;
    assert.equal(next.start, lastFrameAt + PACKET, 'the new generation starts at its keyframe');
    assert.equal(next.discontinuity, true);
  });

  it('ends the tail at the change when the generation has no video', () => {
    const seg = new Segmenter();
    const audioOnly = new Feeder(seg, 'wall');
    audioOnly.frames(gopFrames(14, FPS, 0).map((fr) => ({ ...fr, key: false })));
    const open = seg.openStart;
    assert.ok(open >= 0, 'a segment is open without any RAP');
    audioOnly.discontinuity(1);
    const tail = audioOnly.segments.at(-1)!;
    assert.equal(tail.start, open);
    assert.equal(tail.end, audioOnly.cursor);
  });

  it('flush at the end of a stream still emits a short tail', () => {
    const f = new Feeder(new Segmenter());
    f.frames(gopFrames(4 + 3 / FPS, FPS, 2));
    f.flush();
    assert.equal(f.segments.length, 2);
  });
});
