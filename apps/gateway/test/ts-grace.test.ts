// The last client leaves → the engine session is stopped once the grace period has passed; a client arriving
// during the grace period is served without a new session.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs, type TsRead } from './support/ts-reader.js';

/** Plays `url` until some media arrived, then leaves. */
async function play(url: string): Promise<TsRead> {
  const c = openTs(url);
  assert.ok(await c.waitBytes(64 * 1024, 20_000), 'media arrived');
  return c.close();
}

// Long enough that the second client of test 1 arrives inside it on a slow machine: the test learns that the
// stream has no client from the shards' once-a-second report, so up to ~1 s of the grace may be gone by then.
const GRACE_S = 5;
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
  const first = await play(`${gw.url}/ace/getstream?id=${id}`);
  assert.equal(first.status, 200);
  // Another client comes while the stream is in its grace period (it is still listed, with no client).
  const inGrace = await waitFor(
    async () => {
      const r = await getJson(`${gw.url}/api/v1/streams/${id}`);
      return r.status === 200 && r.body.clients.ts === 0;
    },
    10_000,
    20,
  );
  assert.ok(inGrace, 'the stream waits in its grace period');
  const second = await play(`${gw.url}/ace/getstream?id=${id}`);
  assert.equal(second.status, 200);
  assert.ok(checkTs(second.bytes).startsWithPsiAndKeyframe);
  assert.equal(sim.stats().sessionsStarted, 1, 'no second engine session');
  assert.equal(sim.stats().sessionsStopped, 0);
});

test('after the last client the engine session stops after the grace period', async () => {
  const id = 'c'.repeat(40);
  // The previous test's stream must be gone first, or its stop would be counted here.
  assert.ok(await waitFor(() => sim.stats().sessionsActive === 0, (GRACE_S + 3) * 1000));
  const before = sim.stats();
  const r = await play(`${gw.url}/ace/getstream?id=${id}`);
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
  // Not before the grace period (the gateway sees the close a moment after the client, never before)...
  assert.ok(took >= GRACE_S * 1000 - 250, `not before the grace period (${took} ms)`);
  // ...and by the grace timer, not by some later mechanism (the stall or failover timers are 15-20 s):
  // the bound is generous so a slow machine's scheduling cannot break it.
  assert.ok(took < (GRACE_S + 5) * 1000, `stopped ${took} ms after the last client left`);
  const gone = await getJson(`${gw.url}/api/v1/streams/${id}`);
  assert.equal(gone.status, 404);
  // The playback connection to the engine is gone too: no upstream survives its last viewer.
  assert.ok(await waitFor(() => sim.stats().sessionsActive === before.sessionsActive, 2000));
});

test('a stream reopens cleanly after it closed', async () => {
  const id = 'c'.repeat(40);
  const r = await play(`${gw.url}/ace/getstream?id=${id}`);
  assert.equal(r.status, 200);
  const c = checkTs(r.bytes);
  assert.ok(c.startsWithPsiAndKeyframe);
  assert.equal(c.ccErrors, 0);
});
