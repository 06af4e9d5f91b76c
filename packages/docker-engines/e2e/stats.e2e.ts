/**
 * Stats against the real daemon: a busy-looping container shows CPU > 50 %, an idle one near 0, with
 * memory (without page cache) and its limit filled in; every collection is reported to `onCollect`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { DockerEngines } from '../src/index.js';
import { engineLabels, TestDocker } from './support/docker-client.js';
import { daemonSocket, recordingLogger, waitFor } from './support/env.js';

const docker = new TestDocker(daemonSocket());
const registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
const collected: { ms: number; ok: boolean }[] = [];
let engines: DockerEngines;
let busy: string;
let idle: string;

before(async () => {
  busy = await docker.run({
    name: 'busy',
    cmd: ['sh', '-c', 'while :; do :; done'],
    labels: engineLabels(17_100),
  });
  idle = await docker.run({ name: 'idle', cmd: ['sleep', '600'], labels: engineLabels(17_101) });
  engines = new DockerEngines({
    registry,
    logger: recordingLogger(),
    dockerHost: `unix://${docker.socketPath}`,
    onCollect: (ms, ok) => collected.push({ ms, ok }),
  });
  await engines.start();
  // Two engines → one sample each per 3 s; CPU % needs two samples, and the busy loop a moment to ramp.
  await waitFor(
    () =>
      (registry.get(`docker:${busy}`)?.stats ?? null) !== null &&
      (registry.get(`docker:${idle}`)?.stats ?? null) !== null,
    'stats for both containers',
    20_000,
  );
});

after(async () => {
  await engines?.stop();
  await docker.removeAll();
});

test('a busy-looping container shows CPU above 50 %', () => {
  const s = registry.get(`docker:${busy}`)?.stats;
  assert.ok(s);
  assert.ok(s.cpuPercent > 50, `busy cpu ${s.cpuPercent.toFixed(1)} %`);
  assert.ok(s.cpuPercent <= 200, 'never more than the machine');
});

test('an idle container shows CPU near 0', () => {
  const s = registry.get(`docker:${idle}`)?.stats;
  assert.ok(s);
  assert.ok(s.cpuPercent < 5, `idle cpu ${s.cpuPercent.toFixed(2)} %`);
});

test('memory without cache, its limit and sample time are filled in', () => {
  const s = registry.get(`docker:${idle}`)?.stats;
  assert.ok(s);
  assert.ok(s.memoryBytes > 0 && s.memoryBytes < 64 * 1024 * 1024, `idle busybox memory ${s.memoryBytes}`);
  assert.ok(s.memoryLimitBytes >= s.memoryBytes);
  assert.ok(Date.now() - s.atMs < 10_000, 'fresh');
  for (const v of [s.netRxBytesPerSec, s.netTxBytesPerSec, s.blockReadBytesPerSec, s.blockWriteBytesPerSec]) {
    assert.ok(Number.isFinite(v) && v >= 0);
  }
});

test('one-shot stats on this daemon, each collection reported with its duration', () => {
  const st = engines.status();
  assert.equal(st.oneShotStats, true, `API ${st.apiVersion}`);
  assert.ok(collected.length >= 4);
  assert.ok(collected.every((c) => c.ok && c.ms > 0 && c.ms < 5000));
  assert.equal(st.counters.calls.stats, collected.length);
  assert.equal(st.counters.errors.stats, 0);
});
