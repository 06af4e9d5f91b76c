// A session start the caller gives up on while the engine is working on it: the caller gets its abort at
// once, the request runs on to the engine's answer, and a session it yields is stopped right away (an
// engine that starts it anyway would keep it with nobody to stop it).
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import { EngineClient, isEngineError } from '../src/index.js';
import { ID, json, sessionEnvelope, startServer, type TestServer } from './helpers.js';

const LIMIT = { timeout: 20_000 };
let server: TestServer;

before(async () => {
  server = await startServer();
});
after(async () => {
  await server.close();
});

/** Holds every start until `answer` is called; stops are answered at once. */
function holdStarts(): { held: () => number; answer: (body: unknown, status?: number) => void } {
  const pending: ServerResponse[] = [];
  server.handle((req, res) => {
    if (req.url?.startsWith('/ace/getstream')) pending.push(res);
    else json({ response: 'ok', error: null })(req, res);
  });
  return {
    held: () => pending.length,
    answer: (body, status = 200) => {
      for (const res of pending.splice(0)) json(body, status)(res.req, res);
    },
  };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
}

/** A client whose start the engine holds, given up on by its caller (who got SC_ERR_ENGINE_ABORTED at once). */
async function abandonedStart(): Promise<{ client: EngineClient; engine: ReturnType<typeof holdStarts> }> {
  const client = new EngineClient({ baseUrl: server.origin });
  const engine = holdStarts();
  const ac = new AbortController();
  const p = client.startSession({ key: { kind: 'id', value: ID }, format: 'ts', signal: ac.signal });
  await until(() => engine.held() === 1);
  ac.abort();
  await assert.rejects(p, (err: unknown) => isEngineError(err, 'SC_ERR_ENGINE_ABORTED'));
  return { client, engine };
}

test('a start aborted before the engine answers: the session it yields is stopped', LIMIT, async () => {
  const { client, engine } = await abandonedStart();
  assert.equal(client.abandoned, 1);
  const seen = server.requests.length;
  engine.answer(sessionEnvelope(server.origin));
  await client.settle(15_000);
  assert.equal(client.abandoned, 0);
  assert.deepEqual(server.requests.slice(seen), [`/ace/cmd/${ID}/s1?method=stop`]);
  await client.close();
});

test('an abandoned start the engine refuses sends no stop', LIMIT, async () => {
  const { client, engine } = await abandonedStart();
  const seen = server.requests.length;
  engine.answer({ response: null, error: 'swarm not found' });
  await client.settle(15_000);
  assert.equal(client.abandoned, 0);
  assert.deepEqual(server.requests.slice(seen), []);
  await client.close();
});

test('settle is bounded: an engine that never answers holds it no longer than asked', LIMIT, async () => {
  const { client, engine } = await abandonedStart();
  await client.settle(50);
  assert.equal(client.abandoned, 1, 'still waiting for the engine');
  // Closing the client cuts it (shutdown): the start fails and is forgotten.
  await client.close();
  await until(() => client.abandoned === 0);
  engine.answer(sessionEnvelope(server.origin));
});

test("a start answered before the abort is the caller's: no stop is sent", LIMIT, async () => {
  const client = new EngineClient({ baseUrl: server.origin });
  server.handle(json(sessionEnvelope(server.origin)));
  const ac = new AbortController();
  const s = await client.startSession({ key: { kind: 'id', value: ID }, format: 'ts', signal: ac.signal });
  const seen = server.requests.length;
  ac.abort();
  await client.settle(1000);
  assert.equal(client.abandoned, 0);
  assert.equal(s.commandUrl, `${server.origin}/ace/cmd/${ID}/s1`);
  assert.deepEqual(server.requests.slice(seen), []);
  await client.close();
});
