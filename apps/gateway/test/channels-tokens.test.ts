// Player tokens: a missing, wrong, over-limit or out-of-scope token gets its status and JSON before any
// upstream is touched; playlists carry the token into every URL they list (M3U, HLS variant, segments,
// HDHomeRun); the client limit holds for TS clients and HLS sessions together; no token ever reaches a log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { EngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, waitFor } from './support/gateway-proc.js';
import { refusal } from './support/refused.js';
import { SPORTS_AND_NEWS, startTokensRig, type TokensRig } from './support/tokens-rig.js';
import { openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;

const ALICE = 'alice-Secret-Token-1234';
const BOB = 'bob.Secret.Token.5678';
const ID = 'e'.repeat(40);

let rig: TokensRig;
let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  rig = await startTokensRig({
    channels: SPORTS_AND_NEWS,
    tokens: [
      { token: ALICE, name: 'alice', max_clients: 2 },
      { token: BOB, name: 'bob', channels: ['news'] },
    ],
    args: ['--shards', '2', '--log-level', 'debug'],
  });
  ({ sim, gw } = rig);
});
after(async () => {
  await rig?.stop();
});

test('a missing or wrong token is a 401 and touches no upstream', async () => {
  const starts = sim.stats().startRequests;
  for (const path of [
    `/ace/getstream?id=${ID}`,
    `/ace/getstream?id=${ID}&token=wrong-token-000`,
    `/ace/manifest.m3u8?id=${ID}`,
    `/ace/hls/${ID}/1.ts`,
    '/channel/sports.ts',
    `/channel/sports.m3u8?token=${ALICE}x`,
    '/playlist.m3u',
    '/discover.json',
    '/lineup.json?token=nope-nope-nope',
    '/hdhr/wrong-token-000/lineup.json',
  ]) {
    const r = await refusal(`${gw.url}${path}`);
    assert.equal(r.status, 401, path);
    assert.equal(r.body.error.code, 'SC_ERR_TOKEN_REQUIRED', path);
  }
  assert.equal(sim.stats().startRequests, starts, 'no engine was asked');
});

test('max_clients counts TS clients and HLS sessions; over it is a 403', async () => {
  const url = `${gw.url}/channel/sports.ts?token=${ALICE}`;
  const a = openTs(url);
  assert.ok(await a.waitBytes(64 * 1024, DEADLINE_MS), 'first client plays');
  // An HLS session is the second client: its variant and segment URLs carry the token.
  const master = await fetch(`${gw.url}/channel/sports.m3u8?token=${ALICE}`);
  const variant = (await master.text()).trim().split('\n').at(-1)!;
  assert.match(variant, new RegExp(`^sports\\.m3u8\\?session=[A-Za-z0-9_-]+&token=${ALICE}$`));
  const variantUrl = `${gw.url}/channel/${variant}`;
  let media = '';
  assert.ok(
    await waitFor(
      async () => {
        const r = await fetch(variantUrl);
        media = await r.text();
        return r.status === 200 && media.includes('.ts');
      },
      DEADLINE_MS,
      200,
    ),
    'the HLS session gets its playlist',
  );
  const segs = media.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.ok(
    segs.length > 0 && segs.every((l) => l.endsWith(`.ts?token=${ALICE}`)),
    'segments carry the token',
  );
  assert.equal((await fetch(`${gw.url}/channel/${segs.at(-1)}`)).status, 200);
  const bare = await getJson(`${gw.url}/channel/${segs.at(-1)!.replace(/\?.*$/, '')}`);
  assert.equal(bare.status, 401, 'a segment without the token is refused');

  const third = await refusal(url);
  assert.equal(third.status, 403);
  assert.equal(third.body.error.code, 'SC_ERR_TOKEN_LIMIT');
  const hls = await getJson(`${gw.url}/channel/sports.m3u8?session=anotherSession1&token=${ALICE}`);
  assert.equal(hls.status, 403, 'a new HLS session over the limit');
  assert.equal(hls.body.error.code, 'SC_ERR_TOKEN_LIMIT');
  // The first client leaves: its slot is free again.
  await a.close();
  // The server sees the close a moment later: retry until the slot is free (a 403 until then).
  let b: ReturnType<typeof openTs> | null = null;
  const freed = await waitFor(
    async () => {
      const c = openTs(url);
      if ((await c.response).status === 200) {
        b = c;
        return true;
      }
      await c.close();
      return false;
    },
    DEADLINE_MS,
    100,
  );
  assert.ok(freed && b, 'a slot frees when a client leaves');
  const got = b as ReturnType<typeof openTs>;
  assert.ok(await got.waitBytes(64 * 1024, DEADLINE_MS), 'a client plays once a slot is free');
  await got.close();
});

test('a token limited to some channels plays only those and lists only those', async () => {
  const sports = await refusal(`${gw.url}/channel/sports.ts?token=${BOB}`);
  assert.equal(sports.status, 403);
  assert.equal(sports.body.error.code, 'SC_ERR_TOKEN_FORBIDDEN');
  assert.equal((await refusal(`${gw.url}/ace/getstream?id=${ID}&token=${BOB}`)).status, 403);
  const m3u = await (await fetch(`${gw.url}/playlist.m3u?token=${BOB}`)).text();
  const urls = m3u.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.deepEqual(urls, [`${gw.url}/channel/news.ts?token=${BOB}`]);
  const news = openTs(urls[0]!);
  assert.ok(await news.waitBytes(64 * 1024, DEADLINE_MS));
  await news.close();
});

test('playlists and the HDHomeRun tuner carry the token into every URL', async () => {
  const m3u = await (await fetch(`${gw.url}/playlist.m3u?format=hls&token=${ALICE}`)).text();
  const urls = m3u.split('\n').filter((l) => l && !l.startsWith('#'));
  assert.equal(urls.length, 2);
  for (const u of urls) assert.ok(u.endsWith(`.m3u8?token=${ALICE}`), u);
  const d = (await getJson(`${gw.url}/hdhr/${ALICE}/discover.json`)).body;
  assert.equal(d.BaseURL, `${gw.url}/hdhr/${ALICE}`);
  const lineup = (await getJson(d.LineupURL)).body;
  for (const e of lineup) assert.ok(e.URL.endsWith(`.ts?token=${ALICE}`), e.URL);
  assert.equal((await getJson(`${gw.url}/discover.json?token=${ALICE}`)).status, 200);
});

test('no token appears in any log line', async () => {
  // Let the last stats and client events land in the log.
  await new Promise((r) => setTimeout(r, 1500));
  const text = gw.logs.map((l) => JSON.stringify(l)).join('\n');
  assert.ok(text.length > 0);
  for (const secret of [ALICE, BOB]) assert.equal(text.includes(secret), false, 'a token was logged');
});
