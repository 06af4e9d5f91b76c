// Cold start of a new stream, in simulated time: the segmenter cuts a real-time stream, the playlist rule
// decides when the first playlist is answered, and a model of a default hls.js player (below) plays it.
// The rule must give the player enough runway that it never stalls, and start it within 2 segments.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ColdStartPlan,
  coldStartPlan,
  coldStartReady,
  HlsError,
  type Segment,
  Segmenter,
  selectWindow,
} from '../src/index.js';
import { gopFrames, PACKET, PTS_HZ, roundedExtinf } from './sim.js';

const FPS = 25;
/** Time to download one segment in the model (a local network): seconds. */
const FETCH_S = 0.3;
/** The watch period after playback starts, as in the start benchmark. */
const WATCH_S = 20;

interface Listed {
  readonly seg: Segment;
  /** Simulated time (s) at which the segmenter emitted it. */
  readonly at: number;
}

interface Rule extends ColdStartPlan {
  readonly targetSeconds: number;
  readonly maxSeconds: number;
}

const WALL0 = 1_700_000_000_000;

/** A real-time stream (keyframe every `gopSeconds`) cut by a segmenter: every segment with its emit time. */
function ingest(rule: Rule, gopSeconds: number, seconds: number): { segs: Listed[]; td: number } {
  const seg = new Segmenter({
    targetSeconds: rule.targetSeconds,
    maxSeconds: rule.maxSeconds,
    startTargetSeconds: rule.startTargetSeconds,
  });
  const segs: Listed[] = [];
  let cursor = 0;
  for (const f of gopFrames(seconds, FPS, gopSeconds)) {
    const at = f.pts / PTS_HZ;
    const take = (out: readonly Segment[]) => {
      for (const s of out) segs.push({ seg: s, at });
    };
    take(seg.tick(WALL0 + at * 1000, cursor));
    take(f.key ? seg.randomAccess(cursor, f.pts) : seg.videoPes(cursor, f.pts));
    cursor += f.packets * PACKET;
  }
  return { segs, td: seg.targetDurationHeader };
}

interface Playback {
  /** Simulated time of the first playlist answer (s). */
  answeredAt: number;
  /** Simulated time playback started (s). */
  startedAt: number;
  /** Total stall in the first WATCH_S seconds of playback (s). */
  stalled: number;
}

/**
 * A default hls.js (1.x) player against the gateway's playlist, in 10 ms steps. It asks for the playlist
 * at time 0 (the stream has just opened) and the server holds the answer until the rule is met. It
 * starts at the first listed segment (the live sync point, 3 target durations from the edge, is before
 * the start of so short a playlist) and plays at 1×. It reloads the playlist on hls.js's schedule: one
 * interval after the previous scheduled reload, or at once when that is already past; the interval is
 * the last segment's duration after a changed playlist (near the live edge) and half the target duration
 * after an unchanged one. Segments download one after another, FETCH_S each.
 */
function play(rule: Rule, gopSeconds: number): Playback {
  const { segs, td } = ingest(rule, gopSeconds, 90);
  const options = { targetDuration: td, windowSeconds: 30 };
  const playlistAt = (t: number) => {
    const done = segs.filter((s) => s.at <= t).map((s) => ({ ...s.seg, available: true }));
    return selectWindow(done, options);
  };
  const STEP = 0.01;
  const ready = (t: number) => coldStartReady(playlistAt(t), WALL0 + t * 1000, rule);
  let t = 0;
  while (!ready(t)) {
    t += STEP;
    assert.ok(t < 60, 'the first playlist is answered');
  }
  const answeredAt = t;
  let known = playlistAt(t)!;
  const firstSeq = known.mediaSequence;
  // hls.js schedules from the start of the (held) first request.
  let scheduled = 0;
  let lastEnd = known.segments.at(-1)!.seq;
  const reschedule = (now: number, updated: boolean) => {
    const last = known.segments.at(-1)!.durationUs / 1e6;
    const interval = updated ? Math.min(td, last) : td / 2;
    if (scheduled + interval < now) scheduled = now;
    else if (scheduled <= now) scheduled += interval;
  };
  reschedule(t, true);
  // Download queue: seq → time its bytes are in the buffer.
  const fetched = new Map<number, number>();
  let fetchFree = t;
  const fetchKnown = () => {
    for (const e of known.segments) {
      if (e.seq < firstSeq || fetched.has(e.seq)) continue;
      fetchFree = Math.max(fetchFree, t) + FETCH_S;
      fetched.set(e.seq, fetchFree);
    }
  };
  fetchKnown();
  const startedAt = fetched.get(firstSeq)!;
  const durations = new Map(segs.map((s) => [s.seg.seq, s.seg.durationUs / 1e6]));
  let position = 0; // media seconds played since the first listed segment's start
  let stalled = 0;
  for (t = answeredAt; t < startedAt + WATCH_S; t += STEP) {
    if (t >= scheduled && ready(t)) {
      // A reload is answered at once unless the rule holds it (it must not, once met).
      assert.ok(t < scheduled + STEP * 1.5, `a reload was held at ${t.toFixed(2)} s`);
      const next = playlistAt(t)!;
      const end = next.segments.at(-1)!.seq;
      known = next;
      reschedule(t, end !== lastEnd);
      lastEnd = end;
      fetchKnown();
    }
    if (t < startedAt) continue;
    // Which segment holds the position, and is it in the buffer?
    let seq = firstSeq;
    let acc = 0;
    while (acc + (durations.get(seq) ?? Number.POSITIVE_INFINITY) <= position) acc += durations.get(seq++)!;
    const inBuffer = fetched.get(seq);
    if (inBuffer !== undefined && inBuffer <= t) position += STEP;
    else stalled += STEP;
  }
  return { answeredAt, startedAt, stalled: Math.round(stalled * 100) / 100 };
}

const TD = (targetSeconds: number) => Math.max(6, Math.ceil(targetSeconds * 1.5));
const ruleFor = (targetSeconds: number): Rule => {
  const maxSeconds = TD(targetSeconds);
  return { targetSeconds, maxSeconds, ...coldStartPlan(targetSeconds, maxSeconds) };
};

describe('cold start: short first segments', () => {
  it('cuts the first segments at their start targets, then at the target', () => {
    const seg = new Segmenter({ targetSeconds: 4, maxSeconds: 6, startTargetSeconds: [1, 2] });
    const { segs } = ingest({ ...ruleFor(4), startTargetSeconds: [1, 2] }, 1, 20);
    assert.deepEqual(
      segs.map((s) => s.seg.durationUs),
      [1_000_000, 2_000_000, 4_000_000, 4_000_000, 4_000_000, 4_000_000],
    );
    // The target duration stays what the maximum implies, and every EXTINF rounds to at most it.
    assert.equal(seg.targetDurationHeader, 6);
    assert.ok(segs.every((s) => s.seg.independent && roundedExtinf(s.seg.durationUs) <= 6));
    assert.deepEqual(
      segs.map((s) => s.seg.seq),
      [0, 1, 2, 3, 4, 5],
    );
  });

  it('with keyframes rarer than a start target, cuts at the first keyframe after it', () => {
    const { segs } = ingest({ ...ruleFor(4), startTargetSeconds: [1, 2] }, 3, 25);
    assert.deepEqual(
      segs.map((s) => s.seg.durationUs),
      [3_000_000, 3_000_000, 6_000_000, 6_000_000, 6_000_000],
    );
  });

  it('refuses start targets that are not positive or exceed the target', () => {
    for (const bad of [[0], [-1], [5], [Number.NaN], ['1' as unknown as number]]) {
      assert.throws(
        () => new Segmenter({ targetSeconds: 4, startTargetSeconds: bad }),
        (e: unknown) => e instanceof HlsError && e.code === 'SC_ERR_HLS_OPTION',
      );
    }
  });
});

describe('cold start: the plan', () => {
  it('4 s segments under TD 6: one 4 s segment, answered 2 s after it ended; 10 s listed: at once', () => {
    assert.deepEqual(coldStartPlan(4, 6), {
      startTargetSeconds: [],
      minListedSeconds: 4,
      phaseSeconds: 2,
      enoughListedSeconds: 10,
    });
  });

  it('covers half the target duration plus a second, and refuses a target above TD', () => {
    for (const s of [1, 2, 3, 4, 5.5, 6, 10, 30]) {
      const td = TD(s);
      const plan = coldStartPlan(s, td);
      assert.equal(plan.minListedSeconds, td / 2 + 1, `segment ${s}`);
      assert.ok(plan.phaseSeconds >= 1 && plan.phaseSeconds < s + 1);
      assert.ok(plan.enoughListedSeconds > plan.minListedSeconds);
    }
    assert.throws(() => coldStartPlan(0, 6), HlsError);
    assert.throws(() => coldStartPlan(7, 6), HlsError);
  });

  it('holds the first playlist until it lists enough and the phase has passed', () => {
    const rule = ruleFor(4);
    const { segs } = ingest(rule, 1, 20);
    const upTo = (n: number) =>
      selectWindow(
        segs.slice(0, n).map((s) => s.seg),
        { targetDuration: 6 },
      );
    const at = (t: number) => WALL0 + t * 1000;
    assert.equal(coldStartReady(null, at(100), rule), false);
    assert.equal(coldStartReady(upTo(1), at(4), rule), false, 'one segment, but only just ended');
    assert.equal(coldStartReady(upTo(1), at(5.99), rule), false);
    assert.equal(coldStartReady(upTo(1), at(6), rule), true, '2 s after it ended');
    assert.equal(coldStartReady(upTo(2), at(8), rule), true, 'stays met when the next one ends');
    assert.equal(coldStartReady(upTo(3), at(0), rule), true, '12 s listed (a burst): at once');
    const undated = selectWindow([{ ...segs[0]!.seg, programDateTimeMs: 0 }], { targetDuration: 6 });
    assert.equal(coldStartReady(undated, at(0), rule), true, 'no date: listed length only');
  });
});

describe('cold start: a default hls.js model', () => {
  for (const s of [2, 3, 4, 6, 10]) {
    it(`${s} s segments, keyframe every second: no stall, no reload held, started within 2 segments`, () => {
      const p = play(ruleFor(s), 1);
      assert.equal(p.stalled, 0, JSON.stringify(p));
      // Below 4 s segments the target duration's floor of 6 s sets the runway (TD / 2 + 1 = 4 s): two
      // segments and the phase, a little over 2 segments.
      assert.ok(p.startedAt <= 2 * s + (s < 4 ? 1.5 : 0), JSON.stringify(p));
    });
  }

  it('4 s segments: the first playlist at 6 s, playing by 6.3 s', () => {
    const p = play(ruleFor(4), 1);
    assert.ok(Math.abs(p.answeredAt - 6) < 0.02, JSON.stringify(p));
    assert.ok(p.startedAt < 6.4, JSON.stringify(p));
  });

  it('keyframes every 3 s (5 s cuts, late by a second): still no stall', () => {
    assert.equal(play(ruleFor(4), 3).stalled, 0);
  });

  const hold = (minListedSeconds: number, startTargetSeconds: number[] = []): Rule => ({
    ...ruleFor(4),
    startTargetSeconds,
    minListedSeconds,
    phaseSeconds: 0,
    enoughListedSeconds: minListedSeconds,
  });

  it('the old rule (answer at the first 4 s segment) stalls about 2 s in the same model', () => {
    const p = play(hold(0), 1);
    assert.ok(p.stalled > 1.5 && p.stalled < 3, JSON.stringify(p));
  });

  it('a short first segment answered at 2 segments (1 + 4 s) still stalls: too little runway', () => {
    assert.ok(play(hold(5, [1]), 1).stalled > 0);
  });

  it('the same 4 s segment answered at once (no phase) stalls; answered 2 s later it does not', () => {
    const noPhase = { ...ruleFor(4), phaseSeconds: 0 };
    assert.ok(play(noPhase, 1).stalled > 0);
    assert.equal(play(ruleFor(4), 1).stalled, 0);
  });
});
