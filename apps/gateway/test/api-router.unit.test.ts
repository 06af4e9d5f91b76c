// The control-plane router in-process, inject() style: a real StreamDirectory, EngineRegistry and Telemetry
// over a recording fake of the shards, and `handle({ method, path, query, headers })` called directly.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { loadConfig } from '../src/config/load.js';
import type { GatewayConfig } from '../src/config/types.js';
import { type ApiResponse, ApiRouter } from '../src/control/api.js';
import { type ShardPort, StreamDirectory } from '../src/control/directory.js';
import { Telemetry } from '../src/control/telemetry.js';
import { createLogger } from '../src/log.js';
import type { MainToShard } from '../src/protocol.js';
import type { StreamKey } from '../src/stream-key.js';

const API_KEY = 'unit-test-admin-key';
const ENGINE = 'http://127.0.0.1:9';
const HEX = 'c'.repeat(40);
const KEY: StreamKey = { kind: 'id', hex: HEX };

/** One shard, ready; every message main sends it is recorded. */
class FakeShards implements ShardPort {
  readonly size = 1;
  readyCount = 1;
  readonly sent: MainToShard[] = [];
  isReady(shardId: number): boolean {
    return shardId < this.readyCount;
  }
  send(_shardId: number, msg: MainToShard): boolean {
    this.sent.push(msg);
    return true;
  }
  broadcast(msg: MainToShard): void {
    this.sent.push(msg);
  }
}

function gateway(overrides: Partial<GatewayConfig> = {}) {
  const config: GatewayConfig = {
    ...loadConfig(['--engine', ENGINE, '--ring-mb', '1'], {}).config,
    ...overrides,
  };
  const log = createLogger('silent');
  const shards = new FakeShards();
  const registry = new EngineRegistry({ maxStreamsPerEngine: config.engineMaxStreams });
  registry.add({ id: ENGINE, url: ENGINE, source: 'static' });
  const directory = new StreamDirectory(config, log, shards, registry);
  const telemetry = new Telemetry(config, directory, registry, shards, log);
  const router = new ApiRouter(config, directory, registry, telemetry);
  const inject = (method: string, path: string, headers: Record<string, string> = {}): Promise<ApiResponse> =>
    router.handle({ method, path, query: '', headers });
  return { router, directory, registry, shards, inject };
}

const open: Array<ReturnType<typeof gateway>> = [];
function rig(overrides: Partial<GatewayConfig> = {}): ReturnType<typeof gateway> {
  const g = gateway(overrides);
  open.push(g);
  return g;
}
after(() => {
  for (const g of open) g.directory.closeAll('test over');
});

/** Opens the stream as a shard would and lets its owner report it live. */
function openLive(g: ReturnType<typeof gateway>): number {
  g.directory.open(0, 1, KEY);
  const entry = g.directory.byToken(HEX);
  assert.ok(entry);
  g.directory.ownerReady(entry.id);
  assert.equal(entry.state, 'live');
  return entry.id;
}

function body(r: ApiResponse): any {
  assert.equal(r.headers['Content-Type'], 'application/json');
  return JSON.parse(r.body);
}

function assertError(r: ApiResponse, status: number, code: string): void {
  assert.equal(r.status, status, r.body);
  const b = body(r);
  assert.equal(b.error.code, code);
  assert.equal(typeof b.error.message, 'string');
}

test('/ready: 200 with every shard ready and a healthy engine, 503 with the reasons otherwise', async () => {
  const g = rig();
  const ok = await g.inject('GET', '/ready');
  assert.equal(ok.status, 200);
  assert.deepEqual(body(ok).reasons, []);
  assert.equal(body(ok).ready, true);

  g.shards.readyCount = 0;
  g.registry.markDown(ENGINE, 'refused', Date.now());
  const down = await g.inject('GET', '/ready');
  assert.equal(down.status, 503);
  assert.deepEqual(body(down).reasons, ['1 of 1 shards are not ready', 'no healthy engine']);
  assert.equal((await g.inject('HEAD', '/ready')).status, 503, 'HEAD answers like GET');
});

test('/api/v1/streams lists open streams; /api/v1/streams/<id> shows one or answers 404 JSON', async () => {
  const g = rig();
  assert.deepEqual(body(await g.inject('GET', '/api/v1/streams')), { streams: [] });
  const id = openLive(g);

  const list = body(await g.inject('GET', '/api/v1/streams'));
  assert.equal(list.streams.length, 1);
  assert.equal(list.streams[0].stream, HEX);
  assert.equal(list.streams[0].state, 'live');
  assert.deepEqual(list.streams[0].key, { type: 'content_id', value: HEX });
  assert.deepEqual(list.streams[0].engine, { id: ENGINE, url: ENGINE });

  const one = await g.inject('GET', `/api/v1/streams/${HEX}`);
  assert.equal(one.status, 200);
  // The same record as in the list, but for its age (read from the clock at each answer).
  const { age_seconds: _a, ...detail } = body(one);
  const { age_seconds: _b, ...listed } = list.streams[0];
  assert.deepEqual(detail, listed);
  assert.ok(g.directory.byId(id));

  assertError(await g.inject('GET', `/api/v1/streams/${'d'.repeat(40)}`), 404, 'SC_ERR_STREAM_NOT_FOUND');
  assertError(await g.inject('GET', '/api/v1/nothing'), 404, 'SC_ERR_NOT_FOUND');
  assertError(await g.inject('GET', '/metrics'), 404, 'SC_ERR_NOT_FOUND');
});

test('DELETE /api/v1/streams/<id>: refused without --api-key, 401 without or with a wrong key, closes with the right one', async () => {
  const disabled = rig();
  openLive(disabled);
  assertError(
    await disabled.inject('DELETE', `/api/v1/streams/${HEX}`, { authorization: `Bearer ${API_KEY}` }),
    403,
    'SC_ERR_ADMIN_DISABLED',
  );
  assert.ok(disabled.directory.byToken(HEX), 'still open');

  const g = rig({ apiKey: API_KEY });
  const id = openLive(g);
  const path = `/api/v1/streams/${HEX}`;
  assertError(await g.inject('DELETE', path), 401, 'SC_ERR_UNAUTHORIZED');
  assertError(
    await g.inject('DELETE', path, { authorization: 'Bearer not-the-key' }),
    401,
    'SC_ERR_UNAUTHORIZED',
  );
  assertError(await g.inject('DELETE', path, { 'x-api-key': `${API_KEY}x` }), 401, 'SC_ERR_UNAUTHORIZED');
  assert.ok(g.directory.byToken(HEX), 'a refused DELETE closes nothing');

  g.shards.sent.length = 0;
  const closed = await g.inject('DELETE', path, { authorization: `Bearer ${API_KEY}` });
  assert.equal(closed.status, 200);
  assert.deepEqual(body(closed), { stream: HEX, closed: true });
  assert.equal(g.directory.byToken(HEX), undefined, 'the stream is gone from the directory');
  assert.ok(
    g.shards.sent.some((m) => m.type === 'detach' && m.streamId === id),
    'the shards are told to detach it',
  );
  assert.equal(body(await g.inject('GET', '/api/v1/streams')).streams.length, 0);

  assertError(await g.inject('DELETE', path, { 'x-api-key': API_KEY }), 404, 'SC_ERR_STREAM_NOT_FOUND');
});

test('/api/v1/streams/<id> is percent-decoded like every id in a path; a malformed escape is 400 JSON', async () => {
  const g = rig({ apiKey: API_KEY });
  openLive(g);
  const escaped = `%${HEX.charCodeAt(0).toString(16)}${HEX.slice(1)}`;
  const one = await g.inject('GET', `/api/v1/streams/${escaped}`);
  assert.equal(one.status, 200, one.body);
  assert.equal(body(one).stream, HEX);
  for (const bad of ['%zz', '%', `${HEX.slice(1)}%E0%A4%A`]) {
    assertError(await g.inject('GET', `/api/v1/streams/${bad}`), 400, 'SC_ERR_BAD_PATH');
    // The key is checked first: a DELETE without it learns nothing about the path.
    assertError(await g.inject('DELETE', `/api/v1/streams/${bad}`), 401, 'SC_ERR_UNAUTHORIZED');
    assertError(
      await g.inject('DELETE', `/api/v1/streams/${bad}`, { 'x-api-key': API_KEY }),
      400,
      'SC_ERR_BAD_PATH',
    );
  }
  const closed = await g.inject('DELETE', `/api/v1/streams/${escaped}`, { 'x-api-key': API_KEY });
  assert.deepEqual(body(closed), { stream: HEX, closed: true });
});

test('/metrics/performance: a name Object.prototype has is an unknown operation like any other', async () => {
  const g = rig();
  const perf = (operation: string) =>
    g.router.handle({
      method: 'GET',
      path: '/metrics/performance',
      query: `operation=${encodeURIComponent(operation)}`,
      headers: {},
    });
  // A well-formed name nobody records: 200 with count 0 and nulls, under its own key.
  const unknown = body(await perf('not_recorded')).operations.not_recorded;
  assert.equal(unknown.count, 0);
  for (const name of ['constructor', 'valueof', 'to_string']) {
    const r = await perf(name);
    assert.equal(r.status, 200, name);
    assert.deepEqual(body(r).operations, { [name]: unknown }, name);
  }
  // Not lower snake case: refused like any malformed name (`fooBar`), never looked up.
  for (const name of ['fooBar', '__proto__', 'toString', 'hasOwnProperty']) {
    assertError(await perf(name), 400, 'SC_ERR_BAD_PARAM');
  }
});

test('/api/v1/engines lists the registry', async () => {
  const g = rig();
  openLive(g);
  const r = await g.inject('GET', '/api/v1/engines');
  assert.equal(r.status, 200);
  const [engine, ...rest] = body(r).engines;
  assert.deepEqual(rest, []);
  assert.equal(engine.id, ENGINE);
  assert.equal(engine.url, ENGINE);
  assert.equal(engine.source, 'static');
  assert.equal(engine.healthy, true);
  assert.equal(engine.streams, 1, 'the open stream is assigned to it');
});

test('405 JSON for a method a route does not take', async () => {
  const g = rig({ apiKey: API_KEY });
  for (const [method, path] of [
    ['POST', '/ready'],
    ['POST', '/api/v1/streams'],
    ['DELETE', '/api/v1/streams'],
    ['PUT', `/api/v1/streams/${HEX}`],
    ['PUT', '/api/v1/engines'],
    ['GET', `/api/v1/engines/${encodeURIComponent(ENGINE)}/drain`],
    ['POST', '/metrics'],
    ['DELETE', '/metrics/performance'],
  ] as const) {
    assertError(await g.inject(method, path), 405, 'SC_ERR_METHOD_NOT_ALLOWED');
  }
});

test('drain: API key required, unknown engine 404, a static engine takes no new stream and its streams move', async () => {
  const g = rig({ apiKey: API_KEY });
  const path = `/api/v1/engines/${encodeURIComponent(ENGINE)}/drain`;
  assertError(await g.inject('POST', path), 401, 'SC_ERR_UNAUTHORIZED');
  assertError(
    await g.inject('POST', '/api/v1/engines/nope/drain', { 'x-api-key': API_KEY }),
    404,
    'SC_ERR_ENGINE_NOT_FOUND',
  );
  for (const bad of ['%E0%A4%A', '%zz', '%']) {
    assertError(
      await g.inject('POST', `/api/v1/engines/${bad}/drain`, { 'x-api-key': API_KEY }),
      400,
      'SC_ERR_BAD_PATH',
    );
  }
  const streamId = openLive(g);
  g.shards.sent.length = 0;
  const r = await g.inject('POST', path, { authorization: `Bearer ${API_KEY}` });
  assert.equal(r.status, 202);
  assert.deepEqual(body(r), { engine: ENGINE, state: 'draining', managed: false, removed_when_empty: false });
  assert.equal(g.registry.lifecycle(ENGINE), 'draining');
  assert.equal(g.registry.select(), null, 'a draining engine takes no new stream');
  assert.ok(
    !g.shards.sent.some((m) => m.type === 'engineLost'),
    'with nowhere to go its stream plays on where it is (no restart on the same engine)',
  );
  g.registry.add({ id: 'http://127.0.0.1:10', url: 'http://127.0.0.1:10', source: 'static' });
  assert.equal((await g.inject('POST', path, { 'x-api-key': API_KEY })).status, 202);
  assert.ok(
    g.shards.sent.some((m) => m.type === 'engineLost' && m.streamId === streamId),
    'its stream is told to move once another engine has room',
  );
  const row = (
    body(await g.inject('GET', '/api/v1/engines')).engines as { id: string; state: string; kind: string }[]
  ).find((e) => e.id === ENGINE)!;
  assert.equal(row.state, 'draining');
  assert.equal(row.kind, 'static');
});

test('POST /api/v1/engines without provisioning: 409 after the key check', async () => {
  const g = rig({ apiKey: API_KEY });
  assertError(await g.inject('POST', '/api/v1/engines'), 401, 'SC_ERR_UNAUTHORIZED');
  assertError(
    await g.router.handle({
      method: 'POST',
      path: '/api/v1/engines',
      query: '',
      headers: { 'x-api-key': API_KEY },
      body: '{"count":2}',
    }),
    409,
    'SC_ERR_PROVISIONING_OFF',
  );
  assert.equal(body(await g.inject('GET', '/api/v1/engines')).provisioning, null);
});
