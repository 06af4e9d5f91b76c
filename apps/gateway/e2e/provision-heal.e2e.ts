/**
 * Healing and draining managed engines against the real private daemon (min 2, so a spare is ready):
 * `docker kill` of an engine that carries a stream, an engine whose `get_status` starts failing
 * (engine-sim's statusError fault), and the drain API. In each case the stream moves to another engine,
 * its clients keep their sockets and keep receiving valid TS, and a new engine takes the old one's place.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GatewayProc } from '../test/support/gateway-proc.js';
import { checkTs, type LiveTs, openTs } from '../test/support/ts-reader.js';
import { E2eDocker, until } from './docker-support.js';
import {
  API_KEY,
  engineView,
  managedContainers,
  managedRows,
  type ProvisionRow,
  startProvisionGateway,
  streamRows,
  untilManagedReady,
  writeTemplate,
} from './provision-support.js';

const TS_PACKET_SIZE = 188;
/** Media the clients must receive after the engine went (about 2 s of engine-sim's stream). */
const AFTER_BYTES = TS_PACKET_SIZE * 1500;

let docker: E2eDocker;
let gw: GatewayProc | undefined;
let template: ReturnType<typeof writeTemplate>;

before(async () => {
  docker = new E2eDocker();
  await docker.checkPrerequisites();
  template = writeTemplate();
  ({ gw } = await startProvisionGateway(docker, template.path, [
    '--provision-min',
    '2',
    '--provision-unhealthy-seconds',
    '1',
    '--grace-seconds',
    '1',
  ]));
  await untilManagedReady(gw, 2, 30_000);
});

after(async () => {
  await gw?.stop();
  await docker?.removeAll();
  template?.cleanup();
});

/** Opens `n` clients on a stream and waits until it is live on a managed engine; returns that engine. */
async function playing(id: string, n: number): Promise<{ clients: LiveTs[]; engine: ProvisionRow }> {
  const g = gw!;
  const clients = Array.from({ length: n }, () => openTs(`${g.url}/ace/getstream?id=${id}`));
  for (const c of clients) assert.equal((await c.response).status, 200);
  for (const c of clients) assert.ok(await c.waitBytes(TS_PACKET_SIZE * 200, 20_000), 'media before');
  const row = (await streamRows(g)).find((s) => s.key.value === id)!;
  const engine = (await managedRows(g)).find((e) => e.id === row.engine.id);
  assert.ok(engine, `the stream runs on a managed engine (${row.engine.id})`);
  return { clients, engine };
}

/** The clients keep their sockets and receive `AFTER_BYTES` more of valid TS. */
async function keptPlaying(clients: LiveTs[], what: string): Promise<void> {
  const marks = clients.map((c) => c.received());
  await Promise.all(
    clients.map(async (c, i) => {
      assert.ok(await c.waitBytes(marks[i]! + AFTER_BYTES, 30_000), `media kept arriving after ${what}`);
    }),
  );
  for (const [i, c] of clients.entries()) {
    const r = await c.close();
    assert.equal(r.closedByServer, false, 'the client kept its socket');
    assert.equal(checkTs(r.bytes).syncErrors, 0, 'never spliced mid-packet');
    const mark = marks[i]!;
    const tail = checkTs(r.bytes.subarray(mark - (mark % TS_PACKET_SIZE)));
    const media = tail.packets - tail.nullPackets;
    assert.ok(media > AFTER_BYTES / TS_PACKET_SIZE / 3, `media after ${what} (${media} packets)`);
  }
}

async function untilMoved(id: string, from: string): Promise<void> {
  await until(
    async () => {
      const row = (await streamRows(gw!)).find((s) => s.key.value === id);
      return row !== undefined && row.engine.id !== from && row.state === 'live';
    },
    60_000,
    `the stream moved off ${from}`,
  );
}

/** The old engine is gone (registry and daemon) and the fleet is back to at least two ready engines. */
async function untilReplaced(old: ProvisionRow): Promise<void> {
  await until(
    async () => {
      const rows = await managedRows(gw!);
      const ready = rows.filter((e) => e.state === 'ready' && e.healthy);
      const containers = await managedContainers(docker);
      return (
        !rows.some((e) => e.id === old.id) &&
        !containers.some((c) => `docker:${c.Id}` === old.id) &&
        ready.length >= 2
      );
    },
    60_000,
    `${old.url} replaced`,
  );
}

test('docker kill of an engine with a stream: clients keep playing, a new engine replaces it', async (t) => {
  const id = 'dead0e4e7c1d2b3a4958677685940a1b2c3d4e5f';
  const { clients, engine } = await playing(id, 2);
  await docker.kill(engine.container!.id);
  t.diagnostic(`killed ${engine.url}`);
  await untilMoved(id, engine.id);
  await untilReplaced(engine);
  await keptPlaying(clients, 'the kill');
  const prom = await fetch(`${gw!.url}/metrics`).then((r) => r.text());
  assert.match(prom, /shardcast_engine_removals_total\{reason="died"\} [1-9]/);
});

test('an engine whose get_status fails is drained and replaced without dropping a client', async (t) => {
  const id = 'fa17ed4e7c1d2b3a4958677685940a1b2c3d4e5f';
  const { clients, engine } = await playing(id, 2);
  const r = await fetch(`${engine.url}/sim/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ statusError: 'engine overloaded' }),
  });
  assert.equal(r.status, 200);
  t.diagnostic(`get_status of ${engine.url} now fails`);
  await untilMoved(id, engine.id);
  await untilReplaced(engine);
  await keptPlaying(clients, 'the drain');
  assert.ok(
    gw!.logs.some((l) => l.msg === 'replacing an unhealthy engine' && l.engine === engine.url),
    'logged as unhealthy',
  );
  const prom = await fetch(`${gw!.url}/metrics`).then((x) => x.text());
  assert.match(prom, /shardcast_engine_removals_total\{reason="unhealthy"\} 1/);
});

test('POST /api/v1/engines/<id>/drain moves the streams away, then removes the managed engine', async () => {
  const g = gw!;
  const id = 'd4a1ed4e7c1d2b3a4958677685940a1b2c3d4e5f';
  const { clients, engine } = await playing(id, 2);
  const path = `${g.url}/api/v1/engines/${encodeURIComponent(engine.id)}/drain`;
  assert.equal((await fetch(path, { method: 'POST' })).status, 401);
  const unknown = await fetch(`${g.url}/api/v1/engines/docker%3Anope/drain`, {
    method: 'POST',
    headers: { 'X-API-Key': API_KEY },
  });
  assert.equal(unknown.status, 404);
  assert.equal(((await unknown.json()) as { error: { code: string } }).error.code, 'SC_ERR_ENGINE_NOT_FOUND');
  const r = await fetch(path, { method: 'POST', headers: { Authorization: `Bearer ${API_KEY}` } });
  assert.equal(r.status, 202);
  assert.deepEqual(await r.json(), {
    engine: engine.id,
    state: 'draining',
    managed: true,
    removed_when_empty: true,
  });
  await untilMoved(id, engine.id);
  await untilReplaced(engine);
  await keptPlaying(clients, 'the drain');
  const prom = await fetch(`${g.url}/metrics`).then((x) => x.text());
  assert.match(prom, /shardcast_engine_removals_total\{reason="drained"\} 1/);
});

test('POST /api/v1/engines {"count": N} sets a floor; bad bodies are refused', async () => {
  const g = gw!;
  const post = (body: string, key = true) =>
    fetch(`${g.url}/api/v1/engines`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(key ? { 'X-API-Key': API_KEY } : {}) },
      body,
    });
  assert.equal((await post('{"count":3}', false)).status, 401);
  for (const bad of ['', 'nope', '{"count":-1}', '{"count":1.5}', '{"count":99}', '{"n":2}', '[3]']) {
    const r = await post(bad);
    assert.equal(r.status, 400, bad);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'SC_ERR_BAD_COUNT');
  }
  const r = await post('{"count":3}');
  assert.equal(r.status, 200);
  assert.equal(((await r.json()) as { floor: number }).floor, 3);
  await until(
    async () => {
      const v = await engineView(g);
      return v.provisioning.desired >= 3 && v.engines.filter((e) => e.state === 'ready').length >= 3;
    },
    30_000,
    'three managed engines ready',
  );
});
