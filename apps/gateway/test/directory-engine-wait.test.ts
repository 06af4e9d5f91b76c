// With an engine supply (provisioning), an open that finds no room waits for an engine being started and
// opens on it once it is ready; when none can come it answers 503 SC_ERR_NO_ENGINE with the reason at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonCatalog } from '../src/channels/catalog.js';
import type { StreamKey } from '../src/stream-key.js';
import { directoryRig, RIG_ENGINE as ENGINE } from './support/directory-rig.js';

const key = (n: number) => ({ kind: 'id', hex: `${n}`.repeat(40).slice(0, 40) }) as const;
const NEWS = { id: 'news', number: 1, name: 'News', sources: [key(7).hex] };

function setup(reason: string | null, extra: string[] = []) {
  const rig = directoryRig({
    shards: 1,
    args: ['--ring-mb', '1', ...extra],
    maxStreamsPerEngine: 1,
    engine: { id: 'e1', source: 'docker' },
  });
  const { dir, engines, messages: sent } = rig;
  const supply = { reason, prompts: 0 };
  dir.setSupply({
    noRoomReason: () => supply.reason,
    prompt: () => {
      supply.prompts++;
    },
  });
  const replies = (reqId: number) => sent.filter((m) => m.type === 'opened' && m.reqId === reqId);
  // The channel catalog these channels make, set on the directory.
  const setChannels = (channels: readonly object[]) => {
    const parsed = parseJsonCatalog(JSON.stringify({ channels }));
    assert.ok(parsed.catalog, JSON.stringify(parsed));
    dir.channels.set(parsed.catalog);
    return parsed.catalog;
  };
  // Request 1 of shard 0 opens `k`, whose owner then reports it playing: the `own` message it got.
  const openLive = (k: StreamKey) => {
    dir.open(0, 1, k);
    const own = sent.find((m) => m.type === 'own' && m.key.kind === k.kind && m.key.hex === k.hex);
    assert.ok(own && own.type === 'own');
    dir.ownerReady(own.streamId);
    return own;
  };
  return { dir, engines, sent, supply, replies, setChannels, openLive };
}

test('an open with no room waits for the engine being started, then opens on it', () => {
  const { dir, engines, supply, replies, sent } = setup(null);
  dir.open(0, 1, key(1));
  assert.equal(dir.size, 1, 'the first stream took the only slot');
  dir.open(0, 2, key(2));
  dir.open(0, 3, key(2));
  assert.equal(replies(2).length + replies(3).length, 0, 'waiting, not refused');
  assert.equal(dir.pendingOpens, 1, 'one stream waits, with both requests');
  assert.ok(supply.prompts >= 1, 'the supply was told');
  engines.setLifecycle('e2', 'starting');
  engines.add({ id: 'e2', url: 'http://127.0.0.1:10', source: 'docker' });
  dir.retryPending();
  assert.equal(dir.pendingOpens, 1, 'a starting engine is not selectable');
  engines.setLifecycle('e2', 'ready');
  dir.retryPending();
  assert.equal(dir.pendingOpens, 0);
  const own = sent.find((m) => m.type === 'own' && m.key.hex === key(2).hex);
  assert.ok(own && own.type === 'own' && own.engine.id === 'e2', 'opened on the new engine');
  dir.closeAll('test over');
});

test('when no engine can come, the open answers 503 with the reason at once', () => {
  const { dir, replies } = setup('every engine is at its stream cap and the fleet is at --provision-max 4');
  dir.open(0, 1, key(1));
  dir.open(0, 2, key(2));
  const [r] = replies(2);
  assert.ok(r && r.type === 'opened' && r.error);
  assert.equal(r.error.code, 'SC_ERR_NO_ENGINE');
  assert.equal(
    r.error.message,
    'No engine has room for a new stream: every engine is at its stream cap and the fleet is at --provision-max 4.',
  );
  dir.closeAll('test over');
});

test('waiting opens fail with the reason once the supply gives up, and at shutdown', () => {
  const { dir, supply, replies } = setup(null);
  dir.open(0, 1, key(1));
  dir.open(0, 2, key(2));
  supply.reason = 'engine creation is paused after repeated failures (No such image: x)';
  dir.retryPending();
  const [r] = replies(2);
  assert.ok(r && r.type === 'opened' && r.error);
  assert.match(r.error.message, /paused after repeated failures/);
  supply.reason = null;
  dir.open(0, 3, key(3));
  dir.closeAll('shutdown');
  const [s] = replies(3);
  assert.ok(s && s.type === 'opened' && s.error);
  assert.equal(s.error.code, 'SC_ERR_SHUTTING_DOWN');
});

test('a channel with no engine room waits for the engine being started, like an /ace open', () => {
  const { dir, engines, supply, replies, sent, setChannels } = setup(null);
  setChannels([NEWS]);
  dir.open(0, 1, key(1));
  const channel = { kind: 'channel', hex: 'news' } as const;
  dir.open(0, 2, channel);
  dir.open(0, 3, channel);
  assert.equal(replies(2).length + replies(3).length, 0, 'waiting, not refused');
  assert.equal(dir.pendingOpens, 1, 'one channel waits, with both requests');
  assert.ok(supply.prompts >= 1);
  engines.add({ id: 'e2', url: 'http://127.0.0.1:10', source: 'docker' });
  dir.retryPending();
  assert.equal(dir.pendingOpens, 0);
  const own = sent.find((m) => m.type === 'own' && m.key.kind === 'channel');
  assert.ok(own && own.type === 'own' && own.engine.id === 'e2', 'the channel opened on the new engine');
  dir.closeAll('test over');
});

test('a channel that cannot get an engine answers 503 with the reason at once', () => {
  const { dir, replies, setChannels } = setup('the fleet is at --provision-max 1');
  setChannels([NEWS]);
  dir.open(0, 1, key(1));
  dir.open(0, 2, { kind: 'channel', hex: 'news' });
  const [r] = replies(2);
  assert.ok(r && r.type === 'opened' && r.error);
  assert.equal(r.error.code, 'SC_ERR_NO_ENGINE');
  assert.match(r.error.message, /--provision-max 1/);
  dir.closeAll('test over');
});

test('a waiting open whose requests all died with their shard waits no more: no stream opens for nobody', () => {
  const { dir, engines, sent } = setup(null);
  dir.open(0, 1, key(1));
  dir.open(0, 2, key(2));
  assert.equal(dir.pendingOpens, 1);
  dir.shardDown(0);
  assert.equal(dir.pendingOpens, 0, 'nobody waits for it any more (and no engine is wanted for it)');
  engines.add({ id: 'e2', url: 'http://127.0.0.1:10', source: 'docker' });
  dir.retryPending();
  assert.ok(!sent.some((m) => m.type === 'own' && m.key.hex === key(2).hex), 'no stream opened for it');
  dir.closeAll('test over');
});

test('an open that waited for an engine keeps its one open deadline: the wait is not added to it', async () => {
  const { dir, engines, replies } = setup(null, ['--open-timeout-seconds', '1']);
  dir.open(0, 1, key(1));
  dir.open(0, 2, key(2));
  await new Promise((r) => setTimeout(r, 600));
  engines.add({ id: 'e2', url: 'http://127.0.0.1:10', source: 'docker' });
  dir.retryPending();
  assert.equal(dir.pendingOpens, 0, 'opening on the new engine');
  // The owner never says ready: the open fails at 1 s from the request, not 1 s from the engine.
  await new Promise((r) => setTimeout(r, 600));
  const [r] = replies(2);
  assert.ok(r && r.type === 'opened' && r.error, 'answered within the deadline of the request');
  assert.equal(r.error.code, 'SC_ERR_OPEN_TIMEOUT');
  dir.closeAll('test over');
});

test('a channel open counts the opens waiting for an engine against --max-streams, like an /ace open', () => {
  const { dir, engines, replies, setChannels } = setup(null, ['--max-streams', '2']);
  setChannels([{ id: 'web', number: 1, name: 'Web', sources: ['http://127.0.0.1:11/live.ts'] }]);
  dir.open(0, 1, key(1)); // takes the only engine slot
  dir.open(0, 2, key(2)); // waits for an engine: 2 of 2 streams
  dir.open(0, 3, { kind: 'channel', hex: 'web' }); // a URL source needs no engine, but no stream is left
  const [r] = replies(3);
  assert.ok(r && r.type === 'opened' && r.error, 'refused');
  assert.equal(r.error.code, 'SC_ERR_STREAM_LIMIT');
  engines.add({ id: 'e2', url: 'http://127.0.0.1:10', source: 'docker' });
  dir.retryPending();
  assert.equal(dir.size, 2, 'never more streams than --max-streams');
  dir.closeAll('test over');
});

test('a live stream whose engine is gone waits for an engine, not for the gone address to answer again', () => {
  const { dir, engines, sent, openLive } = setup(null);
  const own = openLive(key(1));
  // Its container died with no other engine: main tells the owner, whose failover finds none.
  engines.remove('e1');
  dir.engineGone('e1');
  const mark = sent.length;
  dir.needEngine(own.streamId, { id: 'e1', url: ENGINE }, 'upstream failures');
  const answers = () => sent.slice(mark).filter((m) => m.type === 'engine' && m.streamId === own.streamId);
  // Answered null, the owner would reconnect to the gone engine's address, which a new container can take
  // over (provisioning reuses the port) while the stream stays counted on the gone engine.
  assert.deepEqual(answers(), [], 'no answer while no engine has room');
  assert.equal(dir.pendingOpens, 1, 'it counts as waiting, so provisioning sizes the fleet for it');
  engines.add({ id: 'e2', url: ENGINE, source: 'docker' });
  dir.retryPending();
  const [answer] = answers();
  assert.ok(answer && answer.type === 'engine' && answer.engine?.id === 'e2', 'moved to the new engine');
  assert.equal(dir.pendingOpens, 0);
  assert.equal(dir.byId(own.streamId)?.engine.id, 'e2');
  assert.equal(engines.get('e2')?.streams, 1, 'counted on the engine that carries it');
  dir.closeAll('test over');
});

test('a live channel whose engine is gone waits for one without failing its source again at every retry', () => {
  const { dir, engines, sent, setChannels, openLive } = setup(null);
  const catalog = setChannels([NEWS]);
  const source = catalog.channels[0]?.sources[0];
  assert.ok(source);
  const own = openLive({ kind: 'channel', hex: 'news' });
  assert.ok(own.engine.id === 'e1');
  engines.remove('e1');
  dir.engineGone('e1');
  const mark = sent.length;
  dir.needEngine(own.streamId, { id: 'e1', url: ENGINE }, 'upstream failures');
  const failedOnce = dir.channels.result('news', source);
  assert.equal(failedOnce?.reason, 'upstream failures');
  const answers = () => sent.slice(mark).filter((m) => m.type === 'engine' && m.streamId === own.streamId);
  for (let i = 0; i < 3; i++) dir.retryPending();
  assert.deepEqual(answers(), [], 'no answer while no engine has room');
  assert.deepEqual(dir.channels.result('news', source), failedOnce, 'asking again is no new failure');
  engines.add({ id: 'e2', url: ENGINE, source: 'docker' });
  dir.retryPending();
  const [answer] = answers();
  assert.ok(answer && answer.type === 'engine' && answer.engine?.id === 'e2', 'moved to the new engine');
  assert.equal(engines.get('e2')?.streams, 1, 'counted on the engine that carries it');
  dir.closeAll('test over');
});

test('a stream moved off a crashed shard while its engine is gone tells the new owner so (no start at that address)', () => {
  const { dir, engines, sent, openLive } = setup(null, ['--shards', '1']);
  const own = openLive(key(1));
  const moved = () => sent.filter((m) => m.type === 'own' && m.streamId === own.streamId).at(-1);
  dir.shardDown(0);
  const kept = moved();
  assert.ok(kept && kept.type === 'own' && kept.engineGone === undefined, 'its engine is still there');
  engines.remove('e1');
  dir.engineGone('e1');
  dir.shardDown(0);
  const gone = moved();
  assert.ok(gone && gone.type === 'own' && gone.engineGone === true, 'the new owner fails over at once');
  dir.closeAll('test over');
});

test('a drained engine keeps its streams until another engine has room (no restart on the same engine)', () => {
  const { dir, engines, sent, openLive } = setup(null);
  const own = openLive(key(1));
  const moves = () => sent.filter((m) => m.type === 'engineLost' && m.streamId === own.streamId);
  engines.setLifecycle('e1', 'draining');
  dir.engineGone('e1', true);
  assert.deepEqual(moves(), [], 'nowhere to go: it stays where it plays');
  engines.add({ id: 'e2', url: 'http://127.0.0.1:10', source: 'docker' });
  dir.engineGone('e1', true);
  assert.equal(moves().length, 1, 'moved once an engine has room');
  dir.closeAll('test over');
});
