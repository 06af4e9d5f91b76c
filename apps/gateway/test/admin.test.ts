// Admin actions need the API key (Bearer or X-API-Key, constant-time compare); the key never reaches a log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { readTs } from './support/ts-reader.js';

const KEY = 's3cret-admin-key';
let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '2', '--api-key', KEY, '--log-level', 'debug']);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

test('DELETE /api/v1/streams/<id> needs the key, then closes the stream and its clients', async () => {
  const id = 'ab'.repeat(20);
  const reading = readTs(`${gw.url}/ace/getstream?id=${id}`, 15_000);
  // A live stream (its engine session exists), not one still opening.
  assert.ok(
    await waitFor(async () => (await getJson(`${gw.url}/api/v1/streams/${id}`)).body?.state === 'live', 5000),
  );
  const none = await getJson(`${gw.url}/api/v1/streams/${id}`, { method: 'DELETE' });
  assert.equal(none.status, 401);
  assert.equal(none.body.error.code, 'SC_ERR_UNAUTHORIZED');
  const wrong = await getJson(`${gw.url}/api/v1/streams/${id}`, {
    method: 'DELETE',
    headers: { authorization: 'Bearer nope' },
  });
  assert.equal(wrong.status, 401);
  const ok = await getJson(`${gw.url}/api/v1/streams/${id}`, {
    method: 'DELETE',
    headers: { 'x-api-key': KEY },
  });
  assert.equal(ok.status, 200);
  assert.equal(ok.body.closed, true);
  const r = await reading;
  assert.ok(r.closedByServer, 'the client was ended');
  assert.ok(await waitFor(() => sim.stats().sessionsStopped === 1, 3000), 'the engine session was stopped');
  const gone = await getJson(`${gw.url}/api/v1/streams/${id}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${KEY}` },
  });
  assert.equal(gone.status, 404);
});

test('behind an authenticating proxy (its own Bearer token) the key in X-API-Key is accepted', async () => {
  // oauth2-proxy and the like pass their own `Authorization: Bearer`; only the Bearer was looked at.
  const id = 'cd'.repeat(20);
  const proxied = (key: string) =>
    getJson(`${gw.url}/api/v1/streams/${id}`, {
      method: 'DELETE',
      headers: { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.proxy-id-token', 'x-api-key': key },
    });
  const wrong = await proxied('not-the-key');
  assert.equal(wrong.status, 401, 'a wrong key is still refused');
  const right = await proxied(KEY);
  assert.equal(right.status, 404, 'admitted: the stream is simply not open');
  assert.equal(right.body.error.code, 'SC_ERR_STREAM_NOT_FOUND');
});

test('a stream id spelled in upper case, as players may, is found by GET and closed by DELETE', async () => {
  const upper = 'EF'.repeat(20);
  const reading = readTs(`${gw.url}/ace/getstream?id=${upper}`, 15_000);
  assert.ok(
    await waitFor(
      async () => (await getJson(`${gw.url}/api/v1/streams/${upper}`)).body?.state === 'live',
      5000,
    ),
    'GET finds the stream the upper-case id plays',
  );
  const one = await getJson(`${gw.url}/api/v1/streams/${upper}`);
  assert.equal(one.body.stream, upper.toLowerCase());
  const closed = await getJson(`${gw.url}/api/v1/streams/${upper}`, {
    method: 'DELETE',
    headers: { 'x-api-key': KEY },
  });
  assert.equal(closed.status, 200);
  assert.equal(closed.body.closed, true);
  assert.ok((await reading).closedByServer, 'its client was ended');
});

test('the key never appears in the logs', () => {
  const text = gw.logs.map((l) => JSON.stringify(l)).join('\n');
  assert.ok(gw.logs.length > 5);
  assert.equal(text.includes(KEY), false);
});
