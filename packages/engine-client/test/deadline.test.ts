import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineClient, isEngineError } from '../src/index.js';
import { activeTimers, ID, silent, startServer, type TestServer } from './helpers.js';

// Deadlines are short so a hang fails the per-test timeout instead of asserting on timing.
const DEADLINE_MS = 150;
const TEST_LIMIT = { timeout: 10_000 };
let server: TestServer;
let client: EngineClient;

before(async () => {
  server = await startServer(silent);
  client = new EngineClient({ baseUrl: server.origin, timeoutMs: DEADLINE_MS, startTimeoutMs: DEADLINE_MS });
});
after(async () => {
  await client.close();
  await server.close();
});

test(
  'an engine that never answers → SC_ERR_ENGINE_TIMEOUT, socket released, no timer left',
  TEST_LIMIT,
  async () => {
    const timersBefore = activeTimers();
    await assert.rejects(
      client.startSession({ key: { kind: 'id', value: ID }, format: 'ts' }),
      (err: unknown) => {
        assert.ok(isEngineError(err, 'SC_ERR_ENGINE_TIMEOUT'), String(err));
        assert.equal(err.retryable, true);
        return true;
      },
    );
    await server.lastRequestClosed();
    assert.equal(server.open, 0);
    assert.equal(activeTimers(), timersBefore);
  },
);

test('stat and fetchBytes time out the same way', TEST_LIMIT, async () => {
  await assert.rejects(client.stat(`${server.origin}/ace/stat/x/y`), { code: 'SC_ERR_ENGINE_TIMEOUT' });
  await assert.rejects(client.fetchBytes(`${server.origin}/seg.ts`), { code: 'SC_ERR_ENGINE_TIMEOUT' });
  await server.lastRequestClosed();
});

test('a body that stalls after the headers times out too', TEST_LIMIT, async () => {
  server.handle((_req, res) => {
    res.writeHead(200, { 'content-length': '1000' });
    res.write(Buffer.alloc(10));
  });
  await assert.rejects(client.fetchBytes(`${server.origin}/seg.ts`), { code: 'SC_ERR_ENGINE_TIMEOUT' });
  await server.lastRequestClosed();
  server.handle(silent);
});

test('openStream: no headers within headersTimeoutMs → timeout', TEST_LIMIT, async () => {
  await assert.rejects(client.openStream(`${server.origin}/ace/r/x/y`, { headersTimeoutMs: DEADLINE_MS }), {
    code: 'SC_ERR_ENGINE_TIMEOUT',
  });
  await server.lastRequestClosed();
});

test(
  'the caller aborting a start → SC_ERR_ENGINE_ABORTED at once (not a timeout); closing the client releases the socket',
  TEST_LIMIT,
  async () => {
    const slow = new EngineClient({ baseUrl: server.origin, timeoutMs: 60_000, startTimeoutMs: 60_000 });
    const ac = new AbortController();
    const p = slow.startSession({ key: { kind: 'id', value: ID }, format: 'ts', signal: ac.signal });
    const seen = server.requests.length;
    while (server.requests.length === seen) await new Promise((r) => setImmediate(r));
    ac.abort();
    await assert.rejects(p, (err: unknown) => {
      assert.ok(isEngineError(err, 'SC_ERR_ENGINE_ABORTED'), String(err));
      assert.equal(err.retryable, false);
      return true;
    });
    // The request itself runs on to the engine's answer (start-abandon.test.ts), until the client closes.
    assert.equal(slow.abandoned, 1);
    await slow.close();
    await server.lastRequestClosed();
  },
);

test('an already aborted signal sends nothing', TEST_LIMIT, async () => {
  const seen = server.requests.length;
  await assert.rejects(client.fetchBytes(`${server.origin}/seg.ts`, { signal: AbortSignal.abort() }), {
    code: 'SC_ERR_ENGINE_ABORTED',
  });
  assert.equal(server.requests.length, seen);
});

test('a long-lived caller signal keeps no listeners after calls finish', TEST_LIMIT, async () => {
  const ac = new AbortController();
  let added = 0;
  let removed = 0;
  const add = ac.signal.addEventListener.bind(ac.signal);
  const remove = ac.signal.removeEventListener.bind(ac.signal);
  ac.signal.addEventListener = (...args: Parameters<typeof add>) => {
    added += 1;
    add(...args);
  };
  ac.signal.removeEventListener = (...args: Parameters<typeof remove>) => {
    removed += 1;
    remove(...args);
  };
  for (let i = 0; i < 3; i++) {
    await assert.rejects(client.fetchBytes(`${server.origin}/seg.ts`, { signal: ac.signal }), {
      code: 'SC_ERR_ENGINE_TIMEOUT',
    });
  }
  assert.ok(added >= 3);
  assert.equal(removed, added);
});
