// The order in which a channel's sources are tried: list order, except that a source that failed is
// tried last until its penalty ends (then it is back in its place); results survive catalog reloads
// for sources still listed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Channel } from '../src/channels/catalog.js';
import { parseSource } from '../src/channels/source.js';
import { ChannelSources } from '../src/control/channel-sources.js';

const src = (c: string) => parseSource(c.repeat(40)).source!;
const CH: Channel = {
  id: 'sports',
  number: '1',
  name: 'Sports',
  group: null,
  logo: null,
  tvgId: null,
  sources: [src('a'), src('b'), src('c')],
};

test('failed sources go last for the penalty, the one whose penalty ends first first', () => {
  const s = new ChannelSources(600);
  s.set({ channels: [CH] });
  const none = new Set<number>();
  assert.deepEqual(s.order(CH.id, CH.sources, none, 0), [0, 1, 2]);
  s.failed(CH.id, CH.sources[0]!, 'refused', 1000);
  assert.deepEqual(s.order(CH.id, CH.sources, none, 2000), [1, 2, 0]);
  s.failed(CH.id, CH.sources[1]!, 'silent', 3000);
  assert.deepEqual(s.order(CH.id, CH.sources, none, 4000), [2, 0, 1]);
  assert.deepEqual(s.order(CH.id, CH.sources, new Set([2]), 4000), [0, 1], 'excluded ones are left out');
  // 600 s after its failure, a source is back in its place.
  assert.deepEqual(s.order(CH.id, CH.sources, none, 1000 + 600_000), [0, 2, 1]);
  s.succeeded(CH.id, CH.sources[1]!, 5000);
  assert.deepEqual(
    s.order(CH.id, CH.sources, none, 6000),
    [1, 2, 0],
    'a source that plays again is no longer penalised',
  );
  assert.equal(s.result(CH.id, CH.sources[0]!)?.reason, 'refused');
});

test('a reload keeps the results of sources still listed and forgets the others', () => {
  const s = new ChannelSources(600);
  s.set({ channels: [CH] });
  s.failed(CH.id, CH.sources[0]!, 'refused', 1000);
  s.failed(CH.id, CH.sources[2]!, 'refused', 1000);
  s.set({ channels: [{ ...CH, sources: [CH.sources[0]!, CH.sources[1]!] }] });
  assert.equal(s.result(CH.id, CH.sources[0]!)?.result, 'failed');
  assert.equal(s.result(CH.id, CH.sources[2]!), undefined);
});
