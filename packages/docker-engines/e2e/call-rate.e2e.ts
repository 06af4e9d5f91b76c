/**
 * Docker API calls per minute follow the engine count (0, 3, 8 engines), measured at the socket through a
 * counting proxy in front of the real daemon, and never exceed the cap.
 *
 * Time scale: the facade runs with timeScale 0.5, so one "minute" of its schedule takes 30 s of real time
 * (stats intervals 1.5 s / 1 s, reconcile 5 s, the cap's refill twice as fast). Each phase measures
 * MEASURE_MS of real time and converts to calls per scaled minute: calls × (60 000 × scale / MEASURE_MS).
 * The test containers are created on the daemon socket directly, so the proxy sees only the package.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, type TestContext, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { DEFAULT_BURST, DEFAULT_MAX_CALLS_PER_SEC, DockerEngines } from '../src/index.js';
import { CountingProxy } from './support/counting-proxy.js';
import { engineLabels, TestDocker } from './support/docker-client.js';
import { daemonSocket, recordingLogger, sleep, waitFor } from './support/env.js';

const TIME_SCALE = 0.5;
const MEASURE_MS = 10_000;
const perScaledMinute = (calls: number) => (calls * 60_000 * TIME_SCALE) / MEASURE_MS;
/** Counts over a short window vary with the first tick's phase: allow 15 % (at least one call). */
const TOLERANCE = 0.15;

const docker = new TestDocker(daemonSocket());
const proxy = new CountingProxy(join(tmpdir(), `sc-docker-proxy-${process.pid}.sock`), docker.socketPath);
const running: string[] = [];
let registry: EngineRegistry;
let engines: DockerEngines;

async function scaleTo(n: number): Promise<void> {
  const starts: Promise<string>[] = [];
  for (let i = running.length; i < n; i++) {
    starts.push(docker.run({ name: `rate${i}`, cmd: ['sleep', '600'], labels: engineLabels(17_200 + i) }));
  }
  running.push(...(await Promise.all(starts)));
  await waitFor(() => engines.status().engines === n, `${n} engines in the registry`, 5000);
  // Let the schedule settle on the new count (one full interval) before measuring.
  await sleep((engines.status().statsIntervalMs ?? 0) + 200);
}

async function measure(): Promise<{ stats: number; list: number; all: number; from: number; to: number }> {
  const from = Date.now();
  await sleep(MEASURE_MS);
  const to = Date.now();
  const all = proxy.calls.filter((c) => c.atMs >= from && c.atMs < to).length;
  return { stats: proxy.count('stats', from, to), list: proxy.count('list', from, to), all, from, to };
}

function report(t: TestContext, n: number, m: Awaited<ReturnType<typeof measure>>): void {
  const peak = proxy.maxInWindow(1000, m.from, m.to);
  t.diagnostic(
    `${n} engines: stats ${perScaledMinute(m.stats)}/min, list ${perScaledMinute(m.list)}/min, ` +
      `all ${perScaledMinute(m.all)}/min (scaled), peak ${peak} calls in 1 s real`,
  );
}

/** Compares in whole calls: a window holds an integer count, so ±1 call (or 15 %) is noise, not a trend. */
function assertNear(perMinute: number, expectedPerMinute: number, what: string): void {
  const count = perScaledMinute(1);
  const [got, want] = [perMinute / count, expectedPerMinute / count];
  assert.ok(
    Math.abs(got - want) <= Math.max(1, want * TOLERANCE),
    `${what}: ${perMinute.toFixed(1)}/min (${got} calls), expected ${expectedPerMinute}/min (${want} calls)`,
  );
}

/** The cap in real calls per second, and the most any 1-s window may hold (refill + a full bucket). */
const realCap = DEFAULT_MAX_CALLS_PER_SEC / TIME_SCALE;
const windowLimit = realCap + DEFAULT_BURST;

before(async () => {
  await proxy.start();
  registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
  engines = new DockerEngines({
    registry,
    logger: recordingLogger(),
    dockerHost: `unix://${proxy.socketPath}`,
    timeScale: TIME_SCALE,
  });
  await engines.start();
  await waitFor(() => engines.status().connected, 'connected through the proxy');
});

after(async () => {
  await engines?.stop();
  await proxy.stop();
  await docker.removeAll();
});

test('0 engines: no stats calls at all, only the reconcile (6 per minute)', async (t) => {
  // Start half a reconcile period after connecting, so no reconcile sits on the window's edges.
  await sleep(2500);
  const m = await measure();
  report(t, 0, m);
  assert.equal(m.stats, 0);
  assertNear(perScaledMinute(m.list), 6, 'list calls');
  assert.equal(engines.status().statsIntervalMs, null);
});

test('3 engines: every engine every 3 s → 60 stats calls per minute, spread evenly', async (t) => {
  await scaleTo(3);
  const m = await measure();
  report(t, 3, m);
  assertNear(perScaledMinute(m.stats), 60, 'stats calls');
  assertNear(perScaledMinute(m.list), 6, 'list calls');
  // Evenly spread: 1 call every 500 ms real, so no 1-s window holds a burst.
  assert.ok(proxy.maxInWindow(1000, m.from, m.to) <= 4, `burst of ${proxy.maxInWindow(1000, m.from, m.to)}`);
});

test('8 engines: every engine every 2 s → 240 stats calls per minute, never above the cap', async (t) => {
  await scaleTo(8);
  const m = await measure();
  report(t, 8, m);
  assertNear(perScaledMinute(m.stats), 240, 'stats calls');
  const peak = proxy.maxInWindow(1000, m.from, m.to);
  assert.ok(peak <= windowLimit, `peak ${peak} calls in 1 s, cap ${realCap}/s + burst ${DEFAULT_BURST}`);
  assert.ok(peak <= 12, `evenly spread: 8 calls/s real, peak ${peak}`);
});

test('the cap holds when the policy wants more: 8 engines under a cap of 2 calls/s', async (t) => {
  await engines.stop();
  const capped = new DockerEngines({
    registry,
    logger: recordingLogger(),
    dockerHost: `unix://${proxy.socketPath}`,
    maxCallsPerSec: 2,
    burst: 1,
  });
  try {
    await capped.start();
    await waitFor(() => capped.status().connected, 'capped facade connected');
    const from = Date.now();
    await sleep(MEASURE_MS);
    const to = Date.now();
    const all = proxy.calls.filter((c) => c.atMs >= from && c.atMs < to).length;
    assert.ok(all <= 2 * (MEASURE_MS / 1000) + 1, `${all} calls in ${MEASURE_MS} ms under a 2/s cap`);
    assert.ok(proxy.maxInWindow(1000, from, to) <= 3, `peak ${proxy.maxInWindow(1000, from, to)} in 1 s`);
    const stats = proxy.count('stats', from, to);
    t.diagnostic(
      `capped: ${all} calls (${stats} stats) in ${MEASURE_MS} ms, peak ${proxy.maxInWindow(1000, from, to)}/s`,
    );
    assert.ok(stats >= 10, `the budget is used for stats: ${stats}`);
    assert.ok(capped.status().statsIntervalMs! > 2000, 'the interval stretched to fit the cap');
  } finally {
    await capped.stop();
  }
});
