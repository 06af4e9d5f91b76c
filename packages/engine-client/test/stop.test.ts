import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineClient, withQueryParam } from '../src/index.js';
import { closedPort, json, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let client: EngineClient;

before(async () => {
  server = await startServer(json({ response: 'ok', error: null }));
  client = new EngineClient({ baseUrl: server.origin });
});
after(async () => {
  await client.close();
  await server.close();
});

test('withQueryParam appends with ? or & and drops a fragment', () => {
  assert.equal(withQueryParam('http://h/ace/cmd/a/b', 'method', 'stop'), 'http://h/ace/cmd/a/b?method=stop');
  assert.equal(withQueryParam('http://h/c?x=1', 'method', 'stop'), 'http://h/c?x=1&method=stop');
  assert.equal(withQueryParam('http://h/c?', 'method', 'stop'), 'http://h/c?method=stop');
  assert.equal(withQueryParam('http://h/c?x=1&', 'method', 'stop'), 'http://h/c?x=1&method=stop');
  assert.equal(withQueryParam('http://h/c?x=a%20b#f', 'method', 'stop'), 'http://h/c?x=a%20b&method=stop');
});

test('stop sends command_url?method=stop, or &method=stop when it has a query', async () => {
  assert.deepEqual(await client.stop(`${server.origin}/ace/cmd/h/s1`), { ok: true, status: 200 });
  assert.equal(server.requests.at(-1), '/ace/cmd/h/s1?method=stop');
  assert.deepEqual(await client.stop(`${server.origin}/ace/cmd/h/s1?sid=7`), { ok: true, status: 200 });
  assert.equal(server.requests.at(-1), '/ace/cmd/h/s1?sid=7&method=stop');
});

test('stop is best effort: failures come back as data unless throwOnError', async () => {
  server.handle(json('nope', 500));
  const r = await client.stop(`${server.origin}/ace/cmd/h/s1`);
  assert.equal(r.ok, false);
  assert.deepEqual(r.ok ? undefined : r.error, {
    code: 'SC_ERR_ENGINE_HTTP_STATUS',
    message: `engine ${server.origin} stop: HTTP 500`,
    retryable: true,
    status: 500,
  });
  await assert.rejects(client.stop(`${server.origin}/ace/cmd/h/s1`, { throwOnError: true }), {
    code: 'SC_ERR_ENGINE_HTTP_STATUS',
  });
});

test('stop against a dead engine returns a connect error without throwing', async () => {
  const dead = new EngineClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
  const r = await dead.stop(`${dead.engine}/ace/cmd/h/s1`);
  await dead.close();
  assert.equal(r.ok ? 'ok' : r.error.code, 'SC_ERR_ENGINE_CONNECT');
});
