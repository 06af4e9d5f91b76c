import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Agent } from 'undici';
import { napMs } from '../src/byte-stream.js';
import { type ByteStream, EngineClient, isEngineError } from '../src/index.js';
import { closedPort, json, silent, startServer, type TestServer } from './helpers.js';

const CHUNKS = 5;
const CHUNK_BYTES = 188 * 20;
const LIMIT = { timeout: 10_000 };
let server: TestServer;
let client: EngineClient;
let url: string;

/** Bytes [from, from + n) of a stream whose byte i is `i & 0xff`, so order and completeness are checkable. */
function bytes(from: number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (from + i) & 0xff;
  return b;
}

/** An endless stream: CHUNKS chunks (chunked encoding), then silence with the socket open (or `then`). */
function live(then?: (res: import('node:http').ServerResponse) => void) {
  return (_req: unknown, res: import('node:http').ServerResponse) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    for (let i = 0; i < CHUNKS; i++) res.write(bytes(i * CHUNK_BYTES, CHUNK_BYTES));
    then?.(res);
  };
}

/** Collects a stream's body as copies; checks the byte pattern. */
class Collector {
  total = 0;
  views = 0;
  readonly buffers: ArrayBufferLike[] = [];
  readonly onData = (view: Uint8Array): void => {
    this.views++;
    this.buffers.push(view.buffer);
    for (const byte of view) assert.equal(byte, this.total++ & 0xff, `byte ${this.total - 1}`);
  };
}

async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

/** A raw TCP server answering every connection with `script` (for framing a Node server never sends). */
async function rawServer(
  script: (socket: net.Socket) => void,
): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const s = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.once('data', () => script(socket));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/ace/r/h/s1`,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((r) => s.close(() => r()));
    },
  };
}

async function withRaw(
  script: (socket: net.Socket) => void,
  fn: (s: ByteStream) => Promise<void>,
): Promise<void> {
  const raw = await rawServer(script);
  const c = new EngineClient({ baseUrl: new URL(raw.url).origin, timeoutMs: 2_000 });
  try {
    await fn(await c.openByteStream(raw.url));
  } finally {
    await c.close();
    await raw.close();
  }
}

before(async () => {
  server = await startServer();
  client = new EngineClient({ baseUrl: server.origin, timeoutMs: 2_000, userAgent: 'shardcast-test/1' });
  url = `${server.origin}/ace/r/h/s1`;
});
after(async () => {
  await client.close();
  await server.close();
});

test(
  'chunked body: every byte in order, as views of one reused buffer; close() resolves pipe and frees the socket',
  LIMIT,
  async () => {
    let seen: import('node:http').IncomingHttpHeaders = {};
    let res: import('node:http').ServerResponse | undefined;
    server.handle((req, r) => {
      seen = req.headers;
      res = r;
      r.writeHead(200, { 'content-type': 'video/mp2t' });
      r.flushHeaders();
    });
    const s = await client.openByteStream(url);
    assert.equal(s.statusCode, 200);
    assert.equal(s.headers['content-type'], 'video/mp2t');
    assert.equal(s.headers['transfer-encoding'], 'chunked');
    const c = new Collector();
    const piped = s.pipe(c.onData);
    // One chunk at a time, each once the previous one arrived: every chunk is its own socket read.
    for (let i = 0; i < CHUNKS; i++) {
      res!.write(bytes(i * CHUNK_BYTES, CHUNK_BYTES));
      await until(() => c.total === (i + 1) * CHUNK_BYTES);
    }
    s.close();
    s.close();
    await piped;
    await server.lastRequestClosed();
    assert.equal(seen['user-agent'], 'shardcast-test/1');
    assert.equal(seen.host, new URL(server.origin).host);
    // Every read landed in the connection's one read buffer: no allocation per read.
    assert.ok(c.views >= CHUNKS, `${c.views} views`);
    assert.equal(new Set(c.buffers).size, 1, `${new Set(c.buffers).size} buffers for ${c.views} reads`);
  },
);

test('a Content-Length body ends pipe() after exactly that many bytes', LIMIT, async () => {
  const n = 100_000;
  server.handle((_req, res) => {
    res.writeHead(200, { 'content-length': n });
    res.end(bytes(0, n));
  });
  const s = await client.openByteStream(url);
  const c = new Collector();
  await s.pipe(c.onData);
  assert.equal(c.total, n);
});

test('a body delimited by close ends at EOF with every byte', LIMIT, async () => {
  const n = 50_000;
  await withRaw(
    (socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: video/mp2t\r\n\r\n');
      socket.end(bytes(0, n));
    },
    async (s) => {
      const c = new Collector();
      await s.pipe(c.onData);
      assert.equal(c.total, n);
    },
  );
});

test('interim answers, chunk extensions and trailers split byte by byte decode exactly', LIMIT, async () => {
  const data = bytes(0, 3000);
  const wire = Buffer.concat([
    Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'),
    Buffer.from('3e8;ext=1\r\n'),
    data.subarray(0, 1000),
    Buffer.from('\r\n7D0\r\n'),
    data.subarray(1000),
    Buffer.from('\r\n0\r\nx-trailer: 1\r\n\r\n'),
  ]);
  await withRaw(
    (socket) => {
      let i = 0;
      const step = (): void => {
        if (i >= wire.length || socket.destroyed) return;
        socket.write(wire.subarray(i, i + 1));
        i++;
        setImmediate(step);
      };
      step();
    },
    async (s) => {
      const c = new Collector();
      await s.pipe(c.onData);
      assert.equal(c.total, 3000);
    },
  );
});

test('a malformed chunk size → SC_ERR_ENGINE_BAD_RESPONSE', LIMIT, async () => {
  const raw = await rawServer((socket) =>
    socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'),
  );
  const c = new EngineClient({ baseUrl: new URL(raw.url).origin, timeoutMs: 2_000 });
  // Read together with the head, the error fails the open; read later, it fails pipe().
  await assert.rejects(
    (async () => {
      const s = await c.openByteStream(raw.url);
      await s.pipe(() => {});
    })(),
    { code: 'SC_ERR_ENGINE_BAD_RESPONSE' },
  );
  await c.close();
  await raw.close();
});

test('a malformed status line → SC_ERR_ENGINE_BAD_RESPONSE from the open', LIMIT, async () => {
  const raw = await rawServer((socket) => socket.write('ICY 200 OK\r\n\r\n'));
  const c = new EngineClient({ baseUrl: new URL(raw.url).origin, timeoutMs: 2_000 });
  await assert.rejects(c.openByteStream(raw.url), { code: 'SC_ERR_ENGINE_BAD_RESPONSE' });
  await c.close();
  await raw.close();
});

test('the engine dropping the connection mid-body → SC_ERR_ENGINE_CONNECTION_LOST', LIMIT, async () => {
  server.handle(live((res) => setImmediate(() => res.socket?.destroy())));
  const s = await client.openByteStream(url);
  await assert.rejects(
    s.pipe(() => {}),
    (err: unknown) => isEngineError(err, 'SC_ERR_ENGINE_CONNECTION_LOST') && err.retryable,
  );
});

test('non-2xx → SC_ERR_ENGINE_HTTP_STATUS with the status', LIMIT, async () => {
  server.handle(json({ error: 'gone' }, 404));
  await assert.rejects(client.openByteStream(url), { code: 'SC_ERR_ENGINE_HTTP_STATUS', status: 404 });
});

test('no head within headersTimeoutMs → SC_ERR_ENGINE_TIMEOUT, socket freed', LIMIT, async () => {
  server.handle(silent);
  await assert.rejects(client.openByteStream(url, { headersTimeoutMs: 100 }), {
    code: 'SC_ERR_ENGINE_TIMEOUT',
  });
  await server.lastRequestClosed();
});

test('a refused connection → SC_ERR_ENGINE_CONNECT', LIMIT, async () => {
  const port = await closedPort();
  const c = new EngineClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2_000 });
  await assert.rejects(c.openByteStream(`http://127.0.0.1:${port}/ace/r/h/s1`), {
    code: 'SC_ERR_ENGINE_CONNECT',
  });
  await c.close();
});

test('the caller signal aborts a running stream → SC_ERR_ENGINE_ABORTED, socket freed', LIMIT, async () => {
  server.handle(live());
  const ac = new AbortController();
  const s = await client.openByteStream(url, { signal: ac.signal });
  const c = new Collector();
  const piped = s.pipe(c.onData);
  await until(() => c.total > 0);
  ac.abort();
  await assert.rejects(piped, { code: 'SC_ERR_ENGINE_ABORTED' });
  await server.lastRequestClosed();
});

test('what the callback throws rejects pipe() as it is and frees the socket', LIMIT, async () => {
  server.handle(live());
  const s = await client.openByteStream(url);
  const boom = new Error('ring full');
  await assert.rejects(
    s.pipe(() => {
      throw boom;
    }),
    (err) => err === boom,
  );
  await server.lastRequestClosed();
});

test(
  'a callback that throws on a body that came whole with the head still rejects pipe()',
  LIMIT,
  async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-length': 1000 });
      res.end(bytes(0, 1000));
    });
    const s = await client.openByteStream(url);
    // Let the whole body arrive (and the body end) before pipe() is called.
    await new Promise((r) => setTimeout(r, 50));
    const boom = new Error('ring full');
    await assert.rejects(
      s.pipe(() => {
        throw boom;
      }),
      (err) => err === boom,
    );
  },
);

test('pause() stops delivery until resume(); nothing is lost', LIMIT, async () => {
  // The server writes the second half only once the client has paused, so all of it waits in TCP buffers.
  let second: (() => void) | undefined;
  const half = 200_000;
  server.handle((_req, res) => {
    res.writeHead(200, { 'content-length': 2 * half });
    res.write(bytes(0, half));
    second = () => res.end(bytes(half, half));
  });
  const s = await client.openByteStream(url);
  const c = new Collector();
  const piped = s.pipe(c.onData);
  await until(() => c.total === half);
  s.pause();
  second!();
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(c.total, half, 'no bytes while paused');
  s.resume();
  await piped;
  assert.equal(c.total, 2 * half);
});

/** An aim no sender reaches: every coalescing pause lasts its maximum. */
const FOREVER = Number.MAX_SAFE_INTEGER;

/** Writes `b` on the server side and resolves once the kernel has it (on loopback: in the client's receive queue). */
function flushed(res: import('node:http').ServerResponse, b: Buffer): Promise<void> {
  return new Promise((r) => res.write(b, () => r()));
}

test(
  'coalesce(): writes that arrive while it waits come in one read; coalesce(0) ends the wait',
  LIMIT,
  async () => {
    let res: import('node:http').ServerResponse | undefined;
    const piece = 1000;
    server.handle((_req, r) => {
      res = r;
      r.writeHead(200, { 'content-length': 6 * piece });
      r.write(bytes(0, piece));
    });
    const s = await client.openByteStream(url);
    // Longer than any test: only coalesce(0) ends the wait that follows a short read.
    s.coalesce(600_000, FOREVER);
    const c = new Collector();
    const piped = s.pipe(c.onData);
    await until(() => c.total === piece);
    // A short read in the body: from here on the socket is not read.
    await flushed(res!, bytes(piece, piece));
    await until(() => c.total === 2 * piece);
    const views = c.views;
    for (let i = 2; i < 5; i++) await flushed(res!, bytes(i * piece, piece));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.total, 2 * piece, 'nothing read during the wait');
    s.coalesce(0);
    await until(() => c.total === 5 * piece);
    assert.equal(c.views, views + 1, 'three writes, one read');
    // Off: every write is read as it comes.
    await flushed(res!, bytes(5 * piece, piece));
    await piped;
    assert.equal(c.total, 6 * piece);
  },
);

test(
  'coalesce(): a backlog (full reads) is read without waiting; close() during a wait ends pipe()',
  LIMIT,
  async () => {
    let res: import('node:http').ServerResponse | undefined;
    const backlog = 300_000;
    server.handle((_req, r) => {
      res = r;
      r.writeHead(200, { 'content-type': 'video/mp2t', 'content-length': 1000 + backlog + 1000 });
      r.write(bytes(0, 1000));
    });
    const s = await client.openByteStream(url);
    s.coalesce(600_000, FOREVER);
    const c = new Collector();
    const piped = s.pipe(c.onData);
    await until(() => c.total === 1000);
    // Whatever the reads in between: a full read never waits, so all of it arrives long before 600 s.
    await flushed(res!, bytes(1000, backlog));
    s.coalesce(0);
    s.coalesce(600_000, FOREVER);
    await until(() => c.total === 1000 + backlog);
    // The last read of the backlog was short: the stream waits now. close() ends it, timer included.
    s.close();
    await piped;
    assert.equal(c.total, 1000 + backlog);
  },
);

test(
  'coalesce(): a fast sender is read at its own pace, never held for the maximum pause',
  LIMIT,
  async () => {
    // 1 MiB in 8 KiB writes, one per turn of the event loop (so the client's reads find the socket drained):
    // a fixed 60 s pause after a drained read would hold the rest back and stop this test at its limit.
    const total = 1024 * 1024;
    const piece = 8 * 1024;
    server.handle(async (_req, res) => {
      res.writeHead(200, { 'content-length': total });
      for (let at = 0; at < total; at += piece) {
        await flushed(res, bytes(at, piece));
        await new Promise((r) => setImmediate(r));
      }
      res.end();
    });
    const s = await client.openByteStream(url);
    s.coalesce(60_000);
    const c = new Collector();
    await s.pipe(c.onData);
    assert.equal(c.total, total);
  },
);

test('napMs: the time the aim takes at the last rate, capped, none under 2 ms', () => {
  assert.equal(napMs(100, 16_384, 2_820, 20), 100, 'a 141 kB/s source: capped');
  assert.equal(napMs(1_000, 16_384, 16_384, 50), 50, '16 KiB in 50 ms: 50 ms');
  assert.equal(napMs(100, 16_384, 1_000_000, 10), 0, '100 MB/s: no pause');
  assert.equal(napMs(100, 16_384, 0, 10), 0);
  assert.equal(napMs(100, 16_384, 1_000, 0), 0);
});

test(
  'with a caller dispatcher the same interface runs over undici (pause and resume too)',
  LIMIT,
  async () => {
    const agent = new Agent();
    const c2 = new EngineClient({ baseUrl: server.origin, timeoutMs: 2_000, dispatcher: agent });
    server.handle(live((res) => res.end()));
    const s = await c2.openByteStream(url);
    const c = new Collector();
    let paused = false;
    await s.pipe((view) => {
      c.onData(view);
      if (!paused) {
        paused = true;
        s.pause();
        setTimeout(() => s.resume(), 10);
      }
    });
    assert.equal(c.total, CHUNKS * CHUNK_BYTES);
    await c2.close();
    await agent.close();
  },
);

test('client.close() ends its open byte streams; later opens → SC_ERR_ENGINE_ABORTED', LIMIT, async () => {
  const c2 = new EngineClient({ baseUrl: server.origin, timeoutMs: 2_000 });
  server.handle(live());
  const s = await c2.openByteStream(url);
  const c = new Collector();
  const piped = s.pipe(c.onData);
  await until(() => c.total === CHUNKS * CHUNK_BYTES);
  await c2.close();
  await piped;
  await server.lastRequestClosed();
  await assert.rejects(c2.openByteStream(url), { code: 'SC_ERR_ENGINE_ABORTED' });
});
