// A session start the gateway gives up on (the --failover-seconds cut, a viewer leaving, the stream closed)
// while the engine is still working on it: the engine starts the session all the same (AceStream does not
// reliably cancel a start whose client went away, and engine-sim does not), so the gateway lets the request
// run to its answer and stops the session it yields. Before, nobody knew its command_url and it was never
// stopped.
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
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

test('a start cut by shutdown still has its session stopped when the engine answers within the stop deadline', async () => {
  // An engine that holds every session start until the test answers it.
  const starts: ServerResponse[] = [];
  const stops: string[] = [];
  const engine = createServer((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/ace/getstream') || url.startsWith('/ace/manifest.m3u8')) {
      starts.push(res);
      return;
    }
    if (url.startsWith('/ace/cmd/')) stops.push(url);
    const body = url.startsWith('/server/api')
      ? { result: { status: 1, speed_down: 0, speed_up: 0, peers: 0 }, error: null }
      : { response: 'ok', error: null };
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => engine.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(engine.address() as AddressInfo).port}`;
  const gw2 = await startGateway(['--engine', origin, '--shards', '1', '--log-level', 'debug']);
  try {
    const viewer = fetch(`${gw2.url}/ace/getstream?id=${'c3'.repeat(20)}`);
    assert.ok(await waitFor(() => starts.length === 1, DEADLINE_MS), 'the stream is opening on the engine');
    const stopped = gw2.stop();
    // The owner has given up on the start (it logs this right before aborting it); only now the engine answers.
    assert.ok(
      await waitFor(() => gw2.logs.some((l) => l.msg === 'owner stopping'), DEADLINE_MS),
      'the shutdown reached the stream',
    );
    const held = starts[0] as ServerResponse;
    const s = `${origin}/ace/x/c3`;
    held.setHeader('content-type', 'application/json');
    held.end(
      JSON.stringify({
        response: {
          playback_url: `${s}/play`,
          stat_url: `${s}/stat`,
          command_url: `${origin}/ace/cmd/c3/s1`,
          playback_session_id: 'e'.repeat(40),
          is_live: 1,
        },
        error: null,
      }),
    );
    assert.equal((await stopped).code, 0, 'a clean shutdown');
    assert.equal((await viewer).status, 503);
    assert.deepEqual(stops, ['/ace/cmd/c3/s1?method=stop'], 'the late session got its stop before the exit');
  } finally {
    await gw2.stop();
    engine.closeAllConnections();
    await new Promise<void>((resolve) => engine.close(() => resolve()));
  }
});
