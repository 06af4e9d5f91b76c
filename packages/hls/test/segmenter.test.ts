import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HlsError, Segmenter } from '../src/index.js';
import { Feeder, type Frame, gopFrames, PACKET, PTS_HZ, PTS_WRAP, roundedExtinf } from './sim.js';

const FPS = 25;

describe('segmenter: cutting rules', () => {
  it('starts the first segment at the first random-access point', () => {
    const f = new Feeder(new Segmenter());
    f.junk(10);
    // Two non-key frames, then a keyframe: the segment must start at the keyframe's cursor.
    const frames = gopFrames(9, FPS, 2, 0).map((fr, i) => ({
      ...fr,
      key: i === 2 || (i > 2 && (i - 2) % 50 === 0),
    }));
    f.frames(frames);
    const first = f.segments[0]!;
    assert.equal(first.start, (10 + 2 * 3) * PACKET);
    assert.equal(first.seq, 0);
    assert.equal(first.independent, true);
    assert.equal(first.discontinuity, false);
  });

  it('cuts at the first random-access point at or after the target duration', () => {
    const f = new Feeder(new Segmenter({ targetSeconds: 4, maxSeconds: 6 }));
    f.frames(gopFrames(21, FPS, 3)); // RAPs every 3 s: 3 < 4, so cuts land at 6, 12, 18
    assert.deepEqual(
      f.segments.map((s) => s.durationUs),
      [6_000_000, 6_000_000, 6_000_000],
    );
    assert.ok(f.segments.every((s) => s.independent && !s.forced));
    // Byte ranges are contiguous.
    for (let i = 1; i < f.segments.length; i++) assert.equal(f.segments[i]!.start, f.segments[i - 1]!.end);
  });

  it('cuts exactly at the target when a RAP falls on it', () => {
    const f = new Feeder(new Segmenter({ targetSeconds: 4, maxSeconds: 6 }));
    f.frames(gopFrames(17, FPS, 2));
    assert.deepEqual(
      f.segments.map((s) => s.durationUs),
      [4_000_000, 4_000_000, 4_000_000, 4_000_000],
    );
  });

  it('forces a cut at the maximum without a RAP, flags it, and re-aligns at the next RAP', () => {
    const seg = new Segmenter({ targetSeconds: 4, maxSeconds: 6 });
    const f = new Feeder(seg);
    f.frames(gopFrames(21, FPS, 10)); // RAPs at 0, 10, 20 s
    const d = f.segments.map((s) => [s.durationUs, s.forced, s.independent]);
    assert.deepEqual(d, [
      [6_000_000, true, true], // started at a RAP, ended by force
      [4_000_000, false, false], // started at the forced cut, ended at the RAP at 10 s
      [6_000_000, true, true],
      [4_000_000, false, false],
    ]);
    assert.equal(seg.stats.forcedCuts, 2);
    assert.equal(seg.targetDurationHeader, 6);
  });

  it('cuts at the previous point when one step would cross the rounding limit', () => {
    // 1.9 s between frames (a slideshow): elapsed goes 5.7 → 7.6; 7.6 would round above TD 6.
    const frames: Frame[] = [];
    for (let i = 0; i < 12; i++) frames.push({ pts: Math.round(i * 1.9 * PTS_HZ), key: i === 0, packets: 4 });
    const seg = new Segmenter({ targetSeconds: 4, maxSeconds: 6 });
    const f = new Feeder(seg);
    f.frames(frames);
    assert.ok(f.segments.length >= 2);
    assert.equal(f.segments[0]!.durationUs, 5_700_000);
    assert.equal(f.segments[0]!.forced, true);
    for (const s of f.segments) assert.ok(roundedExtinf(s.durationUs) <= seg.targetDurationHeader);
    assert.equal(seg.stats.clamped, 0);
  });

  it('ignores B-frame reordering when measuring durations', () => {
    // Each 100-frame GOP in decode order: I0 P3 B1 B2 P6 B4 B5 … P99 B97 B98 (display indices).
    const frames: Frame[] = [];
    const frame = PTS_HZ / FPS;
    for (let i = 0; i < 25 * 13; i++) {
      const gop = i - (i % 100);
      const l = i % 100;
      const g = Math.floor((l - 1) / 3);
      const j = (l - 1) % 3;
      const display = l === 0 ? gop : gop + 3 * g + (j === 0 ? 3 : j);
      frames.push({ pts: display * frame, key: l === 0, packets: 2 });
    }
    const f = new Feeder(new Segmenter({ targetSeconds: 4, maxSeconds: 6 }));
    f.frames(frames);
    assert.deepEqual(
      f.segments.map((s) => s.durationUs),
      [4_000_000, 4_000_000, 4_000_000],
    );
  });
});

describe('segmenter: timing sources', () => {
  it('measures across a 33-bit PTS wrap', () => {
    const f = new Feeder(new Segmenter(), 'pts', PTS_WRAP - 5 * PTS_HZ);
    f.frames(gopFrames(13, FPS, 2));
    assert.deepEqual(
      f.segments.map((s) => s.durationUs),
      [4_000_000, 4_000_000, 4_000_000],
    );
  });

  it('falls back to PCR when there is no video PTS', () => {
    const f = new Feeder(new Segmenter(), 'pcr', PTS_WRAP - 3 * PTS_HZ); // and across the PCR wrap
    f.frames(gopFrames(13, FPS, 2));
    assert.deepEqual(
      f.segments.map((s) => s.durationUs),
      [4_000_000, 4_000_000, 4_000_000],
    );
  });

  it('falls back to the wall clock when there is neither PTS nor PCR', () => {
    const f = new Feeder(new Segmenter(), 'wall');
    f.frames(gopFrames(13, FPS, 2));
    assert.equal(f.segments.length, 3);
    // Wall time is whole milliseconds per 40 ms frame: exact here.
    assert.ok(f.segments.every((s) => s.durationUs === 4_000_000));
  });

  it('lets PCR carry the clock while video goes quiet, without counting time twice', () => {
    const seg = new Segmenter({ targetSeconds: 4, maxSeconds: 6 });
    let cursor = 0;
    const out = [];
    const pcrAt = (sec: number) => Math.round(sec * 27_000_000);
    // Video + PCR until 1.5 s, PCR only until 3.5 s, then video again until 10 s.
    for (let i = 0; i <= 250; i++) {
      const t = i / 25;
      out.push(...seg.pcr(cursor, pcrAt(t)));
      if (t < 1.5 || t >= 3.5) {
        const pts = Math.round(t * PTS_HZ);
        out.push(...(i % 100 === 0 ? seg.randomAccess(cursor, pts) : seg.videoPes(cursor, pts)));
      }
      cursor += 2 * PACKET;
    }
    // RAPs at 0, 4 and 8 s: both segments are 4 s of media (±1 PCR interval at the hand-over).
    assert.equal(out.length, 2);
    for (const s of out) assert.ok(Math.abs(s.durationUs - 4_000_000) <= 40_000, String(s.durationUs));
  });

  it('treats a PTS jump as a timestamp discontinuity, not as elapsed time', () => {
    const seg = new Segmenter();
    const f = new Feeder(seg);
    const a = gopFrames(6, FPS, 2);
    const b = gopFrames(7, FPS, 2, 50 * PTS_HZ + 6 * PTS_HZ); // the clock jumps 50 s ahead mid-stream
    f.frames([...a, ...b]);
    assert.ok(seg.stats.timestampJumps >= 1);
    for (const s of f.segments) assert.ok(s.durationUs <= 6_000_000);
  });

  it('dates segments from the wall clock at the first RAP, then by media time', () => {
    const f = new Feeder(new Segmenter(), 'pts', 0, 1_700_000_000_000);
    f.frames(gopFrames(13, FPS, 2));
    const [a, b, c] = f.segments;
    assert.equal(a!.programDateTimeMs, 1_700_000_000_000);
    assert.equal(b!.programDateTimeMs, a!.programDateTimeMs + 4000);
    assert.equal(c!.programDateTimeMs, b!.programDateTimeMs + 4000);
  });
});

describe('segmenter: discontinuities and sequence numbers', () => {
  it('closes the old generation at the change and restarts at the first RAP of the new one', () => {
    const seg = new Segmenter();
    const f = new Feeder(seg);
    f.frames(gopFrames(5.2, FPS, 2)); // segment 0 (0–4 s) done, segment 1 open at 4 s
    const lastFrameAt = f.cursor - 3 * PACKET;
    const changeAt = f.cursor;
    f.discontinuity(1);
    assert.equal(f.segments.length, 2);
    // The frame still open at the change (maybe torn) is left out: the tail ends where it starts.
    assert.equal(f.segments[1]!.end, lastFrameAt);
    assert.equal(f.segments[1]!.generation, 0);
    assert.equal(f.segments[1]!.durationUs, 1_160_000); // 4 s → the last frame's start at 5.16 s
    // New generation: unrelated PTS, two leading non-key frames, then a RAP.
    const g2 = gopFrames(9, FPS, 2, 123 * PTS_HZ).map((fr, i) => ({
      ...fr,
      key: i === 2 || (i > 2 && (i - 2) % 50 === 0),
    }));
    f.frames(g2);
    const next = f.segments[2]!;
    assert.equal(next.start, changeAt + 2 * 3 * PACKET); // bytes before the RAP are in no segment
    assert.equal(next.discontinuity, true);
    assert.equal(next.generation, 1);
    assert.equal(next.discontinuitySequence, 1);
    assert.equal(next.seq, 2);
    assert.equal(f.segments[3]!.discontinuity, false);
    assert.equal(f.segments[3]!.discontinuitySequence, 1);
  });

  it('starts at startSeq and flags the first segment of a recreated stream', () => {
    const f = new Feeder(new Segmenter({ startSeq: 41, startDiscontinuitySeq: 7 }));
    f.frames(gopFrames(9, FPS, 2));
    assert.equal(f.segments[0]!.seq, 41);
    assert.equal(f.segments[0]!.discontinuity, true);
    assert.equal(f.segments[0]!.discontinuitySequence, 8);
    assert.equal(f.segments[1]!.seq, 42);
    const fresh = new Feeder(new Segmenter({ startSeq: 0 }));
    fresh.frames(gopFrames(5, FPS, 2));
    assert.equal(fresh.segments[0]!.discontinuity, false);
  });

  it('does not flag a discontinuity before anything was emitted', () => {
    const f = new Feeder(new Segmenter());
    f.junk(5);
    f.discontinuity(1);
    f.frames(gopFrames(5, FPS, 2));
    assert.equal(f.segments[0]!.discontinuity, false);
    assert.equal(f.segments[0]!.generation, 1);
  });

  it('flush emits the open segment', () => {
    const f = new Feeder(new Segmenter());
    f.frames(gopFrames(6, FPS, 2));
    f.flush();
    assert.equal(f.segments.length, 2);
    assert.equal(f.segments[1]!.end, f.cursor);
  });

  it('starts without a RAP after twice the maximum so a stream never stays silent', () => {
    const f = new Feeder(new Segmenter({ targetSeconds: 2, maxSeconds: 3 }));
    const frames = gopFrames(10, FPS, 0).map((fr) => ({ ...fr, key: false }));
    f.frames(frames);
    assert.ok(f.segments.length >= 1);
    assert.equal(f.segments[0]!.independent, false);
  });
});

describe('segmenter: options', () => {
  const cases: [ConstructorParameters<typeof Segmenter>[0], string][] = [
    [{ targetSeconds: 0 }, 'targetSeconds must be a finite number greater than 0.'],
    [{ maxSeconds: Number.NaN }, 'maxSeconds must be a finite number greater than 0.'],
    [{ targetSeconds: 5, maxSeconds: 4 }, 'maxSeconds must not be smaller than targetSeconds.'],
    [{ startSeq: -1 }, 'startSeq must be a non-negative safe integer.'],
    [{ startDiscontinuitySeq: 1.5 }, 'startDiscontinuitySeq must be a non-negative safe integer.'],
    [{ generation: -2 }, 'generation must be a non-negative safe integer.'],
  ];
  for (const [opts, sentence] of cases) {
    it(`rejects ${JSON.stringify(opts)}`, () => {
      assert.throws(
        () => new Segmenter(opts),
        (e: unknown) => e instanceof HlsError && e.code === 'SC_ERR_HLS_OPTION' && e.message === sentence,
      );
    });
  }

  it('derives the target duration header from the maximum', () => {
    assert.equal(new Segmenter().targetDurationHeader, 6);
    assert.equal(new Segmenter({ targetSeconds: 2, maxSeconds: 2.5 }).targetDurationHeader, 3);
    assert.equal(new Segmenter({ targetSeconds: 8 }).targetDurationHeader, 8);
  });
});
