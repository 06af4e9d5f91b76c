// A stream that has not played yet, whose upstream answers 200 with bytes that are not MPEG-TS from the very
// start (an HTML page, a JSON error body), leaves that engine or source at its first connection: the player
// gets the next engine's or source's media, or, with nowhere else to go, its 502 at once. Before, the
// owner reconnected to the same upstream until --failover-seconds (20 s) of silence had passed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { hasTsSync } from '../src/shard/owner/ts-upstream.js';
import { type GatewayProc, getJson, startGateway } from './support/gateway-proc.js';
import { refusal } from './support/refused.js';
import { checkTs, openTs } from './support/ts-reader.js';

const MEDIA_BYTES = 256 * 1024;
const DEADLINE_MS = 30_000;
const HTML_ID = 'e1'.repeat(20);
const DIRECT_ID = 'e2'.repeat(20);

let a: EngineSim;
let b: EngineSim;
/** The engine a new stream goes to (both idle: the lower engine id), and the other one. */
let first: EngineSim;
let second: EngineSim;
let origin: Server;
let originRequests = 0;
let dir: string;
let gw: GatewayProc;

/** 'upstream failed' log lines of `g` for upstream `engine`. */
function failures(g: GatewayProc, engine: string): number {
  return g.logs.filter((r) => r.msg === 'upstream failed' && r.engine === engine).length;
}

before(async () => {
  a = await startEngineSim({ port: 0 });
  b = await startEngineSim({ port: 0 });
  [first, second] = a.url < b.url ? [a, b] : [b, a];
  // An HTTP source that answers 200 with a JSON error instead of a stream.
  origin = createServer((_req, res) => {
    originRequests++;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: 'Stream not available in your region', code: 403 }));
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const { port } = origin.address() as AddressInfo;
  dir = mkdtempSync(join(tmpdir(), 'sc-garbage-start-'));
  const file = join(dir, 'channels.json');
  writeFileSync(
    file,
    JSON.stringify({
      channels: [
        {
          id: 'json-first',
          name: 'JSON first',
          sources: [`http://127.0.0.1:${port}/live.ts`, `${second.url}/ace/getstream?id=${DIRECT_ID}`],
        },
      ],
    }),
  );
  // Defaults for --failover-seconds (20) and --failover-after (3).
  gw = await startGateway(['--engine', a.url, '--engine', b.url, '--channels', file, '--shards', '1']);
});
after(async () => {
  await gw?.stop();
  await a?.close();
  await b?.close();
  origin?.closeAllConnections();
  origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a new stream whose engine sends an HTML page from the first byte plays from the other engine; the first was tried once', async () => {
  first.setFaults({ garbage: 'html' }, HTML_ID);
  const client = openTs(`${gw.url}/ace/getstream?id=${HTML_ID}`);
  const { status } = await client.response;
  assert.equal(status, 200);
  assert.ok(await client.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'media from the other engine');
  const stream = (await getJson(`${gw.url}/api/v1/streams/${HTML_ID}`)).body;
  assert.equal(stream.engine.url, second.url, 'played from the other engine');
  assert.equal(stream.failovers, 1);
  assert.ok(first.stats().faults.garbage >= 1, 'the first engine did send its HTML page');
  assert.equal(first.stats().playbackConnectionsTotal, 1, 'one connection to the HTML engine');
  assert.equal(
    failures(gw, first.url),
    1,
    'one failed attempt on the HTML engine (before: until 20 s of it)',
  );
  const r = await client.close();
  assert.equal(r.closedByServer, false);
  const ts = checkTs(r.bytes);
  assert.equal(ts.syncErrors, 0, 'no HTML byte reached the player');
  assert.ok(ts.startsWithPsiAndKeyframe);
});

test('a channel whose first source answers 200 with a JSON error plays from its second source; the first was asked once', async () => {
  const client = openTs(`${gw.url}/channel/json-first.ts`);
  const { status } = await client.response;
  assert.equal(status, 200);
  assert.ok(await client.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'media from the second source');
  assert.equal(originRequests, 1, 'the JSON source was asked once (before: again and again for 20 s)');
  const r = await client.close();
  assert.equal(checkTs(r.bytes).syncErrors, 0);
});

test('with its only engine sending an HTML page, a new stream is refused after one connection', async () => {
  const only = await startEngineSim({ port: 0, faults: { garbage: 'html' } });
  const g = await startGateway(['--engine', only.url, '--shards', '1']);
  try {
    const r = await refusal(`${g.url}/ace/getstream?id=${'e3'.repeat(20)}`);
    assert.equal(r.status, 502, 'no engine could play it (before: 502 after 20 s, or 504)');
    assert.equal(r.body.error.code, 'SC_ERR_UPSTREAM_FAILED');
    assert.equal(only.stats().playbackConnectionsTotal, 1, 'one connection to the HTML engine');
    assert.equal(failures(g, only.url), 1);
  } finally {
    await g.stop();
    await only.close();
  }
});

test('hasTsSync: TS from any offset is TS; HTML, JSON and random bytes are not', () => {
  const ts = new Uint8Array(8 * 1024);
  for (let at = 100; at < ts.length; at += 188) ts[at] = 0x47;
  assert.equal(hasTsSync(ts, false), true, 'TS joined mid-packet');
  assert.equal(hasTsSync(ts.subarray(0, 100 + 2 * 188), true), true, 'a short TS body that ended');
  const html = new TextEncoder().encode('<html><body>502 Bad Gateway</body></html>\n'.repeat(200));
  assert.equal(hasTsSync(html, false), false);
  assert.equal(hasTsSync(new TextEncoder().encode('{"error":"Got no peers"}'), true), false);
  const random = new Uint8Array(8 * 1024).map((_, i) => (i * 7919 + 13) % 251);
  assert.equal(hasTsSync(random, false), false);
});
