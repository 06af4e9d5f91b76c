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
  const reads = ['1', '2'].map((d) => readTs(`${gw.url}/ace/getstream?id=${d.repeat(40)}`, 30_000));
  assert.ok(await waitFor(() => sim.stats().playbackConnections === 2, 5000), 'two upstreams running');
  await new Promise((r) => setTimeout(r, 500));
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
