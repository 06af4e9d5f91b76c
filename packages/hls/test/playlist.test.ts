import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  HlsError,
  listingMarginBytes,
  listingMarginSeconds,
  type PlaylistEntry,
  requiredRingSeconds,
  selectWindow,
  selectWindowFrom,
  windowUs,
} from '../src/index.js';

/** Index entries from durations (µs) and the seqs that carry a discontinuity flag. */
function entries(durations: readonly number[], opts: { startSeq?: number; disc?: readonly number[] } = {}) {
  const out: PlaylistEntry[] = [];
  let discSeq = 0;
  let seq = opts.startSeq ?? 0;
  for (const d of durations) {
    const discontinuity = opts.disc?.includes(seq) ?? false;
    if (discontinuity) discSeq++;
    out.push({
      seq,
      durationUs: d,
      discontinuity,
      discontinuitySequence: discSeq,
      independent: true,
      programDateTimeMs: 0,
    });
    seq++;
  }
  return out;
}

const sum = (xs: readonly PlaylistEntry[]) => xs.reduce((a, e) => a + e.durationUs, 0);

describe('playlist window', () => {
  it('lists the newest segments, about windowSeconds long', () => {
    const list = entries(new Array(100).fill(4_000_000));
    const w = selectWindow(list, { targetDuration: 6, windowSeconds: 30 })!;
    assert.equal(w.segments.length, 8); // 7 × 4 s = 28 s < 30 s, 8 × 4 s = 32 s
    assert.equal(w.mediaSequence, 92);
    assert.equal(w.segments.at(-1)!.seq, 99);
    assert.equal(w.durationUs, 32_000_000);
  });

  it('is never shorter than 3 × target duration when enough segments exist', () => {
    const list = entries(new Array(50).fill(6_000_000));
    const w = selectWindow(list, { targetDuration: 6, windowSeconds: 5 })!;
    assert.ok(w.durationUs >= 18_000_000);
    assert.equal(windowUs({ targetDuration: 6, windowSeconds: 5 }), 18_000_000);
  });

  it('holds bounds for random durations (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 100_000, max: 6_499_000 }), { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 60 }),
        (durs, windowSeconds) => {
          const list = entries(durs);
          const opts = { targetDuration: 6, windowSeconds };
          const w = selectWindow(list, opts)!;
          const want = windowUs(opts);
          const total = sum(list);
          // Long enough: the whole window, or everything there is.
          assert.ok(w.durationUs >= Math.min(want, total));
          // Not longer than needed: without its oldest segment it would be too short.
          assert.ok(w.durationUs - w.segments[0]!.durationUs < want);
          assert.equal(w.segments.at(-1)!.seq, list.at(-1)!.seq);
          assert.equal(w.mediaSequence, w.segments[0]!.seq);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('stops at segments whose bytes are gone and at seq holes', () => {
    const list: PlaylistEntry[] = entries(new Array(10).fill(4_000_000));
    const gone = list.map((e) => (e.seq < 7 ? { ...e, available: false } : e));
    assert.equal(selectWindow(gone, { targetDuration: 6 })!.mediaSequence, 7);
    const holed = list.filter((e) => e.seq !== 5);
    assert.equal(selectWindow(holed, { targetDuration: 6 })!.mediaSequence, 6);
    assert.equal(selectWindow([], { targetDuration: 6 }), null);
    assert.equal(selectWindow([{ ...list[0]!, available: false }], { targetDuration: 6 }), null);
  });

  it('computes EXT-X-DISCONTINUITY-SEQUENCE as flagged segments age out', () => {
    const list = entries(new Array(40).fill(4_000_000), { disc: [5, 12, 13, 30] });
    // Discontinuity tags strictly before a seq, counted over the full history.
    const before = (seq: number) => [5, 12, 13, 30].filter((d) => d < seq).length;
    for (let n = 1; n <= list.length; n++) {
      const w = selectWindow(list.slice(0, n), { targetDuration: 6, windowSeconds: 12 })!;
      assert.equal(w.discontinuitySequence, before(w.mediaSequence), `n=${n}`);
    }
  });

  it('reports whether every listed segment is independent', () => {
    const list = entries([4e6, 4e6, 4e6, 4e6]);
    assert.equal(selectWindow(list, { targetDuration: 4 })!.allIndependent, true);
    const mixed = list.map((e) => (e.seq === 2 ? { ...e, independent: false } : e));
    assert.equal(selectWindow(mixed, { targetDuration: 4 })!.allIndependent, false);
  });

  it('rejects bad window options with one sentence each', () => {
    assert.throws(
      () => windowUs({ targetDuration: 2.5 }),
      (e: unknown) => e instanceof HlsError && e.message === 'targetDuration must be a positive integer.',
    );
    assert.throws(
      () => windowUs({ targetDuration: 6, windowSeconds: -1 }),
      (e: unknown) =>
        e instanceof HlsError && e.message === 'windowSeconds must be a finite number greater than 0.',
    );
  });
});

describe('retention (RFC 8216 §6.2.2)', () => {
  const opts = { targetDuration: 6, windowSeconds: 30 };

  it('a segment listed with the listing margin ahead stays downloadable past its removal + the playlist', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 500_000, max: 6_499_000 }), { minLength: 2, maxLength: 120 }),
        (durs) => {
          const list = entries(durs);
          const want = windowUs(opts);
          const marginUs = listingMarginSeconds(opts) * 1e6;
          for (let k = 0; k < list.length; k++) {
            // The segment whose arrival pushes k out of the window, and the longest playlist listing k.
            let span = 0;
            let remover = -1;
            for (let j = k + 1; j < list.length; j++) {
              span += list[j]!.durationUs;
              if (span >= want) {
                remover = j;
                break;
              }
            }
            if (remover < 0) continue; // never removed yet
            const longest = list.slice(k, remover).reduce((a, e) => a + e.durationUs, 0);
            // Listed for the last time at worst just before the remover arrived, with the margin of life
            // left then; after removal it must live its duration plus the longest playlist (real time).
            const lifeAfterRemoval = marginUs - list[remover]!.durationUs;
            assert.ok(
              lifeAfterRemoval >= list[k]!.durationUs + longest,
              `segment ${k}: ${lifeAfterRemoval} µs < ${list[k]!.durationUs + longest} µs`,
            );
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('margin, ring need and the shrunk margin of a small ring', () => {
    // W + 3 × (TD + 0.5) = 30 + 19.5; the ring also holds the window and the segment being cut.
    assert.equal(listingMarginSeconds(opts), 49.5);
    assert.equal(requiredRingSeconds(opts), 86);
    const bps = 2_000_000;
    const bytesPerSecond = bps / 8;
    assert.equal(listingMarginBytes(opts, 100 * 2 ** 20, 0), 0, 'unknown bitrate: no margin');
    assert.equal(listingMarginBytes(opts, 100 * 2 ** 20, bps), 49.5 * bytesPerSecond);
    // A 30 s ring: the margin leaves the newest 4 × TD = 24 s listable; a 10 s ring: no margin.
    assert.equal(listingMarginBytes(opts, 30 * bytesPerSecond, bps), 6 * bytesPerSecond);
    assert.equal(listingMarginBytes(opts, 10 * bytesPerSecond, bps), 0);
  });
});

describe('selectWindowFrom (one walk over an index)', () => {
  const opts = { targetDuration: 6, windowSeconds: 30 };
  it('selects what selectWindow selects from the same entries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 500_000, max: 6_499_000 }), { minLength: 0, maxLength: 60 }),
        fc.integer({ min: 0, max: 60 }),
        (durs, hole) => {
          const list = entries(durs).map((e) => (e.seq === hole ? { ...e, available: false } : e));
          const bySeq = new Map(list.map((e) => [e.seq, e]));
          const newest = list.length ? list[list.length - 1]!.seq : 0;
          const a = selectWindow(list, opts);
          const b = selectWindowFrom(newest, (seq) => bySeq.get(seq) ?? null, opts);
          assert.deepEqual(b, a);
        },
      ),
      { numRuns: 300 },
    );
  });
});
