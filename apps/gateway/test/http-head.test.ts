// HEAD on every route and status: the status and headers GET gets, Content-Length as GET would send
// it (or none, for the live MPEG-TS body), and never a body — checked on one keep-alive connection per
// route, where a leaked body would be read as the start of the next answer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { newestSegmentPath } from './support/hls-tools.js';
import { RawConnection, type RawRequest, type RawResponse, requestText } from './support/raw-http.js';

const LIVE = 'c4'.repeat(20);
const OTHER = 'd5'.repeat(20);

let sim: EngineSim;
let gw: GatewayProc;
let segmentPath = '';
const dir = mkdtempSync(join(tmpdir(), 'sc-head-'));

before(async () => {
  sim = await startEngineSim({ port: 0 });
  // One channel: a stream of its own (`ch-one`), so under --max-streams 1 its player routes answer 503.
  const channels = join(dir, 'channels.json');
  writeFileSync(channels, JSON.stringify({ channels: [{ id: 'one', name: 'One', sources: [LIVE] }] }));
  // One stream at most: a second id gets 503 (an error with Retry-After) on the player routes.
  gw = await startGateway([
    '--engine',
    sim.url,
    '--shards',
    '2',
    '--max-streams',
    '1',
    '--hls-segment-seconds',
    '1',
    '--api-key',
    'k',
    '--channels',
    channels,
  ]);
  segmentPath = (await newestSegmentPath(`${gw.url}/ace/manifest.m3u8?id=${LIVE}`, 20_000)) ?? '';
  assert.ok(segmentPath !== '', 'the live stream never listed a segment');
  assert.ok(await waitFor(async () => (await getJson(`${gw.url}/ready`)).status === 200, 20_000));
});
after(async () => {
  await gw?.stop();
  await sim?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Row {
  readonly path: () => string;
  /** `null`: 200 or 503 (readiness can change between two requests). */
  readonly status: number | null;
  /** The GET body is the same from one request to the next, so HEAD's length must equal it. */
  readonly stable: boolean;
  /** Live body: no Content-Length on either. */
  readonly live?: boolean;
}

const rows: Row[] = [
  { path: () => '/health', status: 200, stable: false },
  { path: () => '/nope', status: 404, stable: true },
  { path: () => `/ace/getstream?id=${LIVE}`, status: 200, stable: false, live: true },
  { path: () => '/ace/getstream', status: 400, stable: true },
  { path: () => '/ace/getstream?id=xyz', status: 400, stable: true },
  { path: () => `/ace/getstream?id=${OTHER}`, status: 503, stable: true },
  { path: () => `/ace/manifest.m3u8?id=${LIVE}`, status: 200, stable: false },
  { path: () => '/ace/manifest.m3u8?id=nothex', status: 400, stable: true },
  { path: () => `/ace/manifest.m3u8?id=${OTHER}`, status: 503, stable: true },
  { path: () => segmentPath, status: 200, stable: true },
  { path: () => `/ace/hls/${LIVE}/1.ts`, status: 404, stable: true },
  { path: () => '/ace/hls/nothex/1.ts', status: 404, stable: true },
  { path: () => '/ready', status: null, stable: false },
  { path: () => '/metrics', status: 200, stable: false },
  { path: () => '/metrics/performance', status: 200, stable: false },
  { path: () => '/metrics/performance?window=0', status: 400, stable: true },
  { path: () => '/api/v1/streams', status: 200, stable: false },
  { path: () => `/api/v1/streams/${LIVE}`, status: 200, stable: false },
  { path: () => `/api/v1/streams/${OTHER}`, status: 404, stable: true },
  { path: () => '/api/v1/engines', status: 200, stable: false },
  { path: () => '/api/v1/nothing', status: 404, stable: true },
  { path: () => '/', status: 200, stable: true },
  { path: () => '/dashboard/', status: 200, stable: true },
  { path: () => '/api/v1/live', status: 200, stable: false },
  { path: () => '/api/v1/live/history', status: 200, stable: false },
  { path: () => '/dashboard', status: 200, stable: true },
  { path: () => '/dashboard/assets/nope.js', status: 404, stable: true },
  // Channels, their exports and the HDHomeRun tuner.
  { path: () => '/channel/one.ts', status: 503, stable: true },
  { path: () => '/channel/one.m3u8', status: 503, stable: true },
  { path: () => '/channel/nope.ts', status: 404, stable: true },
  { path: () => '/channel/hls/ch-one/1.ts', status: 404, stable: true },
  { path: () => '/playlist.m3u', status: 200, stable: true },
  { path: () => '/epg.xml', status: 404, stable: true },
  { path: () => '/discover.json', status: 200, stable: true },
  { path: () => '/lineup.json', status: 200, stable: true },
  { path: () => '/lineup_status.json', status: 200, stable: true },
  { path: () => '/device.xml', status: 200, stable: true },
  { path: () => '/hdhr/t0ken/discover.json', status: 200, stable: true },
  { path: () => '/api/v1/channels', status: 401, stable: true },
  { path: () => '/api/v1/channels/one', status: 401, stable: true },
];

const HEALTH: RawRequest = { method: 'GET', path: '/health' };

/** `req` then GET /health on the same connection, each once the previous answer is in. */
async function thenHealth(req: RawRequest): Promise<{ first: RawResponse; garbage: string }> {
  const conn = new RawConnection(gw.port);
  try {
    const a = await conn.send(requestText(req), [req]);
    assert.equal(a.responses.length, 1, `${req.method} ${req.path}: no answer (closed: ${a.closed})`);
    if (req.streaming) return { first: a.responses[0]!, garbage: a.garbage };
    const b = await conn.send(requestText(HEALTH), [HEALTH]);
    const garbage = a.garbage + b.garbage;
    assert.equal(b.responses.length, 1, `${req.method} ${req.path}: next request unanswered (${garbage})`);
    assert.equal(b.responses[0]!.status, 200);
    assert.match(b.responses[0]!.body.toString(), /^\{"status":"ok"/);
    return { first: a.responses[0]!, garbage };
  } finally {
    conn.close();
  }
}

test('HEAD answers like GET on every route and status, without a body', async () => {
  for (const row of rows) {
    const path = row.path();
    const get = await thenHealth({ method: 'GET', path, streaming: row.live });
    const head = await thenHealth({ method: 'HEAD', path });
    const what = `HEAD ${path}`;
    const statuses = row.status === null ? [200, 503] : [row.status];
    assert.ok(statuses.includes(get.first.status), `GET ${path}: ${get.first.status}`);
    assert.ok(statuses.includes(head.first.status), `${what}: ${head.first.status}`);
    assert.equal(head.garbage, '', `${what} sent bytes after its headers`);
    assert.equal(head.first.headers['content-type'], get.first.headers['content-type'], what);
    assert.equal(head.first.headers['transfer-encoding'], undefined, what);
    if (row.live) {
      assert.equal(get.first.headers['transfer-encoding'], 'chunked', `GET ${path}`);
      assert.equal(head.first.headers['content-length'], undefined, `${what}: a live body has no length`);
    } else if (row.stable) {
      assert.equal(head.first.headers['content-length'], String(get.first.body.length), what);
    } else {
      assert.match(head.first.headers['content-length'] ?? '', /^[1-9]\d*$/, what);
    }
    if (row.status !== null && row.status >= 400) {
      assert.equal(head.first.headers['content-type'], 'application/json', what);
      assert.equal(JSON.parse(get.first.body.toString()).error.code.startsWith('SC_ERR_'), true);
    }
    if (row.status === 503) assert.equal(head.first.headers['retry-after'], '5', what);
  }
  // The same length as GET where the body is the same from one request to the next.
  const health = await thenHealth({ method: 'HEAD', path: '/health' });
  assert.equal(health.first.headers['content-length'], String('{"status":"ok","shard":0}'.length));
});
