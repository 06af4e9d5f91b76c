// HLS viewers are sessions, counted once gateway-wide. A player's first request gets a multivariant
// playlist whose variant URI carries a new session; its reloads of that URI name it on any shard and any
// connection. A host that varies its user agent cannot inflate the count past the per-address bound.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { parsePlaylist } from '@shardcast/hls';
import { Agent, fetch } from 'undici';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';

const PER_ADDRESS = 5;
let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway([
    ...['--engine', sim.url, '--shards', '2', '--hls-segment-seconds', '2'],
    ...['--hls-viewer-timeout-seconds', '60', '--hls-sessions-per-address', String(PER_ADDRESS)],
  ]);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

/** One request on a connection of its own (so the kernel may pick any shard). */
async function once(url: string, userAgent = 'test-player'): Promise<{ status: number; text: string }> {
  const agent = new Agent({ connections: 1, pipelining: 0 });
  try {
    const r = await fetch(url, { dispatcher: agent, headers: { 'User-Agent': userAgent } });
    return { status: r.status, text: await r.text() };
  } finally {
    await agent.close();
  }
}

/** The variant URL of the gateway's multivariant answer. */
async function variantOf(url: string, userAgent?: string): Promise<string> {
  const r = await once(url, userAgent);
  assert.equal(r.status, 200);
  const p = parsePlaylist(r.text, url);
  assert.ok(p.ok && p.value.kind === 'master', 'a multivariant playlist');
  assert.ok(p.value.kind === 'master' && p.value.variants.length === 1);
  const uri = p.value.kind === 'master' ? p.value.variants[0]!.uri : '';
  assert.match(uri, /[?&]session=[A-Za-z0-9_-]{8,64}$/);
  return uri;
}

test('the first answer is a multivariant playlist; each player gets its own session', async () => {
  const url = `${gw.url}/ace/manifest.m3u8?id=${'5e'.repeat(20)}`;
  const a = await variantOf(url);
  const b = await variantOf(url);
  assert.notEqual(a, b, 'two players, two sessions');
  const media = await once(a);
  assert.equal(media.status, 200);
  assert.match(media.text, /#EXT-X-TARGETDURATION:/, 'the variant is the live media playlist');
  const bad = await getJson(`${url}&session=x`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error.code, 'SC_ERR_BAD_PARAM');
});

test('a player whose polls land on both shards counts once', async () => {
  const id = '6e'.repeat(20);
  const variant = await variantOf(`${gw.url}/ace/manifest.m3u8?id=${id}`);
  // Poll on fresh connections until both shards have answered this session.
  let body: any = null;
  const both = await waitFor(
    async () => {
      assert.equal((await once(variant)).status, 200);
      body = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
      const shards = (body?.clients?.by_shard ?? []) as Array<{ hls_viewers: number }>;
      return shards.filter((s) => s.hls_viewers > 0).length === 2;
    },
    30_000,
    100,
  );
  assert.ok(both, 'both shards served the player');
  assert.equal(body.clients.hls, 1, 'one viewer gateway-wide');
});

test('many user agents from one address count no more than the per-address bound', async () => {
  const id = '7e'.repeat(20);
  const url = `${gw.url}/ace/manifest.m3u8?id=${id}`;
  // Twenty "players" from 127.0.0.1, each with its own user agent, each following its variant.
  for (let i = 0; i < 20; i++) {
    const ua = `player-${i}`;
    const media = await once(await variantOf(url, ua), ua);
    assert.equal(media.status, 200, 'every player is served, counted or not');
  }
  let counted = -1;
  await waitFor(async () => {
    counted = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body.clients.hls;
    return counted >= PER_ADDRESS;
  }, 10_000);
  // Each shard counts at most PER_ADDRESS sessions of one address; two shards.
  assert.ok(counted >= PER_ADDRESS && counted <= 2 * PER_ADDRESS, `${counted} viewers counted`);
  assert.equal(sim.stats().sessionsStarted, 3, 'one engine session per stream, whatever the players');
});
