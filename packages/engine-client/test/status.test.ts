import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineClient } from '../src/index.js';
import { json, silent, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let client: EngineClient;

before(async () => {
  server = await startServer();
  client = new EngineClient({ baseUrl: server.origin, timeoutMs: 150 });
});
after(async () => {
  await client.close();
  await server.close();
});

const code = (h: Awaited<ReturnType<EngineClient['getStatus']>>) => (h.healthy ? 'healthy' : h.error.code);

test('getStatus: 200 with a JSON result is healthy, with its numbers', async () => {
  server.handle(json({ result: { speed_down: 10, speed_up: 2, peers: 4 }, error: null }));
  assert.deepEqual(await client.getStatus(), { healthy: true, speedDownKBps: 10, speedUpKBps: 2, peers: 4 });
  assert.equal(server.requests.at(-1), '/server/api?api_version=3&method=get_status');
});

test('getStatus: anything else is unhealthy, as data, never thrown', { timeout: 10_000 }, async () => {
  server.handle(json({ result: {} }, 503));
  assert.equal(code(await client.getStatus()), 'SC_ERR_ENGINE_HTTP_STATUS');
  server.handle((_req, res) => {
    res.writeHead(204);
    res.end();
  });
  assert.equal(code(await client.getStatus()), 'SC_ERR_ENGINE_HTTP_STATUS');
  server.handle(json('<html>'));
  assert.equal(code(await client.getStatus()), 'SC_ERR_ENGINE_BAD_RESPONSE');
  server.handle(json({ error: null }));
  assert.equal(code(await client.getStatus()), 'SC_ERR_ENGINE_NO_RESPONSE');
  server.handle(silent);
  assert.equal(code(await client.getStatus()), 'SC_ERR_ENGINE_TIMEOUT');
});

test('getVersion parses the version answer', async () => {
  server.handle(
    json({ result: { code: 3010500, platform: 'linux', version: '3.1.5', revision: 'x' }, error: null }),
  );
  assert.deepEqual(await client.getVersion(), { version: '3.1.5', platform: 'linux', code: 3010500 });
  assert.equal(server.requests.at(-1), '/webui/api/service?method=get_version');
  server.handle(json({ result: { platform: 'linux' }, error: null }));
  await assert.rejects(client.getVersion(), { code: 'SC_ERR_ENGINE_BAD_RESPONSE' });
});
