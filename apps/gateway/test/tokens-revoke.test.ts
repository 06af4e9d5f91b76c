// A reload of the tokens file is enforced on the players already playing, not only on new requests: the TS
// connections of a removed token are cut (the HDHomeRun tuner's streams too, which are TS), so are those of
// a token whose `channels` now leave their stream out, and a lowered `max_clients` cuts the newest
// connections beyond it, across shards. The players the new file still allows play on; HLS players of a
// removed or narrowed token are refused at their next playlist or segment request. Every cut client frees
// its token slot exactly once: the limits still hold afterwards, and a token listed again starts from zero.
// A shard that crashes and respawns after the reload enforces the new file too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type GatewayProc, getJson, waitFor } from './support/gateway-proc.js';
import { refusal } from './support/refused.js';
import { type Hooks, testHooks } from './support/restart.js';
import { SPORTS_AND_NEWS, startTokensRig, type TokensRig } from './support/tokens-rig.js';
import { type LiveTs, openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
/** How long a cut player may take to see its connection end (the cut itself takes milliseconds). */
const CUT_DEADLINE_MS = 10_000;
const MEDIA_BYTES = 64 * 1024;
const GONE = 'gone-Secret-Token-7001';
const NARROW = 'narrow-Secret-Token-7002';

let rig: TokensRig;
let gw: GatewayProc;
let hooks: Hooks;

before(async () => {
  hooks = testHooks();
  rig = await startTokensRig({
    channels: SPORTS_AND_NEWS,
    tokens: [
      { token: GONE, name: 'gone', max_clients: 4 },
      { token: NARROW, name: 'narrow', max_clients: 5 },
    ],
    args: ['--shards', '2'],
    env: hooks.env,
  });
  ({ gw } = rig);
});
after(async () => {
  await rig?.stop();
  hooks?.cleanup();
});

const ts = (token: string, channel: string): LiveTs =>
  openTs(`${gw.url}/channel/${channel}.ts?token=${token}`);

/** A player that plays: it has received media. */
async function playing(c: LiveTs, what: string): Promise<LiveTs> {
  assert.ok(await c.waitBytes(MEDIA_BYTES, DEADLINE_MS), `${what} plays`);
  return c;
}

/** True once the server has ended the player's connection (false: still open after `ms`). */
async function cutByServer(c: LiveTs, ms: number): Promise<boolean> {
  await c.waitBytes(Number.MAX_SAFE_INTEGER, ms);
  return (await c.close()).closedByServer;
}

/** An HLS player of `channel` under `token`: its media-playlist URL and its newest segment's URL. */
async function hlsPlayer(token: string, channel: string): Promise<{ poll: string; segment: string }> {
  const master = await fetch(`${gw.url}/channel/${channel}.m3u8?token=${token}`);
  assert.equal(master.status, 200);
  const poll = `${gw.url}/channel/${(await master.text()).trim().split('\n').at(-1)!}`;
  let media = '';
  assert.ok(
    await waitFor(
      async () => {
        const r = await fetch(poll);
        media = await r.text();
        return r.status === 200 && media.includes('.ts');
      },
      DEADLINE_MS,
      200,
    ),
    `the HLS player of ${channel} is counted and gets a playlist with a segment`,
  );
  const segment = media
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .at(-1)!;
  assert.equal((await fetch(`${gw.url}/channel/${segment}`)).status, 200, 'its segment plays');
  return { poll, segment: `${gw.url}/channel/${segment}` };
}

/** Resolves once a `tokens file reloaded` line was logged after `from`. */
async function reloaded(from: number): Promise<void> {
  assert.ok(
    await waitFor(() => gw.logs.slice(from).some((l) => l.msg === 'tokens file reloaded'), DEADLINE_MS),
    'the change was picked up',
  );
}

/** Resolves with the first `tokens reload enforced` line logged after `from`. */
async function enforced(from: number): Promise<Record<string, unknown>> {
  const find = () => gw.logs.slice(from).find((l) => l.msg === 'tokens reload enforced');
  assert.ok(await waitFor(() => find() !== undefined, DEADLINE_MS), 'the reload was enforced and logged');
  return find()!;
}

test('a reload cuts the connections of a removed token, of a narrowed channel list and over a lowered limit', async () => {
  // The removed token: a TS player, a TS player through its HDHomeRun tuner, an HLS player.
  const goneTs = await playing(ts(GONE, 'sports'), "the removed token's TS player");
  const lineup = await getJson(`${gw.url}/hdhr/${GONE}/lineup.json`);
  assert.equal(lineup.status, 200);
  const newsUrl = (lineup.body as Array<{ GuideName: string; URL: string }>).find(
    (e) => e.GuideName === 'News',
  )!.URL;
  const goneTuner = await playing(openTs(newsUrl), "the removed token's HDHomeRun stream");
  const goneHls = await hlsPlayer(GONE, 'sports');

  // The narrowed token: news (which it loses), then three sports players in a known order, and an HLS
  // player of news: five clients, its max_clients.
  const narrowNews = await playing(ts(NARROW, 'news'), "the narrowed token's news player");
  const first = await playing(ts(NARROW, 'sports'), 'the first sports player');
  const second = await playing(ts(NARROW, 'sports'), 'the second sports player');
  const newest = await playing(ts(NARROW, 'sports'), 'the newest sports player');
  const narrowHls = await hlsPlayer(NARROW, 'news');
  const full = await refusal(`${gw.url}/channel/sports.ts?token=${NARROW}`);
  assert.equal(full.status, 403, 'five clients: the narrowed token is at its limit before the reload');

  const from = gw.logs.length;
  // Written aside and renamed over the file, as an operator's tooling should.
  rig.writeTokens([{ token: NARROW, name: 'narrow', max_clients: 2, channels: ['sports'] }]);
  await reloaded(from);
  for (const [c, what] of [
    [goneTs, "the removed token's TS player"],
    [goneTuner, "the removed token's HDHomeRun stream"],
    [narrowNews, 'the player of a channel the token lost'],
    [newest, 'the newest player over the lowered limit'],
  ] as const)
    assert.ok(await cutByServer(c, CUT_DEADLINE_MS), `${what} is cut`);
  // One line says what the reload cut (counts, never a token).
  const line = await enforced(from);
  assert.equal(line.reason, 'file changed');
  assert.equal(line.cut, 4, 'two TS connections of the removed token, news, and the newest over the limit');
  assert.equal(line.cutOverLimit, 1);
  assert.equal(line.hlsSessionsEnded, 2, "the removed token's and the news HLS sessions");

  // The players the new file still allows play on.
  for (const c of [first, second]) {
    const got = c.received();
    assert.ok(await c.waitBytes(got + MEDIA_BYTES, DEADLINE_MS), 'an allowed player keeps receiving bytes');
  }

  // HLS players are checked at every request: the removed token's at once 401, the lost channel's 403.
  for (const url of [goneHls.poll, goneHls.segment]) {
    const r = await refusal(url);
    assert.equal(r.status, 401, url.replace(GONE, '<token>'));
    assert.equal(r.body.error.code, 'SC_ERR_TOKEN_REQUIRED');
  }
  for (const url of [narrowHls.poll, narrowHls.segment]) {
    const r = await refusal(url);
    assert.equal(r.status, 403, url.replace(NARROW, '<token>'));
    assert.equal(r.body.error.code, 'SC_ERR_TOKEN_FORBIDDEN');
  }

  // Slot accounting: the narrowed token counts exactly its two players (each cut client was released
  // once: one fewer would let a third in, one more would refuse the reconnect below).
  const third = await refusal(`${gw.url}/channel/sports.ts?token=${NARROW}`);
  assert.equal(third.status, 403, 'two players: the lowered limit holds');
  assert.equal(third.body.error.code, 'SC_ERR_TOKEN_LIMIT');
  await first.close();
  const reconnect = await playing(ts(NARROW, 'sports'), 'a reconnect into the freed place');
  const over = await refusal(`${gw.url}/channel/sports.ts?token=${NARROW}`);
  assert.equal(over.status, 403, 'and no more');

  // The removed token listed again: none of its clients is left counted (nor counted below zero).
  const readd = gw.logs.length;
  rig.writeTokens([
    { token: NARROW, name: 'narrow', max_clients: 2, channels: ['sports'] },
    { token: GONE, name: 'gone', max_clients: 1 },
  ]);
  await reloaded(readd);
  const back = await playing(ts(GONE, 'news'), 'the token listed again');
  const beyond = await refusal(`${gw.url}/channel/sports.ts?token=${GONE}`);
  assert.equal(beyond.status, 403, 'its one place is taken by its one player');
  assert.equal(beyond.body.error.code, 'SC_ERR_TOKEN_LIMIT');

  for (const c of [second, reconnect, back]) assert.equal((await c.close()).closedByServer, false);
});

test('a shard that crashes and respawns after a reload enforces the new file', async () => {
  const from = gw.logs.length;
  rig.writeTokens([{ token: NARROW, name: 'narrow', max_clients: 2, channels: ['sports'] }]);
  await reloaded(from);
  const respawns = gw.logs.filter((l) => l.msg === 'shard ready' && l.respawn === true).length;
  hooks.crash(1);
  assert.ok(
    await waitFor(
      () => gw.logs.filter((l) => l.msg === 'shard ready' && l.respawn === true).length > respawns,
      DEADLINE_MS,
    ),
    'shard 1 respawned',
  );
  // Fresh connections land on either shard: every one of them is refused, the respawned shard's too.
  for (let i = 0; i < 16; i++) {
    for (const [token, channel, status] of [
      [GONE, 'sports', 401],
      [NARROW, 'news', 403],
    ] as const) {
      const c = ts(token, channel);
      assert.equal((await c.response).status, status, `${channel} under a ${status} token, try ${i}`);
      await c.close();
    }
  }
  const allowed = await playing(ts(NARROW, 'sports'), 'the narrowed token on its channel');
  await allowed.close();
});

test('no token appears in any log line', () => {
  const text = gw.logs.map((l) => JSON.stringify(l)).join('\n');
  assert.ok(text.includes('tokens reload enforced'));
  for (const secret of [GONE, NARROW]) assert.equal(text.includes(secret), false, 'a token was logged');
});
