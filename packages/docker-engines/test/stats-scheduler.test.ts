/**
 * The stats scheduler on a mocked clock: call counts per simulated minute follow the engine count, the
 * calls are evenly spaced, the cap and the concurrency bound hold. No Docker, no real waiting.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { MeteredDocker, StatsScheduler, type StatsSchedulerOptions } from '../src/index.js';
import { FakeDocker } from './fakes.js';

const T0 = 1_000_000;

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 }));
afterEach(() => mock.timers.reset());

/** Advances the mocked clock in small steps, letting promises settle between steps. */
async function advance(ms: number, step = 10): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    mock.timers.tick(step);
    await new Promise((r) => setImmediate(r));
  }
}

function setup(
  engines: number,
  opts: Partial<StatsSchedulerOptions> & { cap?: number; burst?: number } = {},
) {
  const docker = new FakeDocker();
  const registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
  registry.add({ id: 'http://static:1', url: 'http://static:1', source: 'static' });
  const metered = new MeteredDocker(docker, {
    maxCallsPerSec: opts.cap ?? 20,
    burst: opts.burst ?? 5,
    now: Date.now,
  });
  const collected: boolean[] = [];
  const scheduler = new StatsScheduler(registry, metered, {
    policy: opts.policy ?? [
      { minEngines: 0, intervalMs: null },
      { minEngines: 1, intervalMs: 3000 },
      { minEngines: 6, intervalMs: 2000 },
    ],
    concurrency: opts.concurrency ?? 16,
    callTimeoutMs: 5000,
    timeScale: opts.timeScale ?? 1,
    oneShot: () => true,
    onCollect: (_ms, ok) => collected.push(ok),
    now: Date.now,
  });
  const add = (i: number) => {
    docker.add(`c${i}`, {});
    registry.add({
      id: `docker:c${i}`,
      url: `http://127.0.0.1:${7000 + i}`,
      source: 'docker',
      containerId: `c${i}`,
    });
  };
  for (let i = 0; i < engines; i++) add(i);
  return { docker, registry, metered, scheduler, collected, add };
}

const statsTimes = (docker: FakeDocker) => docker.calls.filter((c) => c.endpoint === 'stats');

test('no Docker engines: no stats calls and no timer at all', async () => {
  const { docker, scheduler } = setup(0);
  scheduler.start();
  await advance(60_000, 500);
  assert.equal(docker.count('stats'), 0);
  assert.equal(scheduler.intervalMs, null);
  await scheduler.stop();
});

test('calls per minute follow the engine count: 3 engines → 60, 8 engines → 240', async () => {
  for (const [engines, perMinute] of [
    [3, 60],
    [8, 240],
  ] as const) {
    const { docker, scheduler } = setup(engines);
    scheduler.start();
    await advance(60_000, 25);
    await scheduler.stop();
    const n = docker.count('stats');
    assert.ok(Math.abs(n - perMinute) <= 1, `${engines} engines: ${n} calls, want ${perMinute}`);
    const perEngine = new Map<string, number>();
    for (const c of statsTimes(docker)) perEngine.set(c.id!, (perEngine.get(c.id!) ?? 0) + 1);
    for (const count of perEngine.values()) assert.ok(Math.abs(count - perMinute / engines) <= 1);
  }
});

test('stats need two samples, then land in the registry; one-shot is requested', async () => {
  const { docker, registry, scheduler, collected } = setup(1);
  scheduler.start();
  await advance(100);
  assert.equal(registry.get('docker:c0')?.stats, null, 'one sample gives no rate yet');
  await advance(3000);
  const s = registry.get('docker:c0')?.stats;
  assert.ok(s);
  assert.ok(Math.abs(s.cpuPercent - 50) < 0.01, `cpu ${s.cpuPercent}`);
  assert.equal(s.memoryBytes, 2_000_000);
  assert.ok(docker.calls.filter((c) => c.endpoint === 'stats').every((c) => c.oneShot === true));
  assert.deepEqual(collected, [true, true]);
  await scheduler.stop();
});

test('adding and removing engines changes the pace at once; the last one leaving stops the calls', async () => {
  const { docker, registry, scheduler, add } = setup(2);
  scheduler.start();
  assert.equal(scheduler.intervalMs, 3000);
  await advance(3000);
  for (let i = 2; i < 8; i++) add(i);
  assert.equal(scheduler.intervalMs, 2000);
  for (let i = 0; i < 8; i++) registry.remove(`docker:c${i}`);
  const before = docker.count('stats');
  await advance(10_000, 100);
  assert.ok(docker.count('stats') - before <= 1, 'at most the tick already armed');
  assert.equal(scheduler.intervalMs, null);
  await scheduler.stop();
});

test('static engines are never polled', async () => {
  const { docker, scheduler } = setup(0);
  scheduler.start();
  await advance(10_000, 500);
  assert.equal(docker.count('stats'), 0);
  await scheduler.stop();
});

test('the rate cap holds: 8 engines wanting 4 calls/s under a cap of 2/s get at most 2/s', async () => {
  const { docker, scheduler, metered } = setup(8, { cap: 2 / 0.8, burst: 1 });
  scheduler.start();
  await advance(30_000, 25);
  await scheduler.stop();
  const n = docker.count('stats');
  assert.ok(n <= 2 * 30 + 1, `${n} calls in 30 s`);
  assert.ok(n >= 2 * 30 - 2, `the budget is used: ${n}`);
  assert.equal(scheduler.intervalMs, 4000, 'stretched evenly rather than bursting and skipping');
  assert.equal(metered.counters().calls.stats, n);
});

test('with slow calls the concurrency bound caps calls in flight and skips are counted', async () => {
  const { docker, scheduler, metered } = setup(8, { concurrency: 2 });
  const slow = docker.containerStats.bind(docker);
  let inFlight = 0;
  let maxInFlight = 0;
  docker.containerStats = async (id, oneShot) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 1000));
    inFlight--;
    return slow(id, oneShot);
  };
  scheduler.start();
  await advance(10_000, 25);
  const stopping = scheduler.stop();
  await advance(1500, 25); // lets the calls in flight finish: the fake ignores the abort
  await stopping;
  assert.equal(maxInFlight, 2);
  // Durations come from the real monotonic clock (instant here), so only the bound and the skips show.
  assert.ok(metered.counters().statsSkippedBusy > 0);
});

test('calls overlap instead of queuing behind each other', async () => {
  const { docker, scheduler } = setup(8);
  const fast = docker.containerStats.bind(docker);
  let inFlight = 0;
  let maxInFlight = 0;
  docker.containerStats = async (id, oneShot) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    await new Promise((r) => setTimeout(r, 1000));
    inFlight--;
    return fast(id, oneShot);
  };
  scheduler.start();
  await advance(10_000, 25);
  const stopping = scheduler.stop();
  await advance(1500, 25);
  await stopping;
  assert.ok(maxInFlight >= 4, `4 calls/s of 1 s each overlap: ${maxInFlight}`);
  assert.ok(docker.count('stats') >= 36, `the pace holds: ${docker.count('stats')}`);
});

test('time scale 0.5 runs the same schedule twice as fast', async () => {
  const { docker, scheduler } = setup(3, { timeScale: 0.5 });
  scheduler.start();
  assert.equal(scheduler.intervalMs, 1500);
  await advance(30_000, 25);
  await scheduler.stop();
  assert.ok(Math.abs(docker.count('stats') - 60) <= 1, `${docker.count('stats')}`);
});
