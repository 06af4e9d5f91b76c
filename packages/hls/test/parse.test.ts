import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  HLS_ERROR_CODES,
  type HlsErrorCode,
  HlsParseError,
  type MasterPlaylist,
  type MediaPlaylist,
  parseMediaPlaylist,
  parsePlaylist,
} from '../src/index.js';

const ENGINE = 'http://10.0.0.5:6878/ace/m/0f1e2d3c4b5a69788796a5b4c3d2e1f001234567/3c1a.m3u8';

function media(text: string, url = ENGINE): MediaPlaylist {
  const r = parseMediaPlaylist(text, url);
  if (!r.ok) assert.fail(r.error.message);
  return r.value;
}

function refused(text: string, code: HlsErrorCode, url = ENGINE): HlsParseError {
  const r = parsePlaylist(text, url);
  assert.equal(r.ok, false, 'expected a refusal');
  if (r.ok) throw new Error('unreachable');
  assert.ok(r.error instanceof HlsParseError);
  assert.equal(r.error.code, code, r.error.message);
  return r.error;
}

describe('parse: real-world media playlists', () => {
  it('reads an AceStream-engine-style live playlist with CRLF, a BOM and noise', () => {
    // Shape of an engine's /ace/manifest.m3u8 answer: CRLF, 6-decimal EXTINF, absolute segment URLs.
    const text =
      '\uFEFF#EXTM3U\r\n' +
      '#EXT-X-VERSION:3\r\n' +
      '#EXT-X-MEDIA-SEQUENCE:1532\r\n' +
      '#EXT-X-TARGETDURATION:5\r\n' +
      '#EXT-X-ALLOW-CACHE:NO\r\n' + // obsolete tag: ignored
      '\r\n' +
      '#EXTINF:4.960000,\r\n' +
      'http://10.0.0.5:6878/ace/c/3c1a/1532.ts\r\n' +
      '# a comment\r\n' +
      '#EXTINF:5.040000,\r\n' +
      'http://10.0.0.5:6878/ace/c/3c1a/1533.ts\r\n' +
      '#EXT-X-SOMETHING-NEW:A=1\r\n' +
      '#EXTINF:5.000000,\r\n' +
      '/ace/c/3c1a/1534.ts\r\n';
    const p = media(text);
    assert.equal(p.version, 3);
    assert.equal(p.targetDuration, 5);
    assert.equal(p.mediaSequence, 1532);
    assert.equal(p.endList, false);
    assert.equal(p.encrypted, false);
    assert.deepEqual(
      p.segments.map((s) => [s.seq, s.durationUs, s.uri]),
      [
        [1532, 4_960_000, 'http://10.0.0.5:6878/ace/c/3c1a/1532.ts'],
        [1533, 5_040_000, 'http://10.0.0.5:6878/ace/c/3c1a/1533.ts'],
        [1534, 5_000_000, 'http://10.0.0.5:6878/ace/c/3c1a/1534.ts'],
      ],
    );
  });

  it('resolves relative URIs against the playlist URL (WHATWG URL)', () => {
    const text =
      '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\nseg/1.ts?x=1\n#EXTINF:4,\n../2.ts\n#EXTINF:4,\n//cdn.example/3.ts\n';
    const p = media(text, 'https://h.example/live/a/index.m3u8?token=9');
    assert.deepEqual(
      p.segments.map((s) => s.uri),
      ['https://h.example/live/a/seg/1.ts?x=1', 'https://h.example/live/2.ts', 'https://cdn.example/3.ts'],
    );
  });

  it('reads discontinuities, titles, dates, byte ranges, keys, maps and the end', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-VERSION:6',
      '#EXT-X-TARGETDURATION:6',
      '#EXT-X-MEDIA-SEQUENCE:7',
      '#EXT-X-DISCONTINUITY-SEQUENCE:2',
      '#EXT-X-PLAYLIST-TYPE:EVENT',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"',
      '#EXT-X-PROGRAM-DATE-TIME:2025-01-02T03:04:05.000+00:00',
      '#EXTINF:6.0,Live, with a comma',
      '#EXT-X-BYTERANGE:1000@720',
      'media.mp4',
      '#EXTINF:5.5,',
      '#EXT-X-BYTERANGE:2000',
      'media.mp4',
      '#EXT-X-KEY:METHOD=AES-128,URI="key.bin",IV=0x00000000000000000000000000000001',
      '#EXT-X-DISCONTINUITY',
      '#EXTINF:4,',
      'b.ts',
      '#EXT-X-KEY:METHOD=NONE',
      '#EXT-X-GAP',
      '#EXTINF:4,',
      'c.ts',
      '#EXT-X-ENDLIST',
    ].join('\n');
    const p = media(text);
    assert.equal(p.playlistType, 'EVENT');
    assert.equal(p.independentSegments, true);
    assert.equal(p.endList, true);
    assert.equal(p.encrypted, true);
    assert.equal(p.discontinuitySequence, 2);
    const [a, b, c, d] = p.segments;
    assert.equal(a!.title, 'Live, with a comma');
    assert.deepEqual(a!.byteRange, { offset: 720, length: 1000 });
    assert.deepEqual(b!.byteRange, { offset: 1720, length: 2000 }); // follows the previous range
    assert.equal(a!.map?.uri, 'http://10.0.0.5:6878/ace/m/0f1e2d3c4b5a69788796a5b4c3d2e1f001234567/init.mp4');
    assert.deepEqual(a!.map?.byteRange, { offset: 0, length: 720 });
    assert.equal(a!.programDateTimeMs, Date.UTC(2025, 0, 2, 3, 4, 5));
    assert.equal(b!.programDateTimeMs, Date.UTC(2025, 0, 2, 3, 4, 11)); // derived: + 6 s
    assert.equal(c!.programDateTimeMs, undefined); // dates do not cross a discontinuity
    assert.equal(a!.key, undefined);
    assert.equal(c!.key?.method, 'AES-128');
    assert.equal(c!.key?.iv, '0x00000000000000000000000000000001');
    assert.equal(d!.key, undefined);
    assert.deepEqual(
      p.segments.map((s) => [s.seq, s.discontinuity, s.discontinuitySequence, s.gap]),
      [
        [7, false, 2, false],
        [8, false, 2, false],
        [9, true, 3, false],
        [10, false, 3, true],
      ],
    );
  });

  it('derives a missing target duration from the longest EXTINF', () => {
    const p = media('#EXTM3U\n#EXTINF:4.4,\na.ts\n#EXTINF:6.6,\nb.ts\n');
    assert.equal(p.targetDuration, 7);
    assert.equal(media('#EXTM3U\n').targetDuration, 0);
    assert.equal(media('#EXTM3U\n#EXT-X-TARGETDURATION:10.0\n').targetDuration, 10);
  });
});

describe('parse: master playlists', () => {
  it('reads variants with quoted CODECS, RESOLUTION and bandwidths', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-STREAM-INF:BANDWIDTH=2128000,AVERAGE-BANDWIDTH=2000000,RESOLUTION=1280x720,CODECS="avc1.4d401f,mp4a.40.2",FRAME-RATE=25.000',
      'hi/index.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=640000, RESOLUTION=640x360',
      'http://other.example/lo.m3u8',
    ].join('\r\n');
    const r = parsePlaylist(text, 'http://h.example/live/master.m3u8');
    assert.ok(r.ok);
    const m = r.value as MasterPlaylist;
    assert.equal(m.kind, 'master');
    assert.equal(m.independentSegments, true);
    assert.deepEqual(m.variants[0], {
      uri: 'http://h.example/live/hi/index.m3u8',
      bandwidth: 2_128_000,
      averageBandwidth: 2_000_000,
      resolution: { width: 1280, height: 720 },
      codecs: ['avc1.4d401f', 'mp4a.40.2'],
      frameRate: 25,
    });
    assert.equal(m.variants[1]!.uri, 'http://other.example/lo.m3u8');
    assert.deepEqual(m.variants[1]!.resolution, { width: 640, height: 360 });
    assert.deepEqual(m.variants[1]!.codecs, []);
  });

  it('refuses a master playlist where a media playlist is required', () => {
    const r = parseMediaPlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n', ENGINE);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.code, 'SC_ERR_HLS_NO_MEDIA_PLAYLIST');
  });
});

describe('parse: refusals are typed data', () => {
  it('refuses each malformed shape with its own code', () => {
    refused('', 'SC_ERR_HLS_NOT_PLAYLIST');
    refused('<html>nope</html>', 'SC_ERR_HLS_NOT_PLAYLIST');
    refused('#EXTM3U\n#EXTINF:abc,\na.ts\n', 'SC_ERR_HLS_BAD_TAG');
    refused('#EXTM3U\n#EXTINF:-1,\na.ts\n', 'SC_ERR_HLS_BAD_TAG');
    refused('#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:x\n', 'SC_ERR_HLS_BAD_TAG');
    refused('#EXTM3U\n#EXTINF:4,\na.ts\n#EXT-X-MEDIA-SEQUENCE:3\n', 'SC_ERR_HLS_BAD_TAG');
    refused('#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k\n', 'SC_ERR_HLS_BAD_TAG');
    refused('#EXTM3U\n#EXT-X-BYTERANGE:12@x\n', 'SC_ERR_HLS_BAD_TAG');
    refused('#EXTM3U\n#EXT-X-STREAM-INF:RESOLUTION=1x1\nv.m3u8\n', 'SC_ERR_HLS_BAD_TAG');
    refused('#EXTM3U\na.ts\n', 'SC_ERR_HLS_MISSING_EXTINF');
    refused('#EXTM3U\n#EXTINF:4,\nhttp://[bad\n', 'SC_ERR_HLS_BAD_URI');
    refused('#EXTM3U\n', 'SC_ERR_HLS_BAD_URI', 'not a url');
    refused(
      '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXTINF:4,\na.ts\n',
      'SC_ERR_HLS_MIXED_PLAYLIST',
    );
    const big = parsePlaylist(`#EXTM3U\n${'#EXTINF:4,\na.ts\n'.repeat(100)}`, ENGINE, { maxChars: 100 });
    assert.equal(!big.ok && big.error.code, 'SC_ERR_HLS_TOO_LARGE');
  });

  it('reports the line of the problem', () => {
    const e = refused('#EXTM3U\n#EXT-X-TARGETDURATION:4\n\n#EXTINF:x,\na.ts\n', 'SC_ERR_HLS_BAD_TAG');
    assert.equal(e.line, 4);
  });

  it('never throws and never fails internally on arbitrary input (property)', () => {
    const pieces = fc.constantFrom(
      '#EXTM3U',
      '#EXTINF:',
      '#EXTINF:4.5,t',
      '#EXT-X-BYTERANGE:',
      '#EXT-X-KEY:METHOD=',
      '#EXT-X-MAP:URI="',
      '#EXT-X-STREAM-INF:BANDWIDTH=',
      '#EXT-X-MEDIA-SEQUENCE:',
      '#EXT-X-DISCONTINUITY',
      '#EXT-X-PROGRAM-DATE-TIME:',
      '#EXT-X-TARGETDURATION:',
      'a.ts',
      'http://[x',
      '"',
      ',',
      '=',
      '@',
      '\r\n',
      '\n',
      '\uFEFF',
      '99999999999999999999',
    );
    const input = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.array(fc.oneof(pieces, fc.string({ maxLength: 8 })), { maxLength: 40 }).map((a) => a.join('')),
    );
    fc.assert(
      fc.property(input, (text) => {
        const r = parsePlaylist(text, ENGINE);
        if (!r.ok) {
          assert.ok(r.error instanceof HlsParseError);
          assert.ok(r.error.code in HLS_ERROR_CODES);
          assert.notEqual(r.error.code, 'SC_ERR_HLS_INTERNAL', r.error.message);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
