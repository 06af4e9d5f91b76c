import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  downloadableFloor,
  HlsError,
  minRetentionSeconds,
  type PlaylistEntry,
  type RetentionEntry,
  selectWindow,
  windowUs,
} from '../src/index.js';

/** Index entries from durations (µs) and the seqs that carry a discontinuity flag. */
function entries(durations: readonly number[], opts: { startSeq?: number; disc?: readonly number[] } = {}) {
  const out: RetentionEntry[] = [];
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

  it('keeps every listed segment and removed ones for their duration plus the playlist duration', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 500_000, max: 6_499_000 }), { minLength: 1, maxLength: 120 }),
        (durs) => {
          const list = entries(durs);
          const floor = downloadableFloor(list, opts);
          const w = selectWindow(list, opts)!;
          assert.ok(floor <= w.mediaSequence, 'listed segments stay downloadable');
          // Walk the removed segments, replaying the timeline: segments arrive in real time, so the time
          // since segment k left the playlist is the media added after the one that removed it.
          const want = windowUs(opts);
          for (let k = 0; k < list.length; k++) {
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
            const sinceRemovalUs = list.slice(remover + 1).reduce((a, e) => a + e.durationUs, 0);
            // The longest playlist that listed k: the window at the moment just before its removal.
            const longest = list.slice(k, remover).reduce((a, e) => a + e.durationUs, 0);
            if (sinceRemovalUs < list[k]!.durationUs + longest)
              assert.ok(list[k]!.seq >= floor, `seq ${k} must stay`);
          }
          // And not forever: retention stays within minRetentionSeconds of media behind the newest.
          const kept = list.filter((e) => e.seq > floor);
          assert.ok(sum(kept) <= minRetentionSeconds(opts) * 1e6);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('drops segments far behind live', () => {
    const list = entries(new Array(100).fill(4_000_000));
    const floor = downloadableFloor(list, opts);
    assert.ok(floor > 0);
    // 2 × (30 + 6.5) + 4 = 77 s: 19 newer segments of 4 s = 76 s < 77 s → seq 80 kept, seq 79 not.
    assert.equal(floor, 80);
  });

  it('also applies the wall-clock rule when publication times are known', () => {
    const base = entries(new Array(100).fill(4_000_000));
    // Everything published in a burst at t=0: the media rule would drop the old ones, the clock keeps them.
    const burst = base.map((e) => ({ ...e, publishedAtMs: 0 }));
    assert.equal(downloadableFloor(burst, opts, 1000), 0);
    assert.equal(downloadableFloor(burst, opts, 10_000_000), 80);
  });

  it('never reaches past unavailable bytes', () => {
    const list = entries(new Array(20).fill(4_000_000)).map((e) =>
      e.seq < 15 ? { ...e, available: false } : e,
    );
    assert.equal(downloadableFloor(list, opts), 15);
    assert.equal(downloadableFloor([], opts), -1);
  });
});
