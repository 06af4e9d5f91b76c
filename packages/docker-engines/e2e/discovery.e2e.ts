/**
 * Discovery against the real daemon: engine containers appear in the registry within 1 s of starting and
 * leave it within 1 s of stopping (events stream), containers without the label never appear, and
 * containers already running at start-up are found by the first reconcile.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { DockerEngines } from '../src/index.js';
import { engineLabels, TestDocker } from './support/docker-client.js';
import { daemonSocket, recordingLogger, waitFor } from './support/env.js';

/** The bound: an engine is usable (or gone) within 1 s of its container's change. */
const VISIBLE_WITHIN_MS = 1000;

const docker = new TestDocker(daemonSocket());
const registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
const logger = recordingLogger();
let engines: DockerEngines;
let preexisting: string;

/** Resolves with the ms between now and the registry event for `id`. */
function timeUntil(event: 'added' | 'removed', id: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const on = (e: { id: string }) => {
      if (e.id !== id) return;
      registry.off(event, on);
      resolve(performance.now() - t0);
    };
    registry.on(event, on);
  });
}

before(async () => {
  registry.add({ id: 'http://127.0.0.1:9', url: 'http://127.0.0.1:9', source: 'static' });
  preexisting = await docker.run({ name: 'pre', cmd: ['sleep', '600'], labels: engineLabels(17_000) });
  engines = new DockerEngines({ registry, logger, dockerHost: `unix://${docker.socketPath}` });
  await engines.start();
  await waitFor(() => engines.status().connected, 'discovery connected');
});

after(async () => {
  await engines?.stop();
  await docker.removeAll();
});

test('a container running before start-up is found by the first reconcile', () => {
  const e = registry.get(`docker:${preexisting}`);
  assert.ok(e, 'pre-existing engine container in the registry');
  assert.equal(e.url, 'http://127.0.0.1:17000');
  assert.ok(e.containerName?.startsWith('pre-'));
  assert.ok(registry.get('http://127.0.0.1:9'), 'static engine kept');
});

test('engines appear within 1 s of their container starting and leave within 1 s of it stopping', async () => {
  for (let i = 0; i < 3; i++) {
    const id = await docker.create({
      name: `eng${i}`,
      cmd: ['sleep', '600'],
      labels: engineLabels(17_001 + i),
    });
    const added = timeUntil('added', `docker:${id}`);
    await docker.start(id);
    const addMs = await added;
    assert.ok(addMs < VISIBLE_WITHIN_MS, `engine ${i} appeared after ${addMs.toFixed(0)} ms`);
    assert.equal(registry.get(`docker:${id}`)?.url, `http://127.0.0.1:${17_001 + i}`);

    const removed = timeUntil('removed', `docker:${id}`);
    const t0 = performance.now();
    await docker.stop(id);
    const stopMs = performance.now() - t0;
    const removeMs = (await removed) - stopMs;
    assert.ok(
      removeMs < VISIBLE_WITHIN_MS,
      `engine ${i} left ${removeMs.toFixed(0)} ms after its container stopped`,
    );
  }
});

test('a killed container leaves too, and a container without the label never appears', async () => {
  const plain = await docker.run({ name: 'plain', cmd: ['sleep', '600'], labels: { other: 'x' } });
  const id = await docker.run({ name: 'killed', cmd: ['sleep', '600'], labels: engineLabels(17_010) });
  await waitFor(() => registry.get(`docker:${id}`) !== undefined, 'engine added', 2000);
  const removed = timeUntil('removed', `docker:${id}`);
  await docker.kill(id);
  const ms = await removed;
  assert.ok(ms < VISIBLE_WITHIN_MS, `left ${ms.toFixed(0)} ms after kill`);
  assert.equal(registry.get(`docker:${plain}`), undefined);
  assert.ok(!registry.ids().some((x) => x.includes(plain)));
});

test('a labelled container without a usable address is skipped with one warning', async () => {
  const id = await docker.run({
    name: 'noaddr',
    cmd: ['sleep', '600'],
    labels: { 'shardcast.engine': 'true' },
    networkMode: 'none',
  });
  await waitFor(() => logger.lines.some((l) => l.level === 'warn'), 'a warning', 3000);
  assert.equal(registry.get(`docker:${id}`), undefined);
  const warn = logger.lines.find((l) => l.level === 'warn');
  assert.match(String(warn?.fields['reason']), /neither publishes nor exposes 6878\/tcp/);
});
