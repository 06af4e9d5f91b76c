import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineClient } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';

const LIMIT = { timeout: 10_000 };
const BODY = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
let server: TestServer;
let client: EngineClient;

before(async () => {
  server = await startServer();
  client = new EngineClient({ baseUrl: server.origin });
});
after(async () => {
  await client.close();
  await server.close();
});

test(
  'fetchBytes returns the exact bytes in a fresh, transferable array over one keep-alive socket',
  LIMIT,
  async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-length': BODY.byteLength });
      res.end(BODY);
    });
    const connectionsBefore = server.connections;
    for (let i = 0; i < 6; i++) {
      const got = await client.fetchBytes(`${server.origin}/ace/c/s1/${i}.ts`, { maxBytes: BODY.byteLength });
      assert.deepEqual(Buffer.from(got), BODY);
      // Own allocation, not a view into a pooled slab: safe to transfer to another thread.
      assert.equal(got.byteOffset, 0);
      assert.equal(got.buffer.byteLength, BODY.byteLength);
    }
    // undici waits one loop turn before reusing a socket (client-h1), so back-to-back calls may
    // open a second connection; after that both are reused instead of one per fetch.
    assert.ok(
      server.connections - connectionsBefore <= 2,
      `${server.connections - connectionsBefore} connections`,
    );
  },
);

test('a declared Content-Length over maxBytes is refused', LIMIT, async () => {
  server.handle((_req, res) => {
    res.writeHead(200, { 'content-length': BODY.byteLength });
    res.end(BODY);
  });
  await assert.rejects(client.fetchBytes(`${server.origin}/big.ts`, { maxBytes: 4096 }), {
    code: 'SC_ERR_ENGINE_TOO_LARGE',
  });
});

test('a chunked body growing past maxBytes is aborted and its socket released', LIMIT, async () => {
  // Endless chunked body: without the cap the client would read forever.
  server.handle((_req, res) => {
    res.writeHead(200);
    const pump = () => {
      while (res.write(BODY));
    };
    res.on('drain', pump);
    pump();
  });
  await assert.rejects(client.fetchBytes(`${server.origin}/endless.ts`, { maxBytes: 64 * 1024 }), {
    code: 'SC_ERR_ENGINE_TOO_LARGE',
  });
  await server.lastRequestClosed();
});

test('fetchText decodes UTF-8 playlists; its default cap applies', LIMIT, async () => {
  const playlist = '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,ümlaut\n1.ts\n';
  server.handle((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
    res.end(playlist);
  });
  assert.equal(await client.fetchText(`${server.origin}/ace/m/h/s1.m3u8`), playlist);
  server.handle((_req, res) => {
    res.writeHead(200);
    res.end(Buffer.alloc(1024 * 1024 + 1, 0x23));
  });
  await assert.rejects(client.fetchText(`${server.origin}/ace/m/h/s1.m3u8`), {
    code: 'SC_ERR_ENGINE_TOO_LARGE',
  });
});

test('non-2xx segment fetch → SC_ERR_ENGINE_HTTP_STATUS', LIMIT, async () => {
  server.handle((_req, res) => {
    res.writeHead(404);
    res.end('expired');
  });
  await assert.rejects(client.fetchBytes(`${server.origin}/ace/c/s1/1.ts`), {
    code: 'SC_ERR_ENGINE_HTTP_STATUS',
    status: 404,
    retryable: false,
  });
});
