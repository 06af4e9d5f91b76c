// GET /ready says 503 with its reasons when no engine is healthy (here: the only engine does not
// answer its health probe), and Prometheus agrees (shardcast_ready 0, the engine unhealthy).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseExposition, sumOf } from './support/exposition.js';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';

// Port 1 on loopback: connection refused at once, so each health probe fails fast.
const DEAD_ENGINE = 'http://127.0.0.1:1';
let gw: GatewayProc;

before(async () => {
  gw = await startGateway(['--engine', DEAD_ENGINE, '--shards', '1']);
});
after(async () => {
  await gw?.stop();
});

test('no healthy engine: 503 with the reason, and shardcast_ready 0', async () => {
  // Three failed probes, one every 5 s, make the engine unhealthy.
  let r = await getJson(`${gw.url}/ready`);
  assert.ok(
    await waitFor(
      async () => {
        r = await getJson(`${gw.url}/ready`);
        return r.status === 503;
      },
      15_000,
      250,
    ),
  );
  assert.equal(r.headers.get('content-type'), 'application/json');
  assert.equal(r.body.ready, false);
  assert.equal(r.body.healthyEngines, 0);
  assert.ok(r.body.reasons.includes('no healthy engine'), JSON.stringify(r.body.reasons));
  assert.deepEqual(r.body.shards, { ready: 1, total: 1 }, 'the shards themselves are fine');
  const e = parseExposition(await (await fetch(`${gw.url}/metrics`)).text());
  assert.equal(sumOf(e, 'shardcast_ready'), 0);
  assert.equal(sumOf(e, 'shardcast_engine_healthy', { engine: DEAD_ENGINE }), 0);
});
