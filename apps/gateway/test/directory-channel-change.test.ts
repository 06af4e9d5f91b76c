// A catalog edit closes the stream of a channel whose sources changed. Viewers that were still waiting for
// that channel to open (an AceStream source can take many seconds to start) are opened anew on the new
// sources, or told the channel is gone; they used to get 404 "The stream was closed by an operator."
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonCatalog } from '../src/channels/catalog.js';
import { directoryRig } from './support/directory-rig.js';

const catalogOf = (channels: object[]) => {
  const parsed = parseJsonCatalog(JSON.stringify({ channels }));
  assert.ok(parsed.catalog, JSON.stringify(parsed));
  return parsed.catalog;
};

function setup() {
  const { dir, messages: sent } = directoryRig({ shards: 1, args: ['--ring-mb', '1'] });
  dir.channels.set(catalogOf([{ id: 'news', number: 1, name: 'News', sources: ['a'.repeat(40)] }]));
  const replies = (reqId: number) => sent.filter((m) => m.type === 'opened' && m.reqId === reqId);
  const owns = () => sent.filter((m) => m.type === 'own');
  return { dir, sent, replies, owns };
}

test('viewers waiting for a channel whose sources changed open on the new sources', () => {
  const { dir, replies, owns } = setup();
  dir.open(0, 1, { kind: 'channel', hex: 'news' });
  dir.open(0, 2, { kind: 'channel', hex: 'news' });
  const opening = [...dir.entries()][0];
  assert.ok(opening && opening.state === 'opening');
  // The operator replaces the dead source while the channel is still opening.
  dir.channels.set(catalogOf([{ id: 'news', number: 1, name: 'News', sources: ['b'.repeat(40)] }]));
  assert.ok(dir.closeChangedChannel(opening.id, 'channel changed'));
  assert.equal(opening.state, 'closing');
  assert.deepEqual([...replies(1), ...replies(2)], [], 'no error: they wait for the new stream');
  const reopened = [...dir.entries()];
  assert.equal(reopened.length, 1);
  assert.equal(reopened[0]?.state, 'opening');
  const own = owns().at(-1);
  assert.ok(own && own.type === 'own' && own.source?.source.kind === 'id');
  assert.equal(own.source.source.kind === 'id' && own.source.source.hex, 'b'.repeat(40), 'the new source');
  dir.ownerReady(reopened[0]!.id);
  for (const reqId of [1, 2]) {
    const [r] = replies(reqId);
    assert.ok(r && r.type === 'opened' && r.error === null, `viewer ${reqId} plays`);
  }
  dir.closeAll('test');
});

test('viewers waiting for a channel that left the catalog get 404 SC_ERR_CHANNEL_NOT_FOUND', () => {
  const { dir, replies } = setup();
  dir.open(0, 1, { kind: 'channel', hex: 'news' });
  const opening = [...dir.entries()][0];
  assert.ok(opening);
  dir.channels.set(catalogOf([{ id: 'other', number: 2, name: 'Other', sources: ['c'.repeat(40)] }]));
  dir.closeChangedChannel(opening.id, 'channel changed');
  const [r] = replies(1);
  assert.ok(r && r.type === 'opened' && r.error);
  assert.equal(r.error.code, 'SC_ERR_CHANNEL_NOT_FOUND');
  assert.equal(dir.size, 0);
  dir.closeAll('test');
});
