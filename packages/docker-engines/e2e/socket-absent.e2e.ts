/**
 * Without a Docker socket the facade reports discovery off with a reason and does nothing else; when the
 * daemon goes away under a running facade it logs once, keeps the static engines, and recovers with the
 * containers that started meanwhile.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { DockerEngines } from '../src/index.js';
import { CountingProxy } from './support/counting-proxy.js';
import { engineLabels, TestDocker } from './support/docker-client.js';
import { daemonSocket, recordingLogger, sleep, waitFor } from './support/env.js';

const docker = new TestDocker(daemonSocket());
const proxy = new CountingProxy(join(tmpdir(), `sc-docker-outage-${process.pid}.sock`), docker.socketPath);

after(async () => {
  await proxy.stop();
  await docker.removeAll();
});

function registryWithStatic(): EngineRegistry {
  const registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
  registry.add({ id: 'http://127.0.0.1:9', url: 'http://127.0.0.1:9', source: 'static' });
  return registry;
}

test('socket absent: discovery is off, with a reason the gateway can log', async () => {
  const missing = join(tmpdir(), `sc-no-docker-${process.pid}.sock`);
  const logger = recordingLogger();
  const registry = registryWithStatic();
  const saved = process.env['DOCKER_HOST'];
  process.env['DOCKER_HOST'] = `unix://${missing}`;
  try {
    const engines = new DockerEngines({ registry, logger });
    const st = await engines.start();
    assert.equal(st.enabled, false);
    assert.equal(st.connected, false);
    assert.equal(
      st.reason,
      `Docker discovery is off: no Docker socket at ${missing} (set DOCKER_HOST to use another daemon); only static engines are used.`,
    );
    await sleep(300);
    assert.equal(engines.status().callsPerMinute, 0);
    assert.deepEqual(registry.ids(), ['http://127.0.0.1:9']);
    assert.equal(logger.lines.length, 0);
    await engines.stop();
  } finally {
    process.env['DOCKER_HOST'] = saved;
  }
});

test('the daemon going away: one warning, static engines kept, recovery picks up new containers', async () => {
  await proxy.start();
  const logger = recordingLogger();
  const registry = registryWithStatic();
  const engines = new DockerEngines({
    registry,
    logger,
    dockerHost: `unix://${proxy.socketPath}`,
    backoff: { initialMs: 100, maxMs: 400 },
  });
  try {
    await engines.start();
    await waitFor(() => engines.status().connected, 'connected');
    await proxy.stop();
    await waitFor(() => !engines.status().connected, 'outage noticed', 5000);
    await sleep(1500); // several retries
    const warns = logger.lines.filter((l) => l.level === 'warn');
    assert.equal(warns.length, 1, 'one line for the outage');
    assert.match(warns[0]!.msg, /static engines keep serving, retrying with backoff/);
    assert.match(engines.status().reason ?? '', /is unreachable \(/);
    assert.ok(registry.get('http://127.0.0.1:9'));

    const id = await docker.run({
      name: 'during-outage',
      cmd: ['sleep', '600'],
      labels: engineLabels(17_300),
    });
    await proxy.start();
    await waitFor(() => registry.get(`docker:${id}`) !== undefined, 'reconnected and reconciled', 5000);
    assert.equal(engines.status().connected, true);
    assert.equal(logger.lines.at(-1)?.msg, 'Docker discovery reconnected');
  } finally {
    await engines.stop();
  }
});
