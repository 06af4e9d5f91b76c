// Bad input gets a clear 4xx with a JSON body and never causes an upstream request.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway } from './support/gateway-proc.js';

let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '2']);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

const cases: Array<[string, number, string]> = [
  ['/ace/getstream', 400, 'SC_ERR_MISSING_ID'],
  ['/ace/getstream?id=', 400, 'SC_ERR_MISSING_ID'],
  ['/ace/getstream?pid=abc', 400, 'SC_ERR_MISSING_ID'],
  ['/ace/getstream?id=xyz', 400, 'SC_ERR_BAD_ID'],
  [`/ace/getstream?id=${'a'.repeat(39)}`, 400, 'SC_ERR_BAD_ID'],
  [`/ace/getstream?id=${'a'.repeat(41)}`, 400, 'SC_ERR_BAD_ID'],
  [`/ace/getstream?id=${'g'.repeat(40)}`, 400, 'SC_ERR_BAD_ID'],
  [`/ace/getstream?infohash=${'a'.repeat(20)}`, 400, 'SC_ERR_BAD_ID'],
  ['/ace/getstream?id=%zz%%', 400, 'SC_ERR_BAD_ID'],
  [`/ace/getstream?id=${'%'.repeat(3000)}`, 400, 'SC_ERR_BAD_ID'],
  [`/ace/getstream?id=${'a'.repeat(40)}&id=${'b'.repeat(40)}`, 400, 'SC_ERR_CONFLICTING_ID'],
  [`/ace/manifest.m3u8?infohash=${'a'.repeat(40)}&infohash=${'b'.repeat(40)}`, 400, 'SC_ERR_CONFLICTING_ID'],
  ['/ace/manifest.m3u8?id=nothex', 400, 'SC_ERR_BAD_ID'],
  ['/ace/manifest.m3u8', 400, 'SC_ERR_MISSING_ID'],
  ['/ace/hls/nothex/1.ts', 404, 'SC_ERR_SEGMENT_NOT_FOUND'],
  [`/ace/hls/${'a'.repeat(40)}/x.ts`, 404, 'SC_ERR_SEGMENT_NOT_FOUND'],
  [`/ace/hls/${'a'.repeat(40)}/1.ts`, 404, 'SC_ERR_SEGMENT_NOT_FOUND'],
  ['/nope', 404, 'SC_ERR_NOT_FOUND'],
  ['/api/v1/streams/unknown', 404, 'SC_ERR_STREAM_NOT_FOUND'],
];

for (const [path, status, code] of cases) {
  test(`GET ${path.slice(0, 60)} → ${status} ${code}`, async () => {
    const r = await getJson(`${gw.url}${path}`);
    assert.equal(r.status, status);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.body.error.code, code);
    assert.equal(typeof r.body.error.message, 'string');
  });
}

test('wrong method → 405', async () => {
  const r = await getJson(`${gw.url}/ace/getstream?id=${'a'.repeat(40)}`, { method: 'POST' });
  assert.equal(r.status, 405);
  assert.equal(r.body.error.code, 'SC_ERR_METHOD_NOT_ALLOWED');
});

test('DELETE without the API key configured → 403', async () => {
  const r = await getJson(`${gw.url}/api/v1/streams/${'a'.repeat(40)}`, { method: 'DELETE' });
  assert.equal(r.status, 403);
  assert.equal(r.body.error.code, 'SC_ERR_ADMIN_DISABLED');
});

test('CORS preflight answers 204 with the allowed methods and headers', async () => {
  const r = await fetch(`${gw.url}/ace/manifest.m3u8?id=${'a'.repeat(40)}`, { method: 'OPTIONS' });
  assert.equal(r.status, 204);
  assert.equal(r.headers.get('access-control-allow-origin'), '*');
  assert.match(r.headers.get('access-control-allow-methods') ?? '', /GET/);
  assert.match(r.headers.get('access-control-allow-headers') ?? '', /Range/);
});

test('an admin request body over 256 KiB → 413 SC_ERR_BODY_TOO_LARGE, and the connection is closed', async () => {
  // Exactly one byte over: the shard has read the whole request when it answers, so the close loses nothing.
  const body = Buffer.alloc(256 * 1024 + 1, 0x20);
  const head = `PUT /api/v1/channels/big HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
  const answer = await new Promise<string>((resolve, reject) => {
    const parts: Buffer[] = [];
    const s = connect(gw.port, '127.0.0.1', () => s.write(Buffer.concat([Buffer.from(head), body])));
    s.on('data', (d: Buffer) => parts.push(d));
    s.on('close', () => resolve(Buffer.concat(parts).toString('latin1')));
    s.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 413 /);
  const json = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
  assert.equal(json.error.code, 'SC_ERR_BODY_TOO_LARGE');
  assert.equal((await getJson(`${gw.url}/health`)).status, 200);
});

test('garbage on the socket does not hurt the gateway', async () => {
  await new Promise<void>((resolve) => {
    const s = connect(gw.port, '127.0.0.1', () => {
      s.end('GET /ace/getstream?id=\u0000\u0001 HTTP/1.1\r\nHost: x\r\n\r\n\r\n\u00ff\u00fe garbage\r\n\r\n');
    });
    s.on('data', () => {});
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
  const h = await getJson(`${gw.url}/health`);
  assert.equal(h.status, 200);
});

test('none of the above reached the engine', () => {
  assert.equal(sim.stats().startRequests, 0);
});
