// The one-variant multivariant playlist the gateway answers a player's first request with: it parses as
// a master playlist whose variant is the URI given, and bad input is refused, never rendered.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HlsError, parsePlaylist, renderMultivariantPlaylist } from '../src/index.js';

test('renders a master playlist that parses back to its one variant', () => {
  const text = renderMultivariantPlaylist({ uri: 'manifest.m3u8?id=ab&session=s1', bandwidth: 1_500_000 });
  assert.equal(
    text,
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-STREAM-INF:BANDWIDTH=1500000\nmanifest.m3u8?id=ab&session=s1\n',
  );
  const parsed = parsePlaylist(text, 'http://gw.test/ace/manifest.m3u8?id=ab');
  assert.ok(parsed.ok);
  assert.equal(parsed.value.kind, 'master');
  if (parsed.value.kind !== 'master') return;
  assert.equal(parsed.value.variants.length, 1);
  assert.equal(parsed.value.variants[0]!.bandwidth, 1_500_000);
  assert.equal(parsed.value.variants[0]!.uri, 'http://gw.test/ace/manifest.m3u8?id=ab&session=s1');
});

test('a line break in the URI or a bad BANDWIDTH is refused', () => {
  assert.throws(() => renderMultivariantPlaylist({ uri: 'a\n#EXT-X-ENDLIST', bandwidth: 1 }), HlsError);
  for (const bandwidth of [0, -1, 1.5, Number.NaN]) {
    assert.throws(() => renderMultivariantPlaylist({ uri: 'a', bandwidth }), HlsError);
  }
});
