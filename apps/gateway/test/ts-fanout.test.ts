// 50 clients on one stream, spread over all shards → exactly one engine session; each client's
// bytes start with PAT, PMT and a keyframe and stay valid TS (continuity holds; no skips at this pace).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

const ID = 'a'.repeat(40);
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

test('50 simultaneous clients share one engine session and get valid TS', async () => {
  const clients = Array.from({ length: 50 }, () => openTs(`${gw.url}/ace/getstream?id=${ID}`));
  // Every client is served: more than 500 packets each (a GOP of burst, then real time).
  for (const c of clients) assert.ok(await c.waitBytes(500 * 188 + 1, 30_000), 'every client gets media');
  // Look at the per-shard picture while they are connected (the shards report every second).
  let body: any = null;
  const counted = await waitFor(async () => {
    body = (await getJson(`${gw.url}/api/v1/streams/${ID}`)).body;
    return body?.clients?.ts === 50;
  }, 10_000);
  assert.ok(counted, `50 TS clients counted (${body?.clients?.ts})`);
  const results = await Promise.all(clients.map((c) => c.close()));

  assert.equal(sim.stats().sessionsStarted, 1, 'one engine session for 50 first requests');
  const byShard = body.clients.by_shard as Array<{ shard: number; ts_clients: number }>;
  assert.equal(byShard.filter((s) => s.ts_clients > 0).length, 2, 'clients were served by both shards');
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.equal(r.closedByServer, false);
    assert.equal(r.headers['content-type'], 'video/mp2t');
    assert.equal(r.headers['content-length'], undefined);
    const c = checkTs(r.bytes);
    assert.ok(c.packets > 500, `client got ${c.packets} packets`);
    assert.equal(c.syncErrors, 0);
    assert.ok(c.startsWithPsiAndKeyframe, `first PIDs ${c.firstPids.join(',')}`);
    assert.equal(c.ccErrors, 0, 'continuity holds for every PID, the injected PAT/PMT included');
  }
  const after = await getJson(`${gw.url}/api/v1/streams/${ID}`);
  assert.equal(after.body.skips, 0);
});
