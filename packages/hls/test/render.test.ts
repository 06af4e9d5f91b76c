import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatExtinf,
  formatProgramDateTime,
  HlsError,
  type PlaylistEntry,
  PlaylistRenderer,
  renderMediaPlaylist,
  selectWindow,
} from '../src/index.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const uri = (seq: number) => `/ace/hls/abc/${seq}.ts`;

function entry(seq: number, over: Partial<PlaylistEntry> = {}): PlaylistEntry {
  return {
    seq,
    durationUs: 4_000_000,
    discontinuity: false,
    discontinuitySequence: 0,
    independent: true,
    programDateTimeMs: T0 + (seq - 10) * 4000,
    ...over,
  };
}

describe('render: formats', () => {
  it('formats EXTINF with 3 decimals, rounded to the millisecond', () => {
    assert.equal(formatExtinf(4_000_000), '4.000');
    assert.equal(formatExtinf(5_999_999), '6.000');
    assert.equal(formatExtinf(6_499_000), '6.499');
    assert.equal(formatExtinf(33_367), '0.033');
    assert.equal(formatExtinf(1_234_567), '1.235');
    assert.equal(formatExtinf(12_050_000), '12.050');
  });

  it('formats program date time as ISO 8601 with milliseconds', () => {
    assert.equal(formatProgramDateTime(T0), '2025-01-02T03:04:05.678Z');
  });
});

describe('render: media playlist', () => {
  const opts = { targetDuration: 6, windowSeconds: 12, uri };

  it('renders the header, tags and segments in RFC 8216 order', () => {
    const list = [
      entry(10),
      entry(11),
      entry(12, { discontinuity: true, discontinuitySequence: 1, programDateTimeMs: T0 + 60_000 }),
      entry(13, { discontinuitySequence: 1, durationUs: 3_960_000 }),
    ];
    const text = renderMediaPlaylist(selectWindow(list, opts)!, opts);
    assert.equal(
      text,
      [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-TARGETDURATION:6',
        '#EXT-X-MEDIA-SEQUENCE:10',
        '#EXT-X-DISCONTINUITY-SEQUENCE:0',
        '#EXT-X-INDEPENDENT-SEGMENTS',
        '#EXT-X-PROGRAM-DATE-TIME:2025-01-02T03:04:05.678Z',
        '#EXTINF:4.000,',
        '/ace/hls/abc/10.ts',
        '#EXTINF:4.000,',
        '/ace/hls/abc/11.ts',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-PROGRAM-DATE-TIME:2025-01-02T03:05:05.678Z',
        '#EXTINF:4.000,',
        '/ace/hls/abc/12.ts',
        '#EXTINF:3.960,',
        '/ace/hls/abc/13.ts',
        '',
      ].join('\n'),
    );
    assert.ok(!text.includes('ENDLIST'), 'no ENDLIST while live');
  });

  it('keeps a flagged first segment tagged and counts it out of the header', () => {
    const list = [
      entry(20, { discontinuity: true, discontinuitySequence: 3 }),
      entry(21, { discontinuitySequence: 3 }),
    ];
    const text = renderMediaPlaylist(selectWindow(list, opts)!, opts);
    assert.match(text, /#EXT-X-DISCONTINUITY-SEQUENCE:2\n/);
    assert.match(
      text,
      /#EXT-X-DISCONTINUITY\n#EXT-X-PROGRAM-DATE-TIME:[^\n]+\n#EXTINF:4.000,\n\/ace\/hls\/abc\/20.ts/,
    );
    // The date appears once for the first segment (with its discontinuity), not twice.
    assert.equal(text.split('PROGRAM-DATE-TIME').length - 1, 1);
  });

  it('emits EXT-X-INDEPENDENT-SEGMENTS only when every listed segment is independent and allowed', () => {
    const list = [entry(1), entry(2, { independent: false }), entry(3)];
    assert.ok(!renderMediaPlaylist(selectWindow(list, opts)!, opts).includes('INDEPENDENT'));
    const all = [entry(1), entry(2), entry(3)];
    assert.ok(renderMediaPlaylist(selectWindow(all, opts)!, opts).includes('#EXT-X-INDEPENDENT-SEGMENTS'));
    const off = { ...opts, independent: false };
    assert.ok(!renderMediaPlaylist(selectWindow(all, off)!, off).includes('INDEPENDENT'));
  });

  it('omits dates when disabled or unknown, and ends with ENDLIST only when told', () => {
    const list = [entry(1), entry(2, { discontinuity: true, discontinuitySequence: 1 })];
    const off = { ...opts, programDateTime: false };
    assert.ok(!renderMediaPlaylist(selectWindow(list, off)!, off).includes('PROGRAM-DATE-TIME'));
    const undated = list.map((e) => ({ ...e, programDateTimeMs: 0 }));
    assert.ok(!renderMediaPlaylist(selectWindow(undated, opts)!, opts).includes('PROGRAM-DATE-TIME'));
    const ended = { ...opts, endList: true };
    assert.ok(renderMediaPlaylist(selectWindow(list, ended)!, ended).endsWith('#EXT-X-ENDLIST\n'));
  });

  it('rejects a version below 3', () => {
    assert.throws(
      () => new PlaylistRenderer({ ...opts, version: 2 }),
      (e: unknown) => e instanceof HlsError && e.message === 'version must be an integer of at least 3.',
    );
  });
});

describe('render: PlaylistRenderer', () => {
  it('matches the plain renderer version after version as the index slides', () => {
    const opts = { targetDuration: 6, windowSeconds: 20, uri };
    const r = new PlaylistRenderer(opts);
    const index: PlaylistEntry[] = [];
    let disc = 0;
    let calls = 0;
    const counting = {
      ...opts,
      uri: (s: number) => {
        calls++;
        return uri(s);
      },
    };
    const rc = new PlaylistRenderer(counting);
    for (let seq = 100; seq < 160; seq++) {
      const discontinuity = seq % 17 === 0;
      if (discontinuity) disc++;
      index.push(
        entry(seq, {
          discontinuity,
          discontinuitySequence: disc,
          durationUs: 3_000_000 + (seq % 5) * 500_000,
        }),
      );
      if (index.length > 40) index.shift(); // the ring's index table is bounded
      const expected = renderMediaPlaylist(selectWindow(index, opts)!, opts);
      assert.equal(r.render(index), expected);
      rc.render(index);
      assert.equal(r.window!.mediaSequence, selectWindow(index, opts)!.mediaSequence);
    }
    // Each segment's line was formatted once, not once per version.
    assert.equal(calls, 60);
    assert.equal(r.render([]), null);
  });
});
