// Channels play through their source lists: a dead first source (the engine refuses the content) is
// skipped, the second plays for TS and HLS viewers, and when it dies mid-play the channel moves to the
// third while TS clients keep their sockets and HLS gets a discontinuity. A URL source is fetched
// directly, once for many viewers.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type FileGateway, hlsPlaybackUrl, startCatalogGateway } from './support/file-gateway.js';
import { type GatewayProc, getJson, waitFor } from './support/gateway-proc.js';
import { fetchPlaylist, fetchSegment, poll } from './support/hls-tools.js';
import { refusal } from './support/refused.js';
import { checkTs, openTs } from './support/ts-reader.js';

const MEDIA_BYTES = 256 * 1024;
const DEADLINE_MS = 30_000;
const DEAD = 'a'.repeat(40);
const LIVE = 'b'.repeat(40);
const THIRD = 'c'.repeat(40);
const DIRECT = 'd'.repeat(40);
const HLS_DIRECT = '9'.repeat(40);

let sim: EngineSim;
let catalog: FileGateway;
let gw: GatewayProc;
let hlsUrl: string;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  sim.setFaults({ startError: 'content not found' }, DEAD);
  // An HLS URL source: an engine session's own playlist URL, fetched directly like any HLS origin.
  hlsUrl = await hlsPlaybackUrl(sim, HLS_DIRECT);
  catalog = await startCatalogGateway(
    sim,
    [
      {
        id: 'sports-1',
        number: 7,
        name: 'Sports 1',
        sources: [`acestream://${DEAD}`, LIVE, `infohash:${THIRD}`],
      },
      { id: 'direct', name: 'Direct', sources: [`${sim.url}/ace/getstream?id=${DIRECT}`] },
      { id: 'hls-direct', name: 'HLS direct', sources: [hlsUrl] },
    ],
    ['--shards', '2', '--failover-after', '2', '--hls-segment-seconds', '1'],
  );
  gw = catalog.gw;
});
after(async () => {
  await catalog?.stop();
  await sim?.close();
});

test('a dead first source is skipped; the channel moves on when the live one dies, clients keep sockets', async () => {
  const url = `${gw.url}/channel/sports-1.ts`;
  const clients = [openTs(url), openTs(url), openTs(url)];
  for (const c of clients) assert.ok(await c.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'TS viewers play');
  const hls = await poll(async () => {
    const r = await fetchPlaylist(`${gw.url}/channel/sports-1.m3u8`);
    return r.playlist && r.playlist.segments.length > 0 ? r.playlist : null;
  }, DEADLINE_MS);
  assert.ok(hls, 'the HLS viewer gets a playlist with segments');
  const seg = await fetchSegment(hls.segments.at(-1)!.uri);
  assert.equal(seg.status, 200);
  assert.ok(seg.ts.packets > 0 && seg.ts.syncErrors === 0, 'the segment is MPEG-TS');

  const first = (await getJson(`${gw.url}/api/v1/streams/ch-sports-1`)).body;
  assert.equal(first.key.type, 'channel');
  assert.equal(first.channel.id, 'sports-1');
  assert.equal(first.channel.active_source, 1, 'the second source plays');
  assert.equal(first.channel.sources[0].last_result, 'failed');
  assert.ok(first.channel.sources[0].penalty_seconds_left > 0, 'the dead source is penalised');
  assert.equal(sim.stats().faults.startErrors, 1, 'the dead id was asked for once');

  // The live source dies: its engine refuses it from now on and its connections drop.
  sim.setFaults({ startError: 'gone', zeroByteEof: true }, LIVE);
  sim.kill();
  let now: any = null;
  const moved = await waitFor(async () => {
    now = (await getJson(`${gw.url}/api/v1/streams/ch-sports-1`)).body;
    return now?.channel?.active_source === 2;
  }, DEADLINE_MS);
  assert.ok(moved, `the channel moved to the third source (${JSON.stringify(now?.channel)})`);
  for (const c of clients) {
    assert.ok(await c.waitBytes(c.received() + MEDIA_BYTES, DEADLINE_MS), 'media after the switch');
  }
  const after = await poll(async () => {
    const r = await fetchPlaylist(`${gw.url}/channel/sports-1.m3u8`);
    return r.playlist?.segments.some((s) => s.discontinuity) ? r.playlist : null;
  }, DEADLINE_MS);
  assert.ok(after, 'the HLS playlist marks the switch with EXT-X-DISCONTINUITY');
  const results = await Promise.all(clients.map((c) => c.close()));
  now = (await getJson(`${gw.url}/api/v1/streams/ch-sports-1`)).body;
  assert.equal(now.channel.sources[1].last_result, 'failed');
  assert.ok(now.generation >= 1, 'the ring moved to a new generation');
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.equal(r.closedByServer, false, 'clients kept their sockets');
    assert.equal(checkTs(r.bytes).syncErrors, 0, 'never spliced mid-packet');
  }
});

test('a URL source plays as a channel over one upstream connection for many viewers', async () => {
  const before = sim.stats().sessions.filter((s) => s.contentId === DIRECT).length;
  assert.equal(before, 0);
  const url = `${gw.url}/channel/direct.ts`;
  const clients = Array.from({ length: 100 }, () => openTs(url));
  for (const c of clients) assert.ok(await c.waitBytes(MEDIA_BYTES / 2, DEADLINE_MS), 'viewers play');
  const sessions = sim.stats().sessions.filter((s) => s.contentId === DIRECT);
  assert.equal(sessions.length, 1, 'one upstream session');
  assert.equal(sessions[0]!.connections, 1, 'one upstream connection');
  const body = (await getJson(`${gw.url}/api/v1/streams/ch-direct`)).body;
  assert.equal(body.channel.sources[0].kind, 'url');
  assert.equal(body.channel.sources[0].source, `${sim.url}/ace/getstream?…`, 'the URL query is not shown');
  await Promise.all(clients.map((c) => c.close()));
});

test('an HLS URL source plays as a channel', async () => {
  const c = openTs(`${gw.url}/channel/hls-direct.ts`);
  assert.ok(await c.waitBytes(MEDIA_BYTES / 2, DEADLINE_MS), 'the TS viewer plays');
  const got = await c.close();
  assert.equal(checkTs(got.bytes).syncErrors, 0);
  let body: any = null;
  // The owner's figures reach the API with its next stats report.
  await waitFor(async () => {
    body = (await getJson(`${gw.url}/api/v1/streams/ch-hls-direct`)).body;
    return body?.upstream != null;
  }, DEADLINE_MS);
  assert.equal(body.upstream, 'hls', 'ingested as an HLS upstream');
  assert.equal(
    sim.stats().sessions.filter((s) => s.contentId === HLS_DIRECT).length,
    1,
    'no engine session of its own',
  );
});

test('an unknown or malformed channel is a 404 and asks no engine', async () => {
  const starts = sim.stats().startRequests;
  for (const path of ['/channel/nope.ts', '/channel/nope.m3u8', '/channel/UPPER.ts', '/channel/x.mp4']) {
    const r = await refusal(`${gw.url}${path}`);
    assert.equal(r.status, 404, path);
    assert.equal(r.body.error.code, 'SC_ERR_CHANNEL_NOT_FOUND', path);
  }
  assert.equal(sim.stats().startRequests, starts);
});
