/**
 * The engine image from scripts/docker-e2e-setup.sh: a container running the repo's engine-sim (host
 * node and libraries bind-mounted read-only, host network, address labels) is discovered, passes the real
 * get_status health probe, serves an MPEG-TS session, gets container stats, and leaves the registry within
 * 1 s of being killed. This is the building block of the gateway's own Docker e2e tests.
 */
import assert from 'node:assert/strict';
import { existsSync, realpathSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EngineClient } from '@shardcast/engine-client';
import { EngineRegistry, HealthProber } from '@shardcast/engines';
import { DockerEngines } from '../src/index.js';
import { engineLabels, TestDocker } from './support/docker-client.js';
import { daemonSocket, ENGINE_IMAGE, recordingLogger, waitFor } from './support/env.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const SIM_CLI = `${REPO}apps/engine-sim/dist/src/cli.js`;
const CONTENT_ID = '5a3e1f0c8b7d6e4a2c9f0b1d3e5a7c9e1f2b4d6a';
const TS_SYNC_BYTE = 0x47;
const TS_PACKET_SIZE = 188;

const docker = new TestDocker(daemonSocket());
const registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
const clients: EngineClient[] = [];
let engines: DockerEngines;
let prober: HealthProber;
let port: number;
let containerId: string;

/** A free loopback port (the engine binds it on the host network a moment later). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const p = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return p;
}

/** The `docker run` the setup script's docker/run-engine.sh does, as an API call. */
function engineMounts(): string[] {
  return [
    `${realpathSync(process.execPath)}:/usr/local/bin/node:ro`,
    '/lib:/lib:ro',
    '/lib64:/lib64:ro',
    '/usr/lib:/usr/lib:ro',
    `${REPO}:/app:ro`,
  ];
}

before(async () => {
  assert.ok(existsSync(SIM_CLI), `engine-sim is not built (${SIM_CLI}): run npm run build`);
  assert.ok(
    await docker.imageExists(ENGINE_IMAGE),
    `${ENGINE_IMAGE} is missing: run scripts/docker-e2e-setup.sh`,
  );
  port = await freePort();
  engines = new DockerEngines({
    registry,
    logger: recordingLogger(),
    dockerHost: `unix://${docker.socketPath}`,
  });
  prober = new HealthProber(registry, {
    intervalMs: 1000,
    timeoutMs: 1000,
    clientFor: (url) => {
      const c = new EngineClient({ baseUrl: url, timeoutMs: 1000 });
      clients.push(c);
      return c;
    },
  });
  await engines.start();
  prober.start();
  await waitFor(() => engines.status().connected, 'discovery connected');
  containerId = await docker.run({
    name: 'engine-sim',
    image: ENGINE_IMAGE,
    cmd: ['shardcast-engine-sim', '--host', '127.0.0.1', '--port', String(port)],
    labels: engineLabels(port),
    networkMode: 'host',
    binds: engineMounts(),
  });
});

after(async () => {
  await prober?.stop();
  await engines?.stop();
  await Promise.all(clients.map((c) => c.close()));
  await docker.removeAll();
});

test('the engine container is discovered and passes the get_status probe', async () => {
  const id = `docker:${containerId}`;
  await waitFor(() => registry.get(id) !== undefined, 'engine discovered', 2000);
  assert.equal(registry.get(id)?.url, `http://127.0.0.1:${port}`);
  // The first probe may race node's start-up; wait for a successful one.
  await waitFor(
    () => {
      const e = registry.get(id);
      return e !== undefined && e.lastProbeAtMs !== null && e.lastError === null;
    },
    'a successful probe',
    10_000,
  );
  assert.equal(registry.get(id)?.healthy, true);
  assert.equal(registry.select()?.id, id, 'selectable for a new stream');
});

test('the engine in the container serves an MPEG-TS session', async () => {
  const client = new EngineClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 5000 });
  clients.push(client);
  const session = await client.startSession({ key: { kind: 'id', value: CONTENT_ID }, format: 'ts' });
  const stream = await client.openStream(session.playbackUrl);
  try {
    assert.equal(stream.statusCode, 200);
    let got = Buffer.alloc(0);
    for await (const chunk of stream.body) {
      got = Buffer.concat([got, chunk]);
      if (got.length >= TS_PACKET_SIZE * 10) break;
    }
    for (let i = 0; i < 10; i++) assert.equal(got[i * TS_PACKET_SIZE], TS_SYNC_BYTE, `packet ${i} sync byte`);
  } finally {
    stream.close();
    await client.stop(session.commandUrl);
  }
});

test('the engine container gets stats, and leaves the registry within 1 s of being killed', async () => {
  const id = `docker:${containerId}`;
  await waitFor(() => (registry.get(id)?.stats ?? null) !== null, 'container stats', 15_000);
  const s = registry.get(id)?.stats;
  assert.ok(s);
  assert.ok(s.memoryBytes > 1024 * 1024, `node uses some memory: ${s.memoryBytes}`);
  const t0 = performance.now();
  const removed = new Promise<number>((resolve) =>
    registry.on('removed', (e) => {
      if (e.id === id) resolve(performance.now() - t0);
    }),
  );
  await docker.kill(containerId);
  const ms = await removed;
  assert.ok(ms < 1000, `left ${ms.toFixed(0)} ms after the kill`);
});
