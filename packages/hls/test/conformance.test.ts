// Playlist conformance end to end: segmenter → segment index → renderer → parser, checked against the
// RFC 8216 rules players depend on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type MediaPlaylist,
  PlaylistRenderer,
  parseMediaPlaylist,
  type Segment,
  Segmenter,
  selectWindow,
} from '../src/index.js';
import { Feeder, gopFrames, gopsFrames, PTS_HZ, roundedExtinf, type Timing } from './sim.js';

const BASE = 'http://gw.example:8000/ace/manifest.m3u8?id=abc';
const uri = (seq: number) => `/ace/hls/abc/${seq}.ts`;
const INDEX_CAPACITY = 64; // the ring's segment index is a fixed table

/** Publishes segments into a bounded index and renders + parses a playlist after each one. */
class Publisher {
  readonly index: Segment[] = [];
  readonly playlists: MediaPlaylist[] = [];
  readonly renderer: PlaylistRenderer;
  constructor(
    readonly targetDuration: number,
    windowSeconds = 30,
  ) {
    this.renderer = new PlaylistRenderer({ targetDuration, windowSeconds, uri });
  }
  publish(segs: readonly Segment[]): void {
    for (const s of segs) {
      this.index.push(s);
      if (this.index.length > INDEX_CAPACITY) this.index.shift();
      const text = this.renderer.render(this.index)!;
      const r = parseMediaPlaylist(text, BASE);
      if (!r.ok) assert.fail(r.error.message);
      this.playlists.push(r.value);
    }
  }
}

function checkPlaylists(playlists: readonly MediaPlaylist[], index: readonly Segment[], td: number): void {
  const bySeq = new Map(index.map((s) => [s.seq, s]));
  let prevSeq = -1;
  let prevDisc = -1;
  for (const p of playlists) {
    assert.equal(p.targetDuration, td, 'constant EXT-X-TARGETDURATION');
    assert.equal(p.endList, false, 'no ENDLIST while live');
    // §4.3.3.1: every EXTINF, rounded, is at most the target duration.
    for (const s of p.segments)
      assert.ok(roundedExtinf(s.durationUs) <= td, `EXTINF ${s.durationUs} > ${td}`);
    // §6.2.2: media sequence and discontinuity sequence never go backwards.
    assert.ok(p.mediaSequence >= prevSeq, 'media sequence monotonic');
    assert.ok(p.discontinuitySequence >= prevDisc, 'discontinuity sequence monotonic');
    prevSeq = p.mediaSequence;
    prevDisc = p.discontinuitySequence;
    for (const s of p.segments) {
      const src = bySeq.get(s.seq);
      if (!src) continue; // aged out of the bounded index since
      // Discontinuity numbers a client computes match the segmenter's, whatever the window.
      assert.equal(s.discontinuitySequence, src.discontinuitySequence, `disc number of ${s.seq}`);
      assert.equal(s.discontinuity, src.discontinuity);
      assert.equal(s.uri, new URL(uri(s.seq), BASE).href);
    }
  }
}

describe('conformance: random GOP patterns', () => {
  it('keeps every rule for random GOPs, timing sources and reconnects (property)', () => {
    const limits = fc.constantFrom<[number, number]>([4, 6], [2, 3], [2, 2], [1, 1.5], [6, 8], [3, 4.2]);
    const gop = fc.oneof(
      fc.double({ min: 0.04, max: 12, noNaN: true }),
      fc.constantFrom(0.5, 1, 2, 4, 8, 10, 30),
    );
    fc.assert(
      fc.property(
        limits,
        fc.array(fc.array(gop, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(0.7, 24, 25, 30, 50),
        fc.constantFrom<Timing>('pts', 'pcr', 'wall'),
        fc.integer({ min: 0, max: 2 ** 33 - 1 }),
        ([target, max], generations, fps, timing, ptsBase) => {
          const seg = new Segmenter({
            targetSeconds: target,
            maxSeconds: max,
            startSeq: 5,
            discontinuityAtStart: false,
          });
          const td = seg.targetDurationHeader;
          const pub = new Publisher(td);
          const f = new Feeder(seg, timing, ptsBase);
          for (let g = 0; g < generations.length; g++) {
            if (g > 0) f.discontinuity(g);
            const before = f.segments.length;
            f.frames(gopsFrames(generations[g]!, fps));
            pub.publish(f.segments.slice(before));
            f.ptsBase = (f.ptsBase + 977 * PTS_HZ) % 2 ** 33; // a new upstream has an unrelated clock
          }
          const all = f.segments;
          for (let i = 0; i < all.length; i++) {
            const s = all[i]!;
            assert.ok(roundedExtinf(s.durationUs) <= td, `segment ${s.seq}: ${s.durationUs} µs > TD ${td}`);
            assert.ok(s.durationUs > 0);
            assert.ok(s.end > s.start);
            assert.equal(s.seq, 5 + i, 'seq +1 per segment');
            const prev = all[i - 1];
            if (!prev) continue;
            assert.ok(s.start >= prev.end, 'no overlap');
            if (s.generation === prev.generation) {
              assert.equal(s.start, prev.end, 'contiguous within a generation');
              assert.equal(s.discontinuity, false);
              if (prev.forced) assert.equal(s.independent, false, 'a forced cut starts a dependent segment');
            } else {
              assert.equal(s.discontinuity, true, 'a generation change is a discontinuity');
            }
            assert.equal(s.discontinuitySequence, prev.discontinuitySequence + (s.discontinuity ? 1 : 0));
          }
          // Only a segment closed by a generation change may have been reported at the rounding limit.
          assert.ok(seg.stats.clamped <= generations.length, `clamped ${seg.stats.clamped}`);
          checkPlaylists(pub.playlists, pub.index, td);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('lists at least 3 target durations once that much media exists', () => {
    const seg = new Segmenter({ targetSeconds: 4, maxSeconds: 6 });
    const pub = new Publisher(seg.targetDurationHeader, 10);
    const f = new Feeder(seg);
    f.frames(gopFrames(120, 25, 2.5));
    pub.publish(f.segments);
    let total = 0;
    for (let i = 0; i < pub.playlists.length; i++) {
      total += f.segments[i]!.durationUs;
      const dur = pub.playlists[i]!.segments.reduce((a, s) => a + s.durationUs, 0);
      assert.ok(dur >= Math.min(total, 3 * seg.targetDurationHeader * 1e6), `playlist ${i}: ${dur}`);
    }
  });
});

describe('conformance: reconnects and re-creation', () => {
  it('keeps media sequence monotonic through a forced reconnect and a re-created stream', () => {
    const first = new Segmenter();
    const td = first.targetDurationHeader;
    const pub = new Publisher(td);
    const f = new Feeder(first);
    f.frames(gopFrames(40, 25, 2));
    // Upstream reconnect: same segmenter, new generation, unrelated clock.
    f.discontinuity(1);
    f.ptsBase = 7777 * PTS_HZ;
    f.frames(gopFrames(40, 25, 2));
    pub.publish(f.segments);
    const last = f.segments.at(-1)!;
    // Engine failover: the stream is re-created with a fresh segmenter and a fresh index.
    const second = new Segmenter({
      startSeq: last.seq + 1,
      startDiscontinuitySeq: last.discontinuitySequence,
    });
    assert.equal(second.targetDurationHeader, td);
    const g = new Feeder(second, 'pts', 123 * PTS_HZ, f.wallMs + 5000);
    g.frames(gopFrames(40, 25, 2));
    const pub2 = new Publisher(td);
    pub2.publish(g.segments);
    const playlists = [...pub.playlists, ...pub2.playlists];
    checkPlaylists(playlists, [...f.segments, ...g.segments], td);
    // The first playlist after re-creation opens with a discontinuity and numbers it after the old ones.
    const firstNew = pub2.playlists[0]!;
    assert.equal(firstNew.mediaSequence, last.seq + 1);
    assert.equal(firstNew.segments[0]!.discontinuity, true);
    assert.equal(firstNew.discontinuitySequence, last.discontinuitySequence);
    assert.equal(firstNew.segments[0]!.discontinuitySequence, last.discontinuitySequence + 1);
    // The reconnect inside the first incarnation is tagged once it ages out of the window too.
    const reconnect = f.segments.find((s) => s.generation === 1)!;
    assert.equal(reconnect.discontinuity, true);
    const later = pub.playlists.at(-1)!;
    assert.ok(later.mediaSequence > reconnect.seq);
    assert.equal(later.discontinuitySequence, 1);
  });

  it('round-trips render → parse: same segments, durations, tags and dates', () => {
    const seg = new Segmenter({ targetSeconds: 2, maxSeconds: 3 });
    const f = new Feeder(seg, 'pts', 0, Date.UTC(2025, 5, 1));
    f.frames(gopFrames(20, 30, 1.1));
    f.discontinuity(1);
    f.frames(gopFrames(20, 30, 3.7, 999 * PTS_HZ));
    const window = selectWindow(f.segments, { targetDuration: seg.targetDurationHeader, windowSeconds: 25 })!;
    const renderer = new PlaylistRenderer({
      targetDuration: seg.targetDurationHeader,
      windowSeconds: 25,
      uri,
    });
    const r = parseMediaPlaylist(renderer.render(f.segments)!, BASE);
    assert.ok(r.ok);
    const p = r.value;
    assert.equal(p.mediaSequence, window.mediaSequence);
    assert.equal(p.discontinuitySequence, window.discontinuitySequence);
    assert.equal(p.independentSegments, window.allIndependent);
    assert.equal(p.segments.length, window.segments.length);
    let sinceDate = 0;
    for (let i = 0; i < p.segments.length; i++) {
      const got = p.segments[i]!;
      const want = window.segments[i]!;
      assert.equal(got.seq, want.seq);
      assert.equal(got.durationUs, Math.round(want.durationUs / 1000) * 1000);
      assert.equal(got.discontinuity, want.discontinuity);
      assert.equal(got.discontinuitySequence, want.discontinuitySequence);
      // Dated segments are exact; derived dates drift by at most half a millisecond per segment.
      sinceDate = i === 0 || want.discontinuity ? 0 : sinceDate + 1;
      assert.ok(Math.abs(got.programDateTimeMs! - want.programDateTimeMs) <= 0.5 * sinceDate + 0.5);
    }
  });
});
