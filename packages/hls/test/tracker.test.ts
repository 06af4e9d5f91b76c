import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  HlsError,
  type MediaPlaylist,
  type ParsedSegment,
  parseMediaPlaylist,
  UpstreamTracker,
} from '../src/index.js';

const URL_ = 'http://10.0.0.5:6878/ace/m/abc/1.m3u8';

/** A simulated upstream live playlist: segments `first..last`, discontinuity tags at `disc` seqs. */
function upstream(
  first: number,
  last: number,
  opts: { td?: number; discBase?: number; disc?: readonly number[]; end?: boolean; tag?: string } = {},
): MediaPlaylist {
  let text = `#EXTM3U\r\n#EXT-X-VERSION:3\r\n#EXT-X-TARGETDURATION:${opts.td ?? 4}\r\n#EXT-X-MEDIA-SEQUENCE:${first}\r\n`;
  text += `#EXT-X-DISCONTINUITY-SEQUENCE:${opts.discBase ?? 0}\r\n`;
  for (let s = first; s <= last; s++) {
    if (opts.disc?.includes(s)) text += '#EXT-X-DISCONTINUITY\r\n';
    text += `#EXTINF:4.000000,\r\n/ace/c/${opts.tag ?? 'x'}/${s}.ts\r\n`;
  }
  if (opts.end) text += '#EXT-X-ENDLIST\r\n';
  const r = parseMediaPlaylist(text, URL_);
  if (!r.ok) throw r.error;
  return r.value;
}

describe('upstream tracker', () => {
  it('starts near the live edge, then yields each new segment once, in order', () => {
    const t = new UpstreamTracker();
    const a = t.update(upstream(10, 15));
    assert.deepEqual(
      a.segments.map((s) => s.seq),
      [13, 14, 15],
    );
    const b = t.update(upstream(11, 16)); // overlap: only 16 is new
    assert.deepEqual(
      b.segments.map((s) => s.seq),
      [16],
    );
    const c = t.update(upstream(11, 16)); // unchanged
    assert.deepEqual(c.segments, []);
    assert.equal(c.changed, false);
    const d = t.update(upstream(14, 19)); // three new at once: all of them, not only the newest
    assert.deepEqual(
      d.segments.map((s) => s.seq),
      [17, 18, 19],
    );
    assert.equal(d.missed, 0);
    assert.ok(d.segments.every((s) => !s.discontinuity));
    assert.equal(d.segments[0]!.uri, 'http://10.0.0.5:6878/ace/c/x/17.ts');
  });

  it('counts segments lost between polls and flags the next one', () => {
    const t = new UpstreamTracker();
    t.update(upstream(0, 5));
    const u = t.update(upstream(9, 14)); // 6, 7, 8 fell out of the window unseen
    assert.equal(u.missed, 3);
    assert.deepEqual(
      u.segments.map((s) => [s.seq, s.discontinuity]),
      [
        [9, true],
        [10, false],
        [11, false],
        [12, false],
        [13, false],
        [14, false],
      ],
    );
    assert.deepEqual(t.stats, { polls: 2, segments: 9, gaps: 1, missed: 3, restarts: 0 });
  });

  it('passes upstream discontinuity tags through', () => {
    const t = new UpstreamTracker();
    t.update(upstream(0, 3));
    const u = t.update(upstream(0, 5, { disc: [5] }));
    assert.deepEqual(
      u.segments.map((s) => [s.seq, s.discontinuity, s.discontinuitySequence]),
      [
        [4, false, 0],
        [5, true, 1],
      ],
    );
  });

  it('treats a media sequence going backwards as a restart', () => {
    const t = new UpstreamTracker();
    t.update(upstream(100, 105));
    const u = t.update(upstream(0, 4, { tag: 'new' }));
    assert.equal(u.restarted, true);
    assert.equal(u.changed, true);
    assert.deepEqual(
      u.segments.map((s) => [s.seq, s.discontinuity]),
      [
        [2, true],
        [3, false],
        [4, false],
      ],
    );
    // And it continues normally from the new numbering.
    assert.deepEqual(
      t.update(upstream(1, 5, { tag: 'new' })).segments.map((s) => s.seq),
      [5],
    );
    assert.equal(t.stats.restarts, 1);
  });

  it('treats inconsistent discontinuity numbers as a restart', () => {
    const t = new UpstreamTracker();
    t.update(upstream(10, 15, { discBase: 4 }));
    // Same seqs again, but the discontinuity numbering restarted: a new upstream session.
    const u = t.update(upstream(12, 17, { discBase: 0 }));
    assert.equal(u.restarted, true);
    assert.equal(u.segments[0]!.discontinuity, true);
    // A discontinuity-sequence increment that only removes an old tag is not a restart.
    const t2 = new UpstreamTracker();
    t2.update(upstream(10, 15, { discBase: 0, disc: [11] }));
    const v = t2.update(upstream(12, 16, { discBase: 1 }));
    assert.equal(v.restarted, false);
    assert.deepEqual(
      v.segments.map((s) => s.seq),
      [16],
    );
  });

  it('yields the rest at ENDLIST and stops reloading', () => {
    const t = new UpstreamTracker();
    t.update(upstream(0, 5));
    const u = t.update(upstream(2, 7, { end: true }));
    assert.deepEqual(
      u.segments.map((s) => s.seq),
      [6, 7],
    );
    assert.equal(u.ended, true);
    assert.equal(u.reloadMs, null);
    // A VOD playlist seen first is taken from its beginning.
    const vod = new UpstreamTracker().update(upstream(0, 9, { end: true }));
    assert.equal(vod.segments.length, 10);
  });

  it('reloads after a target duration when changed, half of it when not (RFC 8216 §6.3.4)', () => {
    const t = new UpstreamTracker();
    assert.equal(t.update(upstream(0, 5, { td: 6 })).reloadMs, 6000);
    assert.equal(t.update(upstream(0, 5, { td: 6 })).reloadMs, 3000);
    assert.equal(t.update(upstream(1, 6, { td: 6 })).reloadMs, 6000);
    // Bounded both ways.
    const b = new UpstreamTracker({ minReloadMs: 1000, maxReloadMs: 8000 });
    assert.equal(b.update(upstream(0, 2, { td: 30 })).reloadMs, 8000);
    assert.equal(b.update(upstream(0, 2, { td: 1 })).reloadMs, 1000);
    // An empty playlist (engine warming up) is "unchanged".
    assert.equal(new UpstreamTracker().update(upstream(0, -1)).reloadMs, 2000);
  });

  it('rejects bad options with one sentence each', () => {
    const cases: [ConstructorParameters<typeof UpstreamTracker>[0], string][] = [
      [{ liveEdgeSegments: 0 }, 'liveEdgeSegments must be a positive integer.'],
      [{ minReloadMs: -1 }, 'minReloadMs must be a non-negative integer.'],
      [{ maxReloadMs: 1.5 }, 'maxReloadMs must be a non-negative integer.'],
      [{ minReloadMs: 900, maxReloadMs: 800 }, 'maxReloadMs must not be smaller than minReloadMs.'],
    ];
    for (const [opts, sentence] of cases) {
      assert.throws(
        () => new UpstreamTracker(opts),
        (e: unknown) => e instanceof HlsError && e.message === sentence,
      );
    }
  });

  it('yields every segment once, in order, under random polling (property)', () => {
    // Poll steps: how far the upstream advanced since the last poll (0 = unchanged). Window of 6.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 60 }), (steps) => {
        const WINDOW = 6;
        const t = new UpstreamTracker();
        const got: ParsedSegment[] = [];
        let newest = 20;
        let expectedMissed = 0;
        let lastYielded = -1;
        for (const step of steps) {
          newest += step;
          const first = Math.max(0, newest - WINDOW + 1);
          if (lastYielded >= 0 && first > lastYielded + 1) expectedMissed += first - lastYielded - 1;
          const u = t.update(upstream(first, newest));
          got.push(...u.segments);
          if (u.segments.length > 0) lastYielded = u.segments.at(-1)!.seq;
          assert.equal(u.changed, u.segments.length > 0);
        }
        for (let i = 1; i < got.length; i++) {
          const prev = got[i - 1]!.seq;
          const cur = got[i]!;
          assert.ok(cur.seq > prev, 'strictly increasing: each segment once, in order');
          // A jump is always flagged.
          if (cur.seq !== prev + 1) assert.equal(cur.discontinuity, true);
          else assert.equal(cur.discontinuity, false);
        }
        assert.equal(got.at(-1)!.seq, newest);
        assert.equal(t.stats.missed, expectedMissed);
        assert.equal(t.stats.restarts, 0);
      }),
      { numRuns: 300 },
    );
  });
});
