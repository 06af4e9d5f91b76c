// A session start the gateway gives up on (the --failover-seconds cut, a viewer leaving, the stream closed)
// while the engine is still working on it: the engine starts the session all the same (AceStream does not
// reliably cancel a start whose client went away, and engine-sim does not), so the gateway lets the request
// run to its answer and stops the session it yields. Before, nobody knew its command_url and it was never
// stopped.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { EngineClient, isEngineError } from '@shardcast/engine-client';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
const sims: EngineSim[] = [];
let gw: GatewayProc | undefined;

after(async () => {
  await gw?.stop();
  for (const s of sims) await s.close();
});

const sessionGone = (sim: EngineSim) => () => {
  const s = sim.stats();
  return s.sessionsStarted === 1 && s.sessionsStopped === 1 && s.sessionsActive === 0;
};

test('EngineClient: a start aborted after the engine got it, before it answered, has its session stopped once it answers', async () => {
  // Long enough that the abort below (right after the request arrived) is always before the answer.
  const sim = await startEngineSim({ port: 0, faults: { startDelayMs: 3000 } });
  sims.push(sim);
  const client = new EngineClient({ baseUrl: sim.url });
  const ac = new AbortController();
  const start = client.startSession({
    key: { kind: 'id', value: 'a1'.repeat(20) },
    format: 'ts',
    signal: ac.signal,
  });
  assert.ok(await waitFor(() => sim.stats().startRequests === 1, DEADLINE_MS), 'the engine got the start');
  assert.equal(sim.stats().sessionsStarted, 0, 'the engine has not answered yet');
  ac.abort();
  await assert.rejects(start, (err: unknown) => isEngineError(err, 'SC_ERR_ENGINE_ABORTED'));
  assert.ok(
    await waitFor(sessionGone(sim), DEADLINE_MS),
    `the session the engine started was stopped: ${JSON.stringify(sim.stats())}`,
  );
  assert.equal(sim.stats().startsUnanswered, 0, 'the start was answered to the client, which stopped it');
  await client.close();
});

test('a stream whose start is cut at --failover-seconds plays elsewhere and leaves no session on the slow engine', async () => {
  const a = await startEngineSim({ port: 0 });
  const b = await startEngineSim({ port: 0 });
  sims.push(a, b);
  // Both idle: a new stream goes to the lower engine id first, which answers its start only after 10 s.
  const [slow, good] = a.url < b.url ? [a, b] : [b, a];
  const id = 'b2'.repeat(20);
  slow.setFaults({ startDelayMs: 10_000 }, id);
  gw = await startGateway(['--engine', a.url, '--engine', b.url, '--shards', '1', '--failover-seconds', '2']);
  const viewer = openTs(`${gw.url}/ace/getstream?id=${id}`);
  assert.equal((await viewer.response).status, 200);
  assert.ok(await viewer.waitBytes(64 * 1024, DEADLINE_MS), 'media from the other engine');
  const stream = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
  assert.equal(stream.engine.url, good.url);
  assert.equal(stream.failovers, 1);
  assert.equal(slow.stats().startRequests, 1);
  assert.ok(
    await waitFor(sessionGone(slow), DEADLINE_MS),
    `the slow engine's late session was stopped: ${JSON.stringify(slow.stats())}`,
  );
  await viewer.close();
});
