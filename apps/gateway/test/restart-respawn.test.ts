// A shard crashes while streams are live (the real crash path, triggered by the test hook of
// src/shard/test-hooks.ts). After its respawn every new viewer of the live stream gets 200 on every shard:
// the respawned shard got the whole directory before it listened (segments, which a shard serves only
// from what main told it, prove that), and the stream's new owner keeps writing the same ring.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { fetchPlaylist } from './support/hls-tools.js';
import {
  freshGet,
  freshHlsViewer,
  type Hooks,
  testHooks,
  viewersUntilEveryShard,
} from './support/restart.js';
import { readTs } from './support/ts-reader.js';

const SHARDS = 2;
const ID = 'f3'.repeat(20);
let sim: EngineSim;
let gw: GatewayProc;
let hooks: Hooks;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  hooks = testHooks();
  gw = await startGateway(
    ['--engine', sim.url, '--shards', String(SHARDS), '--hls-segment-seconds', '1'],
    hooks.env,
  );
});
after(async () => {
  await gw?.stop();
  await sim?.close();
  hooks?.cleanup();
});

const all200 = (statuses: number[], what: string): void => {
  const bad = statuses.filter((s) => s !== 200);
  assert.deepEqual(bad, [], `${bad.length} of ${statuses.length} ${what} were not 200`);
};

test('after the owner shard crashes and respawns, every new viewer gets 200 on every shard', async () => {
  const tsUrl = `${gw.url}/ace/getstream?id=${ID}`;
  const hlsUrl = `${gw.url}/ace/manifest.m3u8?id=${ID}`;
  const first = await fetchPlaylist(hlsUrl);
  assert.equal(first.status, 200, first.text);
  const live = await getJson(`${gw.url}/api/v1/streams/${ID}`);
  assert.equal(live.body.state, 'live');
  const owner = live.body.owner_shard as number;

  hooks.crash(owner);
  const respawned = await waitFor(
    () => gw.logs.some((l) => l.msg === 'shard ready' && l.respawn === true && l.shard === owner),
    20_000,
  );
  assert.ok(respawned, `shard ${owner} respawned`);
  const moved = await getJson(`${gw.url}/api/v1/streams/${ID}`);
  assert.equal(moved.body.state, 'live', 'the stream outlived its owner');
  assert.notEqual(moved.body.owner_shard, owner, 'another shard owns it now');

  // Segments published after the crash, by the new owner, from the same ring.
  let segUrl = '';
  assert.ok(
    await waitFor(async () => {
      const p = await fetchPlaylist(hlsUrl);
      const last = p.playlist?.segments.at(-1);
      if (!last || last.uri === first.playlist?.segments.at(-1)?.uri) return false;
      segUrl = last.uri;
      return true;
    }, 15_000),
    'the new owner publishes segments',
  );
  const segs = await Promise.all(Array.from({ length: 20 }, () => freshGet(segUrl)));
  all200(
    segs.map((s) => s.status),
    'segment requests',
  );

  const ts = await viewersUntilEveryShard(
    gw.url,
    ID,
    SHARDS,
    async () => (await readTs(tsUrl, 800)).status,
    10,
    200,
  );
  all200(ts.statuses, 'TS viewers');
  assert.equal(ts.shards.size, SHARDS);
  const hls = await viewersUntilEveryShard(
    gw.url,
    ID,
    SHARDS,
    (i) => freshHlsViewer(hlsUrl, `respawn-player-${i}`),
    10,
    200,
  );
  all200(hls.statuses, 'playlist requests');
  assert.equal(hls.shards.size, SHARDS);
});

test('the engine session of a crashed owner is stopped by its successor (it would keep running unread)', async () => {
  const id = 'c7'.repeat(20);
  const sessionsOf = () => sim.stats().sessions.filter((s) => s.contentId === id);
  const reading = readTs(`${gw.url}/ace/getstream?id=${id}`, 20_000);
  assert.ok(
    await waitFor(
      async () => (await getJson(`${gw.url}/api/v1/streams/${id}`)).body?.state === 'live',
      10_000,
    ),
  );
  const live = await getJson(`${gw.url}/api/v1/streams/${id}`);
  const owner = live.body.owner_shard as number;
  const [before] = sessionsOf();
  assert.ok(before, 'one engine session');
  const respawns = gw.logs.filter((l) => l.msg === 'shard ready' && l.respawn === true).length;
  hooks.crash(owner);
  assert.ok(
    await waitFor(
      () => gw.logs.filter((l) => l.msg === 'shard ready' && l.respawn === true).length > respawns,
      20_000,
    ),
    `shard ${owner} respawned`,
  );
  // The new owner runs its own session; the dead owner's is stopped (command_url?method=stop), not left
  // to the engine's idle expiry.
  assert.ok(
    await waitFor(() => {
      const now = sessionsOf();
      return now.length === 1 && now[0]!.id !== before.id;
    }, 20_000),
    'only the new owner’s session runs on the engine',
  );
  assert.equal(sim.stats().sessionsExpired, 0);
  await reading;
});
