import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { DockerDiscovery, MeteredDocker, parseLabelSelector } from '../src/index.js';
import { FakeDocker, silentLogger, waitFor } from './fakes.js';

const selector = parseLabelSelector('shardcast.engine=true');
if (typeof selector === 'string') throw new Error(selector);
const engineLabels = (port: number) => ({
  'shardcast.engine': 'true',
  'shardcast.engine.port': String(port),
});

let current: DockerDiscovery | null = null;
afterEach(async () => {
  await current?.stop();
  current = null;
});

function setup(opts: { reconcileIntervalMs?: number; managedBy?: string } = {}) {
  const docker = new FakeDocker();
  const registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
  registry.add({ id: 'http://static:6878', url: 'http://static:6878', source: 'static' });
  const logger = silentLogger();
  const metered = new MeteredDocker(docker, { maxCallsPerSec: 1000, burst: 100, now: Date.now });
  const discovery = new DockerDiscovery(registry, metered, {
    selector: selector as Exclude<typeof selector, string>,
    ...(opts.managedBy === undefined ? {} : { managedBy: opts.managedBy }),
    reconcileIntervalMs: opts.reconcileIntervalMs ?? 60_000,
    callTimeoutMs: 1000,
    backoff: { initialMs: 5, maxMs: 20 },
    logger,
    random: () => 0.5,
  });
  current = discovery;
  return { docker, registry, logger, discovery, metered };
}

test('a start event adds the engine as docker:<id>, a die event removes it', async () => {
  const { docker, registry, discovery } = setup();
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  docker.start('c1', engineLabels(7001));
  await waitFor(() => registry.get('docker:c1') !== undefined, 'engine added');
  const e = registry.get('docker:c1')!;
  assert.deepEqual(
    [e.url, e.source, e.containerId, e.containerName],
    ['http://127.0.0.1:7001', 'docker', 'c1', 'c1-name'],
  );
  docker.die('c1');
  await waitFor(() => registry.get('docker:c1') === undefined, 'engine removed');
  assert.ok(registry.get('http://static:6878'), 'static engines stay');
});

test('containers already running when discovery starts are found by the first reconcile', async () => {
  const { docker, registry, discovery } = setup();
  docker.add('old', engineLabels(7002));
  docker.add('other', { unrelated: 'x' });
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  assert.deepEqual(registry.ids().sort(), ['docker:old', 'http://static:6878']);
});

test("with provisioning, another gateway's managed engines are not discovered (their fleet is sized for its streams)", async () => {
  const { docker, registry, discovery } = setup({ managedBy: 'gw-a' });
  docker.add('mine', { ...engineLabels(7010), 'shardcast.managed': 'gw-a' });
  docker.add('theirs', { ...engineLabels(7011), 'shardcast.managed': 'gw-b' });
  docker.add('plain', engineLabels(7012));
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  assert.deepEqual(registry.ids().sort(), ['docker:mine', 'docker:plain', 'http://static:6878']);
  docker.start('theirs-too', { ...engineLabels(7013), 'shardcast.managed': 'gw-b' });
  docker.start('mine-too', { ...engineLabels(7014), 'shardcast.managed': 'gw-a' });
  await waitFor(() => registry.get('docker:mine-too') !== undefined, 'own new engine added');
  assert.equal(registry.get('docker:theirs-too'), undefined);
});

test('the reconcile repairs missed events both ways and never touches static engines', async () => {
  const { docker, registry, discovery } = setup();
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  docker.add('silent', engineLabels(7003));
  assert.equal(await discovery.reconcile(), null);
  assert.ok(registry.get('docker:silent'));
  docker.containers.delete('silent');
  await discovery.reconcile();
  assert.equal(registry.get('docker:silent'), undefined);
  assert.ok(registry.get('http://static:6878'));
});

test('a paused container stays an engine (docker pause, docker commit): it is still there, frozen', async () => {
  const { docker, registry, discovery } = setup();
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  docker.start('frozen', engineLabels(7005));
  await waitFor(() => registry.get('docker:frozen') !== undefined, 'engine added');
  docker.pause('frozen');
  assert.equal(await discovery.reconcile(), null);
  assert.ok(registry.get('docker:frozen'), 'not removed by the listing');
  docker.die('frozen');
  await waitFor(() => registry.get('docker:frozen') === undefined, 'removed once it stops');
});

test('the periodic reconcile runs on its own timer', async () => {
  const { docker, registry, discovery } = setup({ reconcileIntervalMs: 20 });
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  docker.add('late', engineLabels(7004));
  await waitFor(() => registry.get('docker:late') !== undefined, 'reconcile found the container');
});

test('a die that arrives while the start is being inspected wins', async () => {
  const { docker, registry, discovery } = setup();
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  let release!: () => void;
  docker.inspectGate = new Promise((r) => {
    release = r;
  });
  docker.start('flap', engineLabels(7005));
  await waitFor(() => docker.count('inspect') === 1, 'inspect in flight');
  docker.die('flap');
  release();
  docker.inspectGate = null;
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(registry.get('docker:flap'), undefined);
});

test('a container without a usable address is skipped with one warning, however often it is seen', async () => {
  const { docker, registry, discovery, logger } = setup();
  docker.add('bad', { 'shardcast.engine': 'true', 'shardcast.engine.port': 'http' });
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  await discovery.reconcile();
  await discovery.reconcile();
  assert.equal(registry.get('docker:bad'), undefined);
  const warns = logger.lines.filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1);
  assert.match(String(warns[0]?.fields['reason']), /is not a port number/);
});

test('a container whose address is already a static engine is not added twice', async () => {
  const { docker, registry, discovery } = setup();
  registry.add({ id: 'http://127.0.0.1:7006', url: 'http://127.0.0.1:7006', source: 'static' });
  docker.add('dup', engineLabels(7006));
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  assert.equal(registry.get('docker:dup'), undefined);
});

test('Docker unreachable: one warning for the whole outage, retries with backoff, recovers', async () => {
  const { docker, registry, discovery, logger } = setup();
  docker.down = true;
  docker.add('c9', engineLabels(7009));
  discovery.start();
  await waitFor(() => docker.count('version') >= 4, 'several retries');
  assert.equal(discovery.connected, false);
  assert.equal(discovery.lastError?.code, 'ECONNREFUSED');
  const warns = logger.lines.filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1, 'one line per outage, not one per retry');
  assert.match(
    warns[0]!.msg,
    /cannot use the daemon at unix:\/\/\/fake\/docker\.sock \(ECONNREFUSED: .*static engines keep serving/,
  );
  assert.ok(registry.get('http://static:6878'));
  docker.down = false;
  await waitFor(() => discovery.connected, 'reconnected');
  assert.ok(registry.get('docker:c9'), 'the reconnect reconciles');
  assert.equal(logger.lines.at(-1)?.msg, 'Docker discovery connected');
});

test('a broken events stream reconnects and reconciles what happened meanwhile', async () => {
  const { docker, registry, discovery, logger } = setup();
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  docker.down = true;
  docker.dropStreams();
  await waitFor(() => !discovery.connected, 'noticed the broken stream');
  docker.add('meanwhile', engineLabels(7010));
  docker.down = false;
  await waitFor(() => discovery.connected && registry.get('docker:meanwhile') !== undefined, 'recovered');
  assert.deepEqual(
    logger.lines.map((l) => [l.level, l.msg.split(' (')[0]]),
    [
      ['info', 'Docker discovery connected'],
      ['warn', 'Docker discovery cannot use the daemon at unix:///fake/docker.sock'],
      ['info', 'Docker discovery reconnected'],
    ],
  );
});

test('every Docker call goes through the meter', async () => {
  const { docker, discovery, metered } = setup();
  discovery.start();
  await waitFor(() => discovery.connected, 'connected');
  docker.start('m1', engineLabels(7011));
  await waitFor(() => docker.count('inspect') === 1, 'inspect');
  await new Promise((r) => setTimeout(r, 10));
  const c = metered.counters();
  assert.deepEqual(
    [c.calls.version, c.calls.events, c.calls.list, c.calls.inspect],
    [docker.count('version'), docker.count('events'), docker.count('list'), docker.count('inspect')],
  );
});
