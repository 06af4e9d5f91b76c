// What the front door does with requests off the beaten path: request smuggling attempts, methods,
// pipelining, and — pinned as they are, since uWS's parser never hands them to the gateway — HTTP/1.0,
// Host-less requests, unknown methods and requests pipelined behind an answer that has to wait.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { newestSegmentPath } from './support/hls-tools.js';
import { exchange, type RawRequest, requestText } from './support/raw-http.js';

const LIVE = 'e6'.repeat(20);
/** Opened by HEAD only: no shard holds an HLS presence lease on it before the pipelining test. */
const WARM = 'f7'.repeat(20);
/** uWS closes an HTTP connection that stays idle this long (HTTP_IDLE_TIMEOUT_S). */
const UWS_IDLE_TIMEOUT_MS = 10_000;

let sim: EngineSim;
let gw: GatewayProc;
let segmentPath = '';

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway([
    '--engine',
    sim.url,
    '--shards',
    '2',
    '--hls-segment-seconds',
    '1',
    // WARM has no viewer until the pipelining test: keep it open meanwhile.
    '--grace-seconds',
    '120',
  ]);
  segmentPath = (await newestSegmentPath(`${gw.url}/ace/manifest.m3u8?id=${LIVE}`, 20_000)) ?? '';
  assert.ok(segmentPath !== '', 'the live stream never listed a segment');
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

const get = (path: string, headers?: Record<string, string>): RawRequest => ({
  method: 'GET',
  path,
  headers,
});
const HEALTH = get('/health');

async function healthy(): Promise<void> {
  assert.equal((await getJson(`${gw.url}/health`)).status, 200);
}

describe('request smuggling', () => {
  const cases: Array<[string, string]> = [
    ['two Content-Length', 'Content-Length: 0\r\nContent-Length: 41\r\n'],
    ['two equal Content-Length', 'Content-Length: 0\r\nContent-Length: 0\r\n'],
    ['two Transfer-Encoding', 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
    ['Transfer-Encoding not chunked', 'Transfer-Encoding: gzip\r\n'],
    ['two Host', 'Host: other.test\r\n'],
  ];
  for (const [name, extra] of cases) {
    test(`${name}: 400 SC_ERR_BAD_REQUEST, then the connection is closed`, async () => {
      const bytes = `POST /health HTTP/1.1\r\nHost: gateway.test\r\n${extra}\r\n`;
      const r = await exchange(gw.port, bytes, [], 5000);
      assert.ok(r.closed, 'the gateway kept the connection open');
      const text = r.raw.toString('latin1');
      assert.match(text, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(text, /\r\nConnection: close\r\n/i);
      assert.match(text, /"code":"SC_ERR_BAD_REQUEST"/);
      assert.equal(text.split('HTTP/1.1 ').length, 2, 'exactly one answer');
    });
  }

  test('a request smuggled behind duplicate Content-Length headers is never answered', async () => {
    const smuggled = requestText(get('/health'));
    const bytes = `POST /health HTTP/1.1\r\nHost: gateway.test\r\nContent-Length: 0\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
    const r = await exchange(gw.port, bytes, [], 5000);
    assert.ok(r.closed);
    // uWS closes the connection as soon as it reaches the second request while the 400 is pending: the
    // client gets no answer at all (see README Limits), and in no case the smuggled 200.
    assert.doesNotMatch(r.raw.toString('latin1'), /HTTP\/1\.1 200/);
    await healthy();
  });

  test('Transfer-Encoding with Content-Length, or a Content-Length that is no number: closed by uWS', async () => {
    for (const extra of ['Content-Length: 5\r\nTransfer-Encoding: chunked\r\n', 'Content-Length: 5, 5\r\n']) {
      const r = await exchange(
        gw.port,
        `POST /health HTTP/1.1\r\nHost: gateway.test\r\n${extra}\r\n`,
        [],
        5000,
      );
      assert.ok(r.closed);
      assert.equal(r.raw.length, 0);
    }
    await healthy();
  });
});

describe('methods', () => {
  test('a method a route does not serve: 405 JSON with Allow; the connection stays usable', async () => {
    for (const [method, path, allow] of [
      ['POST', '/health', 'GET, HEAD, OPTIONS'],
      ['PUT', `/ace/getstream?id=${LIVE}`, 'GET, HEAD, OPTIONS'],
      ['PATCH', '/ace/manifest.m3u8', 'GET, HEAD, OPTIONS'],
      ['TRACE', segmentPath, 'GET, HEAD, OPTIONS'],
      ['CONNECT', '/metrics', 'GET, HEAD, OPTIONS'],
      ['POST', '/api/v1/streams', 'GET, HEAD, OPTIONS'],
      ['POST', `/api/v1/streams/${LIVE}`, 'GET, HEAD, DELETE, OPTIONS'],
      // Paths under one wildcard route that serve different methods: each 405 names its own path's.
      ['POST', '/api/v1/channels/news', 'GET, HEAD, PUT, DELETE, OPTIONS'],
      ['PUT', '/api/v1/channels/news/check', 'POST, OPTIONS'],
      ['GET', '/api/v1/engines/x/drain', 'POST, OPTIONS'],
      ['DELETE', '/api/v1/live', 'GET, HEAD, OPTIONS'],
      ['DELETE', '/api/v1/live/history', 'GET, HEAD, OPTIONS'],
      ['POST', '/metrics/performance', 'GET, HEAD, OPTIONS'],
      ['POST', '/hdhr/t0ken/discover.json', 'GET, HEAD, OPTIONS'],
      ['GET', '/hdhr/t0ken/lineup.post', 'POST, OPTIONS'],
    ] as const) {
      const req: RawRequest = { method, path };
      const r = await exchange(gw.port, requestText(req) + requestText(HEALTH), [req, HEALTH]);
      assert.equal(r.responses.length, 2, `${method} ${path}`);
      const [first, next] = r.responses;
      assert.equal(first!.status, 405, `${method} ${path}`);
      assert.equal(first!.headers.allow, allow);
      assert.equal(JSON.parse(first!.body.toString()).error.code, 'SC_ERR_METHOD_NOT_ALLOWED');
      assert.equal(next!.status, 200);
    }
  });

  test('unknown methods close the connection unanswered (uWS routes only the nine standard ones)', async () => {
    for (const method of ['PROPFIND', 'get', 'BREW']) {
      const r = await exchange(gw.port, requestText({ method, path: '/health' }), [], 5000);
      assert.ok(r.closed, method);
      assert.equal(r.raw.length, 0, method);
    }
    await healthy();
  });
});

describe('pipelining', () => {
  test('requests answered at once are answered in order: health, errors, OPTIONS, HEAD, playlists, segments', async () => {
    const head = await exchange(gw.port, requestText({ method: 'HEAD', path: `/ace/getstream?id=${WARM}` }), [
      { method: 'HEAD', path: '' },
    ]);
    assert.equal(head.responses[0]?.status, 200);
    const segments = async (): Promise<boolean> =>
      ((await getJson(`${gw.url}/api/v1/streams/${WARM}`)).body?.hls?.segments ?? 0) > 0;
    assert.ok(await waitFor(segments, 20_000), 'WARM never cut a segment');
    // A playlist of a stream that plays is answered before uWS parses the next request even by a shard
    // that has no HLS viewer of it yet (the first connection on each shard below): the lease and the
    // render complete in promise jobs, which run before control returns to uWS.
    const seq: RawRequest[] = [
      get('/health'),
      { method: 'HEAD', path: '/nope' },
      { method: 'OPTIONS', path: '/api/v1/streams' },
      get(`/ace/manifest.m3u8?id=${WARM}`),
      { method: 'HEAD', path: segmentPath },
      { method: 'HEAD', path: `/ace/getstream?id=${WARM}` },
      get('/ace/getstream?id=xyz'),
      get(segmentPath),
      get('/health'),
    ];
    // Several connections: the kernel spreads them over both shards.
    for (let i = 0; i < 6; i++) {
      const r = await exchange(gw.port, seq.map((q) => requestText(q)).join(''), seq);
      assert.equal(r.garbage, '');
      assert.deepEqual(
        r.responses.map((x) => x.status),
        [200, 404, 204, 200, 200, 200, 400, 200, 200],
      );
      assert.match(r.responses[3]!.body.toString(), /^#EXTM3U/);
      assert.equal(r.responses[7]!.body[0], 0x47, 'a segment starts with a TS sync byte');
    }
  });

  test('50 pipelined requests on one connection', async () => {
    const seq = Array.from({ length: 50 }, (_, i) =>
      get(i % 2 ? '/health' : `/ace/manifest.m3u8?id=${LIVE}`),
    );
    const r = await exchange(gw.port, seq.map((q) => requestText(q)).join(''), seq);
    assert.equal(r.responses.length, 50);
    assert.ok(r.responses.every((x) => x.status === 200));
  });

  test('a request pipelined behind one relayed to main closes the connection (uWS refuses async pipelining)', async () => {
    const seq = [get('/api/v1/engines'), HEALTH];
    const r = await exchange(gw.port, seq.map((q) => requestText(q)).join(''), seq, 5000);
    assert.ok(r.closed);
    // Whatever was answered before the close is in order; nothing is answered out of order.
    assert.ok(r.responses.length < 2);
    assert.equal(r.garbage, '');
    // The same requests one after the other on one connection are both answered.
    const conn = await exchange(gw.port, requestText(seq[0]!), [seq[0]!]);
    assert.equal(conn.responses[0]?.status, 200);
    await healthy();
  });
});

describe('requests uWS never hands to the gateway', () => {
  test('HTTP/1.0 (with or without Host) and HTTP/1.1 with no header: no answer, closed at the idle timeout', async () => {
    const t0 = Date.now();
    const results = await Promise.all(
      [
        'GET /health HTTP/1.0\r\n\r\n',
        'GET /health HTTP/1.0\r\nHost: gateway.test\r\n\r\n',
        `GET /ace/getstream?id=${LIVE} HTTP/1.0\r\nHost: gateway.test\r\n\r\n`,
        'GET /health HTTP/1.1\r\n\r\n',
      ].map((bytes) => exchange(gw.port, bytes, [], UWS_IDLE_TIMEOUT_MS * 3)),
    );
    for (const r of results) {
      assert.ok(r.closed, 'the gateway never closed the connection');
      assert.equal(r.raw.length, 0, 'answered after all: update README Limits');
    }
    // Closed by uWS's idle timeout, not at once (a close at once would mean a parser error).
    assert.ok(Date.now() - t0 >= UWS_IDLE_TIMEOUT_MS / 2);
    await healthy();
  });

  test('HTTP/1.1 without Host but with other headers: closed at once, unanswered', async () => {
    const r = await exchange(gw.port, 'GET /health HTTP/1.1\r\nUser-Agent: t\r\n\r\n', [], 5000);
    assert.ok(r.closed);
    assert.equal(r.raw.length, 0);
    await healthy();
  });
});
