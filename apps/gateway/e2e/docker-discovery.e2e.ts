/**
 * Docker engines, gateway level, against the real private daemon: with Docker discovery on and no engine
 * configured, an engine container running engine-sim is discovered within 1 s of its start, is listed by
 * GET /api/v1/engines (source, container, health after a real probe, stats with their age), serves a
 * stream through the gateway, and leaves the list within 1 s of its container stopping.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GatewayProc } from '../test/support/gateway-proc.js';
import { getJson } from '../test/support/gateway-proc.js';
import { checkTs, readTs } from '../test/support/ts-reader.js';
import {
  E2eDocker,
  type EngineContainer,
  engine,
  engines,
  freePort,
  simStats,
  startDockerGateway,
  until,
  untilProbedHealthy,
} from './docker-support.js';

/** The bound: an engine is listed (or gone) within 1 s of its container's change. */
const VISIBLE_WITHIN_MS = 1000;
const CONTENT_ID = 'd0c4e7a1b2c3d4e5f60718293a4b5c6d7e8f9012';

let docker: E2eDocker;
let gw: GatewayProc;
let a: EngineContainer;

before(async () => {
  docker = new E2eDocker();
  await docker.checkPrerequisites();
  gw = await startDockerGateway(docker, ['--grace-seconds', '1']);
  a = await docker.createEngine('gw-engine-a', await freePort());
});

after(async () => {
  await gw?.stop();
  await docker?.removeAll();
});

test('Docker discovery on and no engine configured: no simulator, an empty engine list', async () => {
  const msgs = gw.logs.map((l) => String(l.msg));
  assert.ok(msgs.includes('Docker engine discovery is on'), msgs.join('\n'));
  assert.ok(!msgs.some((m) => /embedded engine simulator/.test(m)), 'the embedded simulator stays off');
  assert.deepEqual(await engines(gw), []);
});

test('an engine container is listed by GET /api/v1/engines within 1 s of its start', async (t) => {
  const t0 = performance.now();
  const [listedAt] = await Promise.all([
    until(async () => (await engine(gw, a.engineId)) !== undefined, 5000, 'the engine in the list'),
    docker.start(a.id),
  ]);
  const ms = listedAt - t0;
  t.diagnostic(`listed ${ms.toFixed(0)} ms after the start call`);
  assert.ok(ms < VISIBLE_WITHIN_MS, `listed ${ms.toFixed(0)} ms after the start call`);
  const row = await engine(gw, a.engineId);
  assert.ok(row);
  assert.equal(row.source, 'docker');
  assert.equal(row.url, a.url);
  assert.deepEqual(row.container, { id: a.id, name: a.name });
  assert.equal(row.streams, 0);
});

test('the listed engine is healthy after a real get_status probe and gets container stats with an age', async () => {
  const probed = await untilProbedHealthy(gw, a.engineId);
  assert.ok(probed.last_probe_age_seconds! >= 0);
  // Stats need two samples (CPU % is a difference) at the 1-engine interval of 3 s.
  let row = probed;
  await until(
    async () => {
      row = (await engine(gw, a.engineId))!;
      return row.stats !== null;
    },
    15_000,
    'container stats',
  );
  const s = row.stats!;
  assert.ok(s['memoryBytes']! > 1024 * 1024, `node in the container uses memory: ${s['memoryBytes']}`);
  assert.ok(s['cpuPercent']! >= 0, `cpu ${s['cpuPercent']}`);
  assert.ok(s.age_seconds >= 0 && s.age_seconds < 10, `stats age ${s.age_seconds} s`);
});

test('the engine container serves a stream through the gateway: PAT, PMT, keyframe, continuity', async () => {
  const url = `${gw.url}/ace/getstream?id=${CONTENT_ID}`;
  const reading = readTs(url, 3000);
  await until(
    async () => (await getJson(`${gw.url}/api/v1/streams/${CONTENT_ID}`)).body?.state === 'live',
    5000,
    'the stream live',
  );
  const live = (await getJson(`${gw.url}/api/v1/streams/${CONTENT_ID}`)).body;
  assert.equal(live.engine.id, a.engineId);
  assert.equal((await engine(gw, a.engineId))?.streams, 1);
  const r = await reading;
  assert.equal(r.status, 200);
  assert.equal(r.closedByServer, false);
  const c = checkTs(r.bytes);
  assert.ok(c.packets > 500, `${c.packets} packets in 3 s`);
  assert.ok(c.startsWithPsiAndKeyframe, `first PIDs ${c.firstPids.join(',')}`);
  assert.equal(c.syncErrors, 0);
  assert.equal(c.ccErrors, 0);
  assert.equal((await simStats(a)).sessionsStarted, 1, 'the session ran in the container');
});

test('engines leave GET /api/v1/engines within 1 s of their container stopping', async (t) => {
  // A second engine, so two containers stop at once; first let the stream above close (grace 1 s).
  const b = await docker.createEngine('gw-engine-b', await freePort());
  await docker.start(b.id);
  await until(async () => (await engine(gw, b.engineId)) !== undefined, 5000, 'the second engine listed');
  await until(
    async () => (await getJson(`${gw.url}/api/v1/streams`)).body.streams.length === 0,
    10_000,
    'the stream closed',
  );
  const gone: Record<string, number> = {};
  const watching = until(
    async () => {
      const ids = new Set((await engines(gw)).map((e) => e.id));
      for (const c of [a, b]) if (!ids.has(c.engineId)) gone[c.id] ??= performance.now();
      return Object.keys(gone).length === 2;
    },
    15_000,
    'both engines gone',
  );
  const stoppedAt: Record<string, number> = {};
  await Promise.all(
    [a, b].map(async (c) => {
      await docker.stop(c.id);
      stoppedAt[c.id] = performance.now();
    }),
  );
  await watching;
  for (const c of [a, b]) {
    // The stop call returns once the container has exited; the engine may already be gone by then.
    const ms = gone[c.id]! - stoppedAt[c.id]!;
    t.diagnostic(`${c.name} left ${ms.toFixed(0)} ms after its container stopped`);
    assert.ok(ms < VISIBLE_WITHIN_MS, `${c.name} left ${ms.toFixed(0)} ms after its container stopped`);
  }
  assert.deepEqual(await engines(gw), []);
});
