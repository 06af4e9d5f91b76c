// URL sources the way IPTV providers serve them: a TS or HLS URL that answers 302 to an edge host, an HLS
// playlist whose relative segment URIs resolve against the redirected URL (RFC 8216 §4.1), and a playlist
// whose segments are absolute URLs on another host (a CDN). A redirect loop and a Location with credentials
// fail that source, and the channel moves to its next one. The provider is two small servers with one
// route table: A on 127.0.0.1 (the listed host) and B on 127.0.0.2 (the edge / CDN), in front of the
// engine simulator's media.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type FileGateway, hlsPlaybackUrl, startCatalogGateway } from './support/file-gateway.js';
import { type GatewayProc, getJson, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

const MEDIA_BYTES = 256 * 1024;
const DEADLINE_MS = 30_000;
const TS_ID = '1'.repeat(40);
const HLS_REL = '2'.repeat(40);
const HLS_CDN = '3'.repeat(40);
const FALLBACK = '4'.repeat(40);
const SECRET = 's3cret';
const KEY = 'redirect-key-for-tests';

let sim: EngineSim;
let catalog: FileGateway;
let gw: GatewayProc;
let a: Server;
let b: Server;
let aUrl: string;
let bUrl: string;
/** Request paths each provider host saw. */
const seen: Record<'a' | 'b', string[]> = { a: [], b: [] };
const playlists = new Map<string, string>();

/** The simulator's live playlist of `id`, its segment lines rewritten by `line(path after /ace/c/)`. */
async function playlist(id: string, line: (rest: string) => string): Promise<string> {
  const text = await (await fetch(playlists.get(id)!)).text();
  return text
    .split('\n')
    .map((l) => (l === '' || l.startsWith('#') ? l : line(new URL(l).pathname.slice('/ace/c/'.length))))
    .join('\n');
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': 0 });
  res.end();
}

async function route(host: 'a' | 'b', req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? '';
  seen[host].push(path);
  const m3u8 = { 'content-type': 'application/vnd.apple.mpegurl' };
  if (host === 'a' && path === '/live/u/p/1.ts') return redirect(res, `${sim.url}/ace/getstream?id=${TS_ID}`);
  if (host === 'a' && path === '/live/u/p/2.m3u8') return redirect(res, `${bUrl}/hls/tok/index.m3u8`);
  if (host === 'b' && path === '/hls/tok/index.m3u8') {
    res.writeHead(200, m3u8);
    res.end(await playlist(HLS_REL, (rest) => `seg/${rest}`));
    return;
  }
  if (host === 'a' && path === '/cdn.m3u8') {
    res.writeHead(200, m3u8);
    res.end(await playlist(HLS_CDN, (rest) => `${bUrl}/cdn/seg/${rest}`));
    return;
  }
  const seg = /^\/(?:hls\/tok|cdn)\/seg\/(.+)$/.exec(path);
  if (host === 'b' && seg) {
    const r = await fetch(`${sim.url}/ace/c/${seg[1]}`);
    res.writeHead(r.status, { 'content-type': 'video/mp2t' });
    res.end(Buffer.from(await r.arrayBuffer()));
    return;
  }
  if (host === 'a' && path === '/loop.ts') return redirect(res, '/loop.ts');
  if (host === 'a' && path === '/creds.ts') {
    const sim2 = new URL(sim.url);
    return redirect(res, `http://user:${SECRET}@${sim2.host}/ace/getstream?id=${FALLBACK}`);
  }
  res.writeHead(404, { 'content-length': 0 });
  res.end();
}

async function listen(host: 'a' | 'b', address: string): Promise<[Server, string]> {
  const server = createServer((req, res) => {
    route(host, req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  return [server, `http://${address}:${(server.address() as AddressInfo).port}`];
}

before(async () => {
  sim = await startEngineSim({ port: 0 });
  for (const id of [HLS_REL, HLS_CDN]) playlists.set(id, await hlsPlaybackUrl(sim, id));
  [a, aUrl] = await listen('a', '127.0.0.1');
  [b, bUrl] = await listen('b', '127.0.0.2');
  const fallback = `${sim.url}/ace/getstream?id=${FALLBACK}`;
  catalog = await startCatalogGateway(
    sim,
    [
      { id: 'redirect-ts', name: 'Redirected TS', sources: [`${aUrl}/live/u/p/1.ts`] },
      { id: 'redirect-hls', name: 'Redirected HLS', sources: [`${aUrl}/live/u/p/2.m3u8`] },
      { id: 'cdn-hls', name: 'CDN HLS', sources: [`${aUrl}/cdn.m3u8`] },
      { id: 'loop', name: 'Loop', sources: [`${aUrl}/loop.ts`, fallback] },
      { id: 'creds', name: 'Credentials', sources: [`${aUrl}/creds.ts`, fallback] },
      {
        id: 'checked',
        name: 'Checked',
        sources: [`${aUrl}/live/u/p/1.ts`, `${aUrl}/live/u/p/2.m3u8`, `${aUrl}/cdn.m3u8`, `${aUrl}/loop.ts`],
      },
    ],
    ['--shards', '1', '--failover-after', '2', '--api-key', KEY],
  );
  gw = catalog.gw;
});
after(async () => {
  await catalog?.stop();
  for (const s of [a, b]) {
    s?.closeAllConnections();
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
  await sim?.close();
});

async function plays(channel: string): Promise<void> {
  const c = openTs(`${gw.url}/channel/${channel}.ts`);
  assert.ok(await c.waitBytes(MEDIA_BYTES, DEADLINE_MS), `${channel} plays`);
  const got = await c.close();
  assert.equal(got.status, 200);
  assert.equal(checkTs(got.bytes).syncErrors, 0);
}

test('a TS source behind a 302 to another host plays', async () => {
  await plays('redirect-ts');
  assert.ok(seen.a.includes('/live/u/p/1.ts'));
  assert.ok(
    sim.stats().sessions.some((s) => s.contentId === TS_ID && s.connections > 0),
    'the redirect target was read',
  );
});

test('an HLS source behind a 302 plays; its relative segment URIs resolve against the redirected URL', async () => {
  await plays('redirect-hls');
  assert.ok(seen.a.includes('/live/u/p/2.m3u8'), 'every reload starts at the listed URL');
  assert.ok(
    seen.b.some((p) => p.startsWith('/hls/tok/seg/')),
    'segments came from the edge host',
  );
  assert.ok(!seen.a.some((p) => p.includes('/seg/')), 'never resolved against the listed URL');
});

test('an HLS playlist whose segments are absolute URLs on another host (a CDN) plays', async () => {
  await plays('cdn-hls');
  assert.ok(seen.b.some((p) => p.startsWith('/cdn/seg/')));
});

async function movesOn(channel: string): Promise<any> {
  await plays(channel);
  let body: any = null;
  const moved = await waitFor(async () => {
    body = (await getJson(`${gw.url}/api/v1/streams/ch-${channel}`)).body;
    return body?.channel?.active_source === 1;
  }, DEADLINE_MS);
  assert.ok(moved, `${channel} moved to its second source (${JSON.stringify(body?.channel)})`);
  assert.equal(body.channel.sources[0].last_result, 'failed');
  return body;
}

test('a redirect loop fails its source after 5 hops, and the channel moves on', async () => {
  await movesOn('loop');
  const hops = seen.a.filter((p) => p === '/loop.ts').length;
  assert.ok(hops >= 6, `${hops} requests: the first and 5 redirects`);
  const warned = gw.logs.find((l) => /more than 5 redirects/.test(JSON.stringify(l)));
  assert.ok(warned, 'the log says why');
});

test('a Location with credentials is refused, never logged, and the channel moves on', async () => {
  await movesOn('creds');
  assert.ok(seen.a.includes('/creds.ts'));
  assert.ok(
    gw.logs.some((l) => /redirect refused/.test(JSON.stringify(l))),
    'the log says why',
  );
  assert.ok(!gw.logs.some((l) => JSON.stringify(l).includes(SECRET)), 'the credentials never reach the log');
});

test('the channel check follows the same redirects and hosts', async () => {
  const r = await getJson(`${gw.url}/api/v1/channels/checked/check`, {
    method: 'POST',
    headers: { 'X-API-Key': KEY },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const [ts, hls, cdn, loop] = r.body.sources;
  for (const s of [ts, hls, cdn]) {
    assert.equal(s.ok, true, JSON.stringify(s));
    assert.equal(s.pat_pmt, true);
  }
  assert.equal(loop.ok, false);
  assert.match(loop.error, /more than 5 redirects/);
});
