import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineClient, isEngineError } from '../src/index.js';
import { json, startServer, type TestServer } from './helpers.js';

const TS_PACKET_SIZE = 188;
const CHUNKS = 5;
const CHUNK_BYTES = TS_PACKET_SIZE * 20;
const LIMIT = { timeout: 10_000 };
let server: TestServer;
let client: EngineClient;
let url: string;

/** Byte i of the stream is `i & 0xff`, so order and completeness are checkable. */
function chunk(index: number): Buffer {
  const b = Buffer.alloc(CHUNK_BYTES);
  for (let i = 0; i < CHUNK_BYTES; i++) b[i] = (index * CHUNK_BYTES + i) & 0xff;
  return b;
}

/** An endless stream: CHUNKS chunks, then silence with the socket open (or `then`). */
function live(then?: (res: import('node:http').ServerResponse) => void) {
  return (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    for (let i = 0; i < CHUNKS; i++) res.write(chunk(i));
    then?.(res);
  };
}

function checkBytes(parts: Uint8Array[]): number {
  let n = 0;
  for (const p of parts) for (const byte of p) assert.equal(byte, n++ & 0xff, `byte ${n - 1}`);
  return n;
}

before(async () => {
  server = await startServer();
  client = new EngineClient({ baseUrl: server.origin, timeoutMs: 2_000 });
  url = `${server.origin}/ace/r/h/s1`;
});
after(async () => {
  await client.close();
  await server.close();
});

test(
  'streams the body in order; close() with a read pending ends quietly and frees the socket',
  LIMIT,
  async () => {
    server.handle(live());
    const s = await client.openStream(url);
    assert.equal(s.statusCode, 200);
    assert.equal(s.headers['content-type'], 'video/mp2t');
    const it = s.body[Symbol.asyncIterator]();
    const parts: Uint8Array[] = [];
    let total = 0;
    while (total < CHUNKS * CHUNK_BYTES) {
      const r = await it.next();
      assert.equal(r.done, false);
      parts.push(r.value as Uint8Array);
      total += (r.value as Uint8Array).byteLength;
    }
    assert.equal(checkBytes(parts), CHUNKS * CHUNK_BYTES);
    const pending = it.next();
    s.close();
    s.close();
    assert.deepEqual(await pending, { done: true, value: undefined });
    await server.lastRequestClosed();
  },
);

test('breaking out of for-await releases the socket too', LIMIT, async () => {
  server.handle(live());
  const s = await client.openStream(url);
  for await (const _ of s.body) break;
  await server.lastRequestClosed();
});

test('close() before anything is read releases the socket without an unhandled error', LIMIT, async () => {
  // A finished but unread response is the case where undici's abort error would go unhandled.
  server.handle(live((res) => res.end()));
  const s = await client.openStream(url);
  s.close();
  await new Promise((resolve) => setTimeout(resolve, 20));
  // An unhandled body error would surface here as an uncaught exception failing this test.
  await new Promise((resolve) => setImmediate(resolve));
  const rest: Uint8Array[] = [];
  for await (const p of s.body) rest.push(p);
  assert.equal(rest.length, 0);
});

test('a clean EOF ends the iteration normally with every byte', LIMIT, async () => {
  server.handle(live((res) => res.end()));
  const s = await client.openStream(url);
  const parts: Uint8Array[] = [];
  for await (const p of s.body) parts.push(p);
  assert.equal(checkBytes(parts), CHUNKS * CHUNK_BYTES);
});

test('the engine dropping the connection mid-stream → SC_ERR_ENGINE_CONNECTION_LOST', LIMIT, async () => {
  server.handle(live((res) => setImmediate(() => res.socket?.destroy())));
  const s = await client.openStream(url);
  await assert.rejects(
    (async () => {
      for await (const _ of s.body);
    })(),
    (err: unknown) => isEngineError(err, 'SC_ERR_ENGINE_CONNECTION_LOST') && err.retryable,
  );
});

test('non-2xx → SC_ERR_ENGINE_HTTP_STATUS with the status', LIMIT, async () => {
  server.handle(json({ error: 'gone' }, 404));
  await assert.rejects(client.openStream(url), { code: 'SC_ERR_ENGINE_HTTP_STATUS', status: 404 });
});

test('the caller signal aborts a running stream → SC_ERR_ENGINE_ABORTED, socket freed', LIMIT, async () => {
  server.handle(live());
  const ac = new AbortController();
  const s = await client.openStream(url, { signal: ac.signal });
  const it = s.body[Symbol.asyncIterator]();
  await it.next();
  ac.abort();
  await assert.rejects(
    (async () => {
      for (let r = await it.next(); !r.done; r = await it.next());
    })(),
    { code: 'SC_ERR_ENGINE_ABORTED' },
  );
  await server.lastRequestClosed();
});

test('an optional body timeout turns a stall into SC_ERR_ENGINE_TIMEOUT', LIMIT, async () => {
  server.handle(live());
  const s = await client.openStream(url, { bodyTimeoutMs: 100 });
  await assert.rejects(
    (async () => {
      for await (const _ of s.body);
    })(),
    { code: 'SC_ERR_ENGINE_TIMEOUT' },
  );
  await server.lastRequestClosed();
});
