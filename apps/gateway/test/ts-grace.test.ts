// Issue 3: last client leaves → the engine session is stopped within grace + 1 s; a client arriving
// during the grace period is served without a new session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, readTs } from './support/ts-reader.js';

const GRACE_S = 2;
let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '2', '--grace-seconds', String(GRACE_S)]);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

test('a client joining during the grace period keeps the stream and its session', async () => {
  const id = 'b'.repeat(40);
  const first = await readTs(`${gw.url}/ace/getstream?id=${id}`, 1500);
  assert.equal(first.status, 200);
  // Half the grace period later another client comes.
  await new Promise((r) => setTimeout(r, (GRACE_S * 1000) / 2));
  const second = await readTs(`${gw.url}/ace/getstream?id=${id}`, 1500);
  assert.equal(second.status, 200);
  assert.ok(checkTs(second.bytes).startsWithPsiAndKeyframe);
  assert.equal(sim.stats().sessionsStarted, 1, 'no second engine session');
  assert.equal(sim.stats().sessionsStopped, 0);
});

test('after the last client the engine session stops within grace + 1 s', async () => {
  const id = 'c'.repeat(40);
  // The previous test's stream must be gone first, or its stop would be counted here.
  assert.ok(await waitFor(() => sim.stats().sessionsActive === 0, (GRACE_S + 3) * 1000));
  const before = sim.stats();
  const r = await readTs(`${gw.url}/ace/getstream?id=${id}`, 1200);
  assert.equal(r.status, 200);
  const leftAt = Date.now();
  assert.equal(sim.stats().sessionsStarted, before.sessionsStarted + 1);
  const stopped = await waitFor(
    () => sim.stats().sessionsStopped > before.sessionsStopped,
    (GRACE_S + 3) * 1000,
    20,
  );
  const took = Date.now() - leftAt;
  assert.ok(stopped, 'the engine session was stopped via command_url');
  assert.ok(took <= (GRACE_S + 1) * 1000, `stopped ${took} ms after the last client left`);
  assert.ok(took >= GRACE_S * 1000 - 250, `not before the grace period (${took} ms)`);
  const gone = await getJson(`${gw.url}/api/v1/streams/${id}`);
  assert.equal(gone.status, 404);
  // The playback connection to the engine is gone too: no upstream survives its last viewer.
  assert.ok(await waitFor(() => sim.stats().sessionsActive === before.sessionsActive, 2000));
});

test('a stream reopens cleanly after it closed', async () => {
  const id = 'c'.repeat(40);
  const r = await readTs(`${gw.url}/ace/getstream?id=${id}`, 1200);
  assert.equal(r.status, 200);
  const c = checkTs(r.bytes);
  assert.ok(c.startsWithPsiAndKeyframe);
  assert.equal(c.ccErrors, 0);
});
