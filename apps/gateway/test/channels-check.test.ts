// POST /api/v1/channels/<id>/check tries each source of a channel for a few seconds and reports per source
// (answered, PAT/PMT, keyframe, bitrate, codecs, resolution), on sessions of its own: a playing channel's
// viewers and its engine session are not touched, and the check's own sessions are stopped afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
const KEY = 'check-key-for-tests';
const AUTH = { 'X-API-Key': KEY };
const DEAD = 'a'.repeat(40);
const LIVE = 'b'.repeat(40);
const URL_ID = 'c'.repeat(40);
const HLS_ID = 'e'.repeat(40);
const MEDIA_BYTES = 256 * 1024;

let sim: EngineSim;
let gw: GatewayProc;
let dir: string;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  sim.setFaults({ startError: 'content not found' }, DEAD);
  const started = (await (await fetch(`${sim.url}/ace/manifest.m3u8?id=${HLS_ID}&format=json`)).json()) as {
    response: { playback_url: string };
  };
  dir = mkdtempSync(join(tmpdir(), 'sc-check-'));
  const file = join(dir, 'channels.json');
  writeFileSync(
    file,
    JSON.stringify({
      channels: [
        {
          id: 'mixed',
          name: 'Mixed',
          sources: [
            `acestream://${DEAD}`,
            LIVE,
            `${sim.url}/ace/getstream?id=${URL_ID}`,
            started.response.playback_url,
            'http://127.0.0.1:9/nothing-listens-here.ts',
          ],
        },
      ],
    }),
  );
  gw = await startGateway(['--engine', sim.url, '--channels', file, '--api-key', KEY, '--shards', '2']);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const check = (id: string, headers: Record<string, string> = AUTH) =>
  getJson(`${gw.url}/api/v1/channels/${id}/check`, { method: 'POST', headers });

test('without the API key the check is a 401 and asks no engine', async () => {
  const before = sim.stats().startRequests;
  const r = await check('mixed', {});
  assert.equal(r.status, 401);
  assert.equal(r.body.error.code, 'SC_ERR_UNAUTHORIZED');
  const wrong = await check('mixed', { 'X-API-Key': 'not-the-key' });
  assert.equal(wrong.status, 401);
  assert.equal(sim.stats().startRequests, before);
});

test('an unknown channel is a 404 JSON answer', async () => {
  const r = await check('no-such-channel');
  assert.equal(r.status, 404);
  assert.equal(r.body.error.code, 'SC_ERR_CHANNEL_NOT_FOUND');
  const get = await getJson(`${gw.url}/api/v1/channels/mixed/check`, { headers: AUTH });
  assert.equal(get.status, 405, 'a check is a POST');
});

test('each source is reported: dead id, live id, TS URL, HLS URL, a URL that refuses', async () => {
  const r = await check('mixed');
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const body = r.body;
  assert.equal(body.channel, 'mixed');
  assert.equal(body.ok, true);
  assert.equal(body.sources.length, 5);
  const [dead, live, url, hls, refused] = body.sources;

  assert.equal(dead.index, 0);
  assert.equal(dead.source, `acestream://${DEAD}`);
  assert.equal(dead.ok, false);
  assert.equal(dead.answered, false);
  assert.match(dead.error, /content not found/);
  assert.equal(dead.engine, sim.url);
  assert.equal(dead.bytes, 0);

  for (const s of [live, url, hls]) {
    assert.equal(s.ok, true, JSON.stringify(s));
    assert.equal(s.answered, true);
    assert.equal(s.error, null);
    assert.equal(s.pat_pmt, true);
    assert.equal(s.keyframe, true);
    assert.ok(s.bytes > 0);
    assert.ok(s.bitrate_kbps > 0, `a bitrate (${s.bitrate_kbps})`);
    assert.equal(s.video.codec, 'h264');
    assert.ok(s.video.width > 0 && s.video.height > 0, 'a resolution');
    assert.ok(s.audio?.codec, 'an audio codec');
    assert.ok(s.first_byte_ms !== null && s.first_byte_ms <= s.checked_ms);
    assert.ok(s.checked_ms <= 5000, 'each source is tried for a few seconds at most');
  }
  assert.equal(live.kind, 'id');
  assert.equal(live.engine, sim.url);
  assert.equal(live.upstream, 'ts');
  assert.equal(url.kind, 'url');
  assert.equal(url.engine, null);
  assert.equal(url.upstream, 'ts');
  assert.equal(url.source, `${sim.url}/ace/getstream?…`, 'a URL is shown without its query');
  assert.equal(hls.upstream, 'hls');

  assert.equal(refused.ok, false);
  assert.equal(refused.answered, false);
  assert.equal(refused.bytes, 0);
  assert.ok(refused.error.length > 0);
  assert.ok(!refused.error.includes('127.0.0.1:9'), 'errors carry no source URL');

  // The check's engine sessions are stopped afterwards (the sim reports them stopped).
  assert.ok(
    await waitFor(
      () => !sim.stats().sessions.some((s) => s.pid?.startsWith('check-') && s.connections > 0),
      DEADLINE_MS,
    ),
    'no check connection is left open',
  );
  assert.ok(sim.stats().sessionsStopped >= 1, 'the live source check session was stopped');
});

test('a check beside a playing channel leaves its viewers and its engine session alone', async () => {
  const viewer = openTs(`${gw.url}/channel/mixed.ts`);
  assert.ok(await viewer.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'the channel plays');
  const playing = (await getJson(`${gw.url}/api/v1/streams/ch-mixed`)).body;
  assert.equal(playing.channel.active_source, 1, 'the live id plays');
  const session = () =>
    sim.stats().sessions.find((s) => s.contentId === LIVE && !s.pid?.startsWith('check-'));
  const before = session();
  assert.ok(before && before.connections === 1, 'one engine connection for the channel');

  const r = await check('mixed');
  assert.equal(r.status, 200);
  assert.equal(r.body.sources[1].ok, true);
  assert.equal(r.body.sources[0].ok, false);

  const now = session();
  assert.equal(now?.id, before.id, 'the playing session is the same one');
  assert.equal(now?.connections, 1, 'still connected');
  const got = viewer.received();
  assert.ok(await viewer.waitBytes(got + MEDIA_BYTES, DEADLINE_MS), 'the viewer keeps playing');
  const still = (await getJson(`${gw.url}/api/v1/streams/ch-mixed`)).body;
  assert.equal(still.channel.active_source, 1);
  assert.equal(still.channel.source_switches, playing.channel.source_switches, 'the channel did not switch');
  assert.equal(still.channel.sources[1].last_result, 'ok', "the check did not touch the source's result");
  const closed = await viewer.close();
  assert.equal(closed.closedByServer, false);
});
