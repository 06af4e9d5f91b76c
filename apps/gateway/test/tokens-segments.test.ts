// A token limited to some channels gets the HLS segments of those channels only. Segment URLs are
// predictable (`/channel/hls/ch-<id>/<seq>.ts`, sequence numbers one apart), and a segment request was
// checked for a valid token but not for the stream: a token for "news" downloaded "sports" and any /ace
// stream segment by segment while their playlists answered 403 SC_ERR_TOKEN_FORBIDDEN.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type GatewayProc, getJson, waitFor } from './support/gateway-proc.js';
import { SPORTS_AND_NEWS, startTokensRig, type TokensRig } from './support/tokens-rig.js';

const DEADLINE_MS = 30_000;
const FULL = 'full-Secret-Token-1111';
const NEWS = 'news-Secret-Token-2222';
const ID = 'd'.repeat(40);

let rig: TokensRig;
let gw: GatewayProc;

before(async () => {
  rig = await startTokensRig({
    channels: SPORTS_AND_NEWS,
    tokens: [
      { token: FULL, name: 'full', max_clients: 10 },
      { token: NEWS, name: 'news-only', max_clients: 10, channels: ['news'] },
    ],
    args: ['--shards', '2'],
  });
  ({ gw } = rig);
});
after(async () => {
  await rig?.stop();
});

/** The newest segment URL (absolute, without its query) of an HLS playlist opened with `token`. */
async function newestSegment(master: string, base: string, token: string): Promise<string> {
  const variant = (await (await fetch(`${master}${master.includes('?') ? '&' : '?'}token=${token}`)).text())
    .trim()
    .split('\n')
    .at(-1);
  assert.ok(variant, 'a variant');
  let media = '';
  assert.ok(
    await waitFor(
      async () => {
        const r = await fetch(`${base}/${variant}`);
        media = await r.text();
        return r.status === 200 && media.includes('.ts');
      },
      DEADLINE_MS,
      200,
    ),
    `${master} lists a segment`,
  );
  const seg = media
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .at(-1);
  assert.ok(seg);
  return `${base}/${seg.replace(/\?.*$/, '')}`;
}

test('a token limited to some channels gets no segment of another stream', async () => {
  const sports = await newestSegment(`${gw.url}/channel/sports.m3u8`, `${gw.url}/channel`, FULL);
  const ace = await newestSegment(`${gw.url}/ace/manifest.m3u8?id=${ID}`, `${gw.url}/ace`, FULL);
  const news = await newestSegment(`${gw.url}/channel/news.m3u8`, `${gw.url}/channel`, NEWS);
  assert.equal((await fetch(`${sports}?token=${FULL}`)).status, 200, 'the full token gets sports');
  assert.equal((await fetch(`${news}?token=${NEWS}`)).status, 200, 'the news token gets news');
  for (const url of [sports, ace, sports.replace('/channel/hls/', '/ace/hls/')]) {
    for (const method of ['GET', 'HEAD']) {
      const r = await getJson(`${url}?token=${NEWS}`, { method });
      assert.equal(r.status, 403, `${method} ${url}`);
      if (method === 'GET') assert.equal(r.body.error.code, 'SC_ERR_TOKEN_FORBIDDEN');
    }
  }
});
