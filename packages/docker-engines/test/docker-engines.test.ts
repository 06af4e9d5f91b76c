import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { pino } from 'pino';
import { DockerEngines, type DockerEnginesOptions, type DockerLogger } from '../src/index.js';
import { FakeDocker, silentLogger, waitFor } from './fakes.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'docker-engines-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function make(opts: Partial<DockerEnginesOptions>) {
  const registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
  registry.add({ id: 'http://static:6878', url: 'http://static:6878', source: 'static' });
  const logger = silentLogger();
  return { registry, logger, engines: new DockerEngines({ registry, logger, ...opts }) };
}

test('socket absent: discovery is off with the reason, no call, no log, static engines stay', async () => {
  const sock = join(dir, 'missing.sock');
  const { engines, logger, registry } = make({ dockerHost: `unix://${sock}` });
  const st = await engines.start();
  assert.equal(st.enabled, false);
  assert.equal(
    st.reason,
    `Docker discovery is off: no Docker socket at ${sock} (set DOCKER_HOST to use another daemon); only static engines are used.`,
  );
  assert.equal(st.callsPerMinute, 0);
  assert.equal(st.statsIntervalMs, null);
  assert.equal(logger.lines.length, 0, 'the gateway logs the reason; the package says nothing else');
  assert.deepEqual(registry.ids(), ['http://static:6878']);
  await engines.stop();
});

test('a path that is not a socket is named as such', async () => {
  const file = join(dir, 'plain-file');
  await writeFile(file, '');
  const { engines } = make({ dockerHost: `unix://${file}` });
  assert.match((await engines.start()).reason ?? '', /is not a socket; only static engines are used\.$/);
});

test('mode off and unsupported DOCKER_HOST values say why', async () => {
  assert.equal(
    (await make({ mode: 'off' }).engines.start()).reason,
    'Docker discovery is off by configuration.',
  );
  assert.equal(
    (await make({ dockerHost: 'ssh://me@host' }).engines.start()).reason,
    'Docker discovery is off: DOCKER_HOST scheme "ssh" is not supported (use unix:// or tcp://).',
  );
});

test('start() resolves at once even when the daemon is down, and status says why', async () => {
  const api = new FakeDocker();
  api.down = true;
  const { engines } = make({ api, backoff: { initialMs: 5, maxMs: 10 } });
  const st = await engines.start();
  assert.equal(st.enabled, true);
  assert.equal(st.connected, false);
  await waitFor(() => api.count('version') >= 2, 'retries');
  assert.match(
    engines.status().reason ?? '',
    /^Docker daemon at unix:\/\/\/fake\/docker\.sock is unreachable \(ECONNREFUSED: /,
  );
  await engines.stop();
});

test('connected: engines, API version, one-shot, interval and counters in status', async () => {
  const api = new FakeDocker();
  api.add('e1', { 'shardcast.engine': 'true', 'shardcast.engine.port': '7100' });
  const collected: boolean[] = [];
  const { engines, registry } = make({ api, onCollect: (_ms, ok) => collected.push(ok) });
  await engines.start();
  await waitFor(() => engines.status().connected && collected.length >= 1, 'connected and sampled');
  const st = engines.status();
  assert.deepEqual(
    [st.enabled, st.reason, st.apiVersion, st.oneShotStats, st.engines, st.statsIntervalMs, st.docker],
    [true, null, '1.41', true, 1, 3000, 'unix:///fake/docker.sock'],
  );
  assert.ok(registry.get('docker:e1'));
  assert.equal(st.counters.calls.version, 1);
  assert.equal(st.counters.calls.events, 1);
  assert.ok(st.callsPerMinute >= 3);
  await engines.stop();
  await engines.stop();
  assert.equal(engines.status().enabled, false);
});

test('an API older than 1.41 gets plain stream=false stats', async () => {
  const api = new FakeDocker();
  api.apiVersion = '1.40';
  api.add('e1', { 'shardcast.engine': 'true', 'shardcast.engine.port': '7100' });
  const { engines } = make({ api });
  await engines.start();
  await waitFor(() => api.count('stats') >= 1, 'a stats call');
  assert.equal(api.calls.find((c) => c.endpoint === 'stats')?.oneShot, false);
  assert.equal(engines.status().oneShotStats, false);
  await engines.stop();
});

test('a pino logger fits the DockerLogger interface as is', () => {
  const log: DockerLogger = pino({ level: 'silent' });
  log.warn({ a: 1 }, 'type-checked');
  assert.ok(log);
});

test('stop() then start() starts afresh', async () => {
  const api = new FakeDocker();
  const { engines } = make({ api });
  await engines.start();
  await waitFor(() => engines.status().connected, 'connected');
  await engines.stop();
  assert.equal(engines.status().reason, 'Docker discovery was stopped.');
  await engines.start();
  await waitFor(() => engines.status().connected, 'connected again');
  assert.equal(engines.status().counters.calls.version, 1, 'counters start from zero');
  assert.equal(api.count('version'), 2);
  await engines.stop();
});
