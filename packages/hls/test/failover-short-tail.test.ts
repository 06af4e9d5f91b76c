// Regression: an engine failover right after a keyframe left the old generation's open segment
// with a few frames (EXTINF 0.040, 1.5 kB, no audio yet). The segmenter listed it, and hls.js in Chromium
// failed the whole media source on it (mediaSourceRequiresReset, fatal) instead of playing across the
// discontinuity. A tail under one second is now dropped; the discontinuity flag moves to the next segment.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Segmenter } from '../src/index.js';
import { Feeder, gopFrames, PTS_HZ } from './sim.js';

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
    assert.equal(f.segments[1]!.durationUs, 1_200_000);
  });

  it('flush at the end of a stream still emits a short tail', () => {
    const f = new Feeder(new Segmenter());
    f.frames(gopFrames(4 + 3 / FPS, FPS, 2));
    f.flush();
    assert.equal(f.segments.length, 2);
  });
});
