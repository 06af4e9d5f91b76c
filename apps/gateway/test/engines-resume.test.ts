// A drain can be undone: POST /api/v1/engines/<id>/resume lets a drained static engine take new streams
// again. Without it a drain by mistake (the dashboard's Drain button on the only engine) refused every new
// stream with 503 SC_ERR_NO_ENGINE until the gateway was restarted.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway } from './support/gateway-proc.js';
import { openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
const KEY = 'resume-test-admin-key';
const AUTH = { 'X-API-Key': KEY };

let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '1'], { SHARDCAST_API_KEY: KEY });
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

test('a drained static engine takes new streams again after resume', async () => {
  const engines = await getJson(`${gw.url}/api/v1/engines`);
  const id = engines.body.engines[0].id as string;
  const base = `${gw.url}/api/v1/engines/${encodeURIComponent(id)}`;

  const drained = await getJson(`${base}/drain`, { method: 'POST', headers: AUTH });
  assert.equal(drained.status, 202);
  const refused = await getJson(`${gw.url}/ace/getstream?id=${'a'.repeat(40)}`);
  assert.equal(refused.status, 503, 'the only engine is drained: no new stream');
  assert.equal(refused.body.error.code, 'SC_ERR_NO_ENGINE');

  // The key is needed, the engine must exist, GET is not the action.
  assert.equal((await getJson(`${base}/resume`, { method: 'POST' })).status, 401);
  const unknown = await getJson(`${gw.url}/api/v1/engines/nope/resume`, { method: 'POST', headers: AUTH });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'SC_ERR_ENGINE_NOT_FOUND');
  const get = await getJson(`${base}/resume`, { headers: AUTH });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST, OPTIONS');

  const resumed = await getJson(`${base}/resume`, { method: 'POST', headers: AUTH });
  assert.equal(resumed.status, 200);
  assert.deepEqual(resumed.body, { engine: id, state: 'ready', managed: false });
  const again = await getJson(`${base}/resume`, { method: 'POST', headers: AUTH });
  assert.equal(again.status, 200, 'resuming a ready engine changes nothing');
  const row = (await getJson(`${gw.url}/api/v1/engines`)).body.engines.find((e: any) => e.id === id);
  assert.equal(row.state, 'ready');

  const client = openTs(`${gw.url}/ace/getstream?id=${'a'.repeat(40)}`);
  assert.equal((await client.response).status, 200, 'a new stream opens on the resumed engine');
  assert.ok(await client.waitBytes(64 * 1024, DEADLINE_MS), 'and plays');
  await client.close();
});
