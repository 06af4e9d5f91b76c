// An engine that never answers a session start (wedged, while its health probes still pass) must not hold
// a new stream until the open deadline: the start ends at the failover deadline like a silent upstream,
// and the stream opens on the other engine.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

const MEDIA_BYTES = 256 * 1024;
const DEADLINE_MS = 30_000;

let a: EngineSim;
let b: EngineSim;
/** The engine a new stream goes to (both idle: the lower engine id), made to hang; and the other one. */
let hung: EngineSim;
let good: EngineSim;
let gw: GatewayProc;
const id = 'd7'.repeat(20);

before(async () => {
  a = await startEngineSim({ port: 0 });
  b = await startEngineSim({ port: 0 });
  [hung, good] = a.url < b.url ? [a, b] : [b, a];
  // Answers get_status at once, and this stream's session start only after 10 minutes.
  hung.setFaults({ startDelayMs: 600_000 }, id);
  gw = await startGateway(['--engine', a.url, '--engine', b.url, '--shards', '1', '--failover-seconds', '3']);
});
after(async () => {
  await gw?.stop();
  await a?.close();
  await b?.close();
});

test('a session start the engine never answers fails over at --failover-seconds; the player gets the stream', async () => {
  const client = openTs(`${gw.url}/ace/getstream?id=${id}`);
  assert.ok(
    await waitFor(() => hung.stats().startRequests >= 1, DEADLINE_MS),
    'the hung engine was tried first',
  );
  const { status } = await client.response;
  assert.equal(status, 200, 'the stream opened (before: 504 SC_ERR_OPEN_TIMEOUT at the open deadline)');
  assert.ok(await client.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'media from the other engine');
  const stream = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
  assert.equal(stream.engine.url, good.url);
  assert.equal(stream.failovers, 1);
  assert.equal(hung.stats().sessionsStarted, 0);
  const r = await client.close();
  assert.equal(r.closedByServer, false);
  const ts = checkTs(r.bytes);
  assert.equal(ts.syncErrors, 0);
  assert.ok(ts.startsWithPsiAndKeyframe);
});
