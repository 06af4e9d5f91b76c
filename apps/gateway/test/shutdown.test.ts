// Graceful shutdown: SIGTERM stops accepting, ends clients, stops engine sessions, exits within seconds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, startGateway, waitFor } from './support/gateway-proc.js';
import { readTs } from './support/ts-reader.js';

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

test('SIGTERM ends clients cleanly, stops the engine sessions and exits 0 within 3 s', async () => {
  const receiving = [false, false];
  const reads = ['1', '2'].map((d, i) =>
    readTs(`${gw.url}/ace/getstream?id=${d.repeat(40)}`, 30_000, () => {
      receiving[i] = true;
    }),
  );
  assert.ok(await waitFor(() => receiving.every(Boolean), 10_000), 'both clients are playing');
  assert.equal(sim.stats().playbackConnections, 2, 'two upstreams running');
  const { code, ms } = await gw.stop();
  assert.equal(code, 0);
  assert.ok(ms < 3000, `exited in ${ms} ms`);
  const results = await Promise.all(reads);
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.ok(r.closedByServer, 'the server ended the response');
    assert.ok(r.bytes.length > 0);
  }
  assert.equal(sim.stats().sessionsStopped, 2, 'each engine session got command_url?method=stop');
  assert.equal(sim.stats().playbackConnections, 0);
});

test('a client waiting for a stream to open at shutdown gets 503 SC_ERR_SHUTTING_DOWN, not a hang-up', async () => {
  const slow = await startEngineSim({ port: 0, faults: { startDelayMs: 5000 } });
  const gw2 = await startGateway(['--engine', slow.url, '--shards', '1']);
  try {
    const pending = fetch(`${gw2.url}/ace/getstream?id=${'7'.repeat(40)}`);
    assert.ok(await waitFor(() => slow.stats().startRequests === 1, 3000), 'the stream is opening');
    const stopped = gw2.stop();
    const r = await pending;
    assert.equal(r.status, 503);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'SC_ERR_SHUTTING_DOWN');
    assert.equal((await stopped).code, 0);
  } finally {
    await gw2.stop();
    await slow.close();
  }
});
