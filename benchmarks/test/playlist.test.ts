// The HLS players' playlist parser (RFC 8216 §4.3): media sequence numbering, durations, multivariant.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parsePlaylist } from '../src/players/playlist.js';

test('a live media playlist: target duration, sequence numbers, durations', () => {
  const pl = parsePlaylist(
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:41\n' +
      '#EXT-X-DISCONTINUITY-SEQUENCE:0\n#EXTINF:4.000,\nhls/a/41.ts\n#EXT-X-DISCONTINUITY\n#EXTINF:3.960,\nhls/a/42.ts\n',
  );
  assert.equal(pl.kind, 'media');
  if (pl.kind !== 'media') return;
  assert.equal(pl.targetDurationS, 6);
  assert.equal(pl.endList, false);
  assert.deepEqual(pl.segments, [
    { seq: 41, uri: 'hls/a/41.ts', durationS: 4 },
    { seq: 42, uri: 'hls/a/42.ts', durationS: 3.96 },
  ]);
});

test('a multivariant playlist yields its first variant; junk is an error value', () => {
  const mv = parsePlaylist('#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nlow/index.m3u8\n');
  assert.deepEqual(mv, { kind: 'multivariant', variantUri: 'low/index.m3u8' });
  assert.equal(parsePlaylist('<html>').kind, 'error');
  assert.equal(parsePlaylist('#EXTM3U\n#EXTINF:4,\na.ts\n').kind, 'error'); // no target duration
});
