// The Provisioner against an in-memory daemon (no Docker): start-up creates the minimum, a labelled
// container left by an earlier run is adopted (and a stopped one removed), creation failures open the
// breaker, an idle engine above the desired count is removed, a container that died is replaced.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import type { ContainerSummaryJson } from '../src/docker-api.js';
import {
  type BreakerOptions,
  type PlanLimits,
  type ProvisionApi,
  ProvisionCallError,
  Provisioner,
  type ProvisionerOptions,
  parseLabelSelector,
  renderTemplate,
  TEMPLATE_LABEL,
  templateDigest,
  templateProblem,
} from '../src/index.js';

const GATEWAY = 'unit';
const LIMITS: PlanLimits = {
  min: 1,
  minFree: 1,
  max: 3,
  cap: 3,
  idleMs: 50,
  unhealthyMs: 50,
  maxAgeMs: null,
  replaceCooldownMs: 0,
};
const BREAKER: BreakerOptions = { failures: 2, windowMs: 60_000, openMs: 60_000 };
const silent = { info() {}, warn() {}, error() {}, debug() {} };

class FakeDaemon implements ProvisionApi {
  readonly endpoint = 'fake://daemon';
  readonly containers = new Map<string, ContainerSummaryJson>();
  failCreate: string | null = null;
  up = true;
  /** Listings answered so far. */
  lists = 0;
  /** While set, a start waits for it. */
  startGate: Promise<void> | null = null;
  /**
   * While set, a listing by the managed label takes its snapshot, then waits for it before answering (the
   * port check after a create, by the allocated-port label, does not wait).
   */
  listGate: Promise<void> | null = null;
  /** Listings that have taken their snapshot. */
  listSnapshots = 0;
  /** While set, a remove is refused (the daemon errs). */
  failRemove = false;
  /** While set, a create makes the container, then answers only once its call is aborted. */
  createHangs = false;
  /** Host ports something else holds: a container published on one does not start. */
  readonly takenPorts = new Set<string>();
  #n = 0;

  async ping(_signal?: AbortSignal): Promise<void> {
    if (!this.up) throw new ProvisionCallError(null, 'ECONNREFUSED');
  }
  async listByLabel(label: string): Promise<ContainerSummaryJson[]> {
    await this.ping();
    const [k, v] = label.split('=');
    const out = [...this.containers.values()]
      .filter((c) => (v === undefined ? c.Labels?.[k!] !== undefined : c.Labels?.[k!] === v))
      .map((c) => ({ ...c }));
    if (k !== 'shardcast.managed') return out;
    this.listSnapshots++;
    if (this.listGate) await this.listGate;
    this.lists++;
    return out;
  }
  async create(name: string, body: Record<string, unknown>, signal: AbortSignal): Promise<string> {
    await this.ping();
    if (this.failCreate) throw new ProvisionCallError(404, this.failCreate);
    const id = `c${++this.#n}`.padEnd(12, '0');
    this.containers.set(id, {
      Id: id,
      Names: [`/${name}`],
      Labels: body.Labels as Record<string, string>,
      State: 'created',
    });
    if (this.createHangs)
      await new Promise((_, reject) =>
        signal.addEventListener('abort', () => reject(new ProvisionCallError(null, 'aborted')), {
          once: true,
        }),
      );
    return id;
  }
  async start(id: string): Promise<void> {
    if (this.startGate) await this.startGate;
    const port = this.containers.get(id)!.Labels?.['shardcast.engine.port'] ?? '';
    if (this.takenPorts.has(port))
      throw new ProvisionCallError(500, `Bind for 127.0.0.1:${port} failed: port is already allocated`);
    this.containers.get(id)!.State = 'running';
  }
  async stop(id: string): Promise<void> {
    await this.ping();
    const c = this.containers.get(id);
    if (c) c.State = 'exited';
  }
  async remove(id: string): Promise<void> {
    await this.ping();
    if (this.failRemove) throw new ProvisionCallError(500, 'removal of container is already in progress');
    this.containers.delete(id);
  }
  running(): ContainerSummaryJson[] {
    return [...this.containers.values()].filter((c) => c.State === 'running');
  }
}

function rig(daemon: FakeDaemon, limits: PlanLimits = LIMITS, extra: Partial<ProvisionerOptions> = {}) {
  const registry = new EngineRegistry({ maxStreamsPerEngine: limits.cap });
  const removed: string[] = [];
  const provisioner = new Provisioner({
    registry,
    api: daemon,
    template: { Image: 'engine', Cmd: ['--port', '{port}'] },
    selector: parseLabelSelector('shardcast.engine=true') as Exclude<
      ReturnType<typeof parseLabelSelector>,
      string
    >,
    gatewayId: GATEWAY,
    ports: { first: 30000, last: 30009 },
    limits,
    breaker: BREAKER,
    startupMs: 1000,
    statusPollMs: 5,
    tickMs: 10,
    listEveryMs: 20,
    callTimeoutMs: 1000,
    checkStatus: async () => null,
    pendingOpens: () => 0,
    moveStreams: () => {},
    logger: silent,
    onRemoved: (_e, reason) => removed.push(reason),
    ...extra,
  });
  return { registry, provisioner, removed };
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('start creates the minimum with the template, labels and an allocated port', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner } = rig(daemon);
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'one ready engine');
  const c = daemon.running()[0];
  assert.ok(c);
  assert.equal(c.Labels!['shardcast.managed'], GATEWAY);
  assert.equal(c.Labels!['shardcast.engine'], 'true');
  assert.equal(c.Labels!['shardcast.engine.port'], '30000');
  assert.equal(registry.list()[0]!.url, 'http://127.0.0.1:30000');
  assert.equal(provisioner.status().desired, 1);
  await provisioner.stop(true, 1000);
  assert.equal(daemon.containers.size, 0, 'stop-on-exit removed it');
});

test('a running labelled container is adopted, a stopped one removed, none created twice', async () => {
  const daemon = new FakeDaemon();
  const labels = { 'shardcast.managed': GATEWAY, 'shardcast.engine.port': '30005' };
  daemon.containers.set('old1', { Id: 'old1', Names: ['/old1'], Labels: labels, State: 'running' });
  daemon.containers.set('old2', { Id: 'old2', Names: ['/old2'], Labels: labels, State: 'exited' });
  daemon.containers.set('other', {
    Id: 'other',
    Names: ['/other'],
    Labels: { 'shardcast.managed': 'someone-else' },
    State: 'running',
  });
  const { registry, provisioner } = rig(daemon);
  await provisioner.start();
  await until(() => registry.get('docker:old1')?.lifecycle === 'ready', 'old1 adopted');
  await until(() => !daemon.containers.has('old2'), 'the stopped one removed');
  assert.ok(daemon.containers.has('other'), "another gateway's container is left alone");
  assert.equal(provisioner.list().length, 1);
  assert.equal(provisioner.status().provisions.get('ok'), 0, 'nothing created');
  await provisioner.stop(false, 1000);
});

test('a paused container is no exited one: one found at start-up is adopted and kept', async () => {
  const daemon = new FakeDaemon();
  const labels = { 'shardcast.managed': GATEWAY, 'shardcast.engine.port': '30005' };
  daemon.containers.set('old1', { Id: 'old1', Names: ['/old1'], Labels: labels, State: 'paused' });
  const { registry, provisioner, removed } = rig(daemon);
  await provisioner.start();
  await until(() => registry.get('docker:old1')?.lifecycle === 'ready', 'the paused one adopted');
  // Every later listing still says `paused`: it is known and ready, not a container that exited.
  const lists = daemon.lists;
  await until(() => daemon.lists >= lists + 3, 'three more listings');
  assert.ok(daemon.containers.has('old1'), 'still there');
  assert.equal(registry.get('docker:old1')?.lifecycle, 'ready');
  assert.deepEqual(removed, [], 'nothing removed');
  await provisioner.stop(false, 1000);
});

test('creation failures open the breaker with the reason; no container is left', async () => {
  const daemon = new FakeDaemon();
  daemon.failCreate = 'No such image: engine';
  const { provisioner } = rig(daemon);
  await provisioner.start();
  await until(() => provisioner.status().breaker.open, 'the breaker open');
  assert.equal(provisioner.status().breaker.reason, 'create failed: No such image: engine');
  assert.match(provisioner.noRoomReason() ?? '', /paused after repeated failures/);
  assert.equal(provisioner.status().provisions.get('failed'), BREAKER.failures);
  assert.equal(daemon.containers.size, 0);
  await provisioner.stop(false, 1000);
});

test('an idle engine above the desired count goes; one with a stream stays; a dead one is replaced', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner, removed } = rig(daemon);
  await provisioner.start();
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 1, 'min ready');
  const first = registry.list()[0]!;
  registry.assign(first.id);
  provisioner.prompt();
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 2, 'a spare');
  registry.release(first.id);
  await until(() => removed.includes('idle') && registry.size === 1, 'the spare removed when idle');
  const left = registry.list()[0]!;
  registry.assign(left.id);
  // The container dies: discovery would drop it from the registry.
  await daemon.stop(left.containerId!);
  registry.remove(left.id);
  await until(() => removed.includes('died'), 'the dead one removed');
  await until(
    () => registry.list().some((e) => e.id !== left.id && e.lifecycle === 'ready'),
    'a replacement ready',
  );
  await provisioner.stop(true, 1000);
});

test('an engine whose container exits soon after it became ready, again and again, opens the breaker', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner } = rig(daemon);
  await provisioner.start();
  const killed = new Set<string>();
  for (let i = 0; i < 2 * BREAKER.failures && !provisioner.status().breaker.open; i++) {
    await until(
      () => registry.list().some((e) => !killed.has(e.id) && e.lifecycle === 'ready'),
      'a new engine ready',
    );
    const e = registry.list().find((x) => !killed.has(x.id) && x.lifecycle === 'ready')!;
    killed.add(e.id);
    // It crashes: discovery drops it from the registry.
    await daemon.stop(e.containerId!);
    registry.remove(e.id);
  }
  const status = provisioner.status();
  assert.equal(status.breaker.open, true, 'creation paused');
  assert.match(status.breaker.reason ?? '', /the container exited \d+ s after its engine became ready/);
  assert.equal(killed.size, BREAKER.failures);
  assert.equal(status.provisions.get('ok'), BREAKER.failures, 'none created since');
  await provisioner.stop(true, 1000);
});

test('Docker unreachable: nothing is created, the reason is given, provisioning resumes', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner } = rig(daemon, { ...LIMITS, min: 0, minFree: 0 });
  await provisioner.start();
  daemon.up = false;
  await until(() => !provisioner.status().docker.up, 'Docker down noticed');
  assert.match(provisioner.noRoomReason() ?? '', /Docker daemon is unreachable/);
  provisioner.setFloor(1);
  daemon.up = true;
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'an engine after the outage');
  assert.equal(provisioner.status().docker.up, true);
  await provisioner.stop(true, 1000);
});

test('--provision-max-age-hours: an old engine is drained and replaced', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner, removed } = rig(daemon, { ...LIMITS, maxAgeMs: 200 });
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'min ready');
  const first = registry.list()[0]!.id;
  await until(() => removed.includes('max_age'), 'the old engine rotated');
  await until(
    () => registry.list().some((e) => e.id !== first && e.lifecycle === 'ready'),
    'its successor ready',
  );
  await provisioner.stop(true, 1000);
});

test('the template digest labels each container; key order and whitespace do not change it', () => {
  const selector = parseLabelSelector('shardcast.engine=true') as Exclude<
    ReturnType<typeof parseLabelSelector>,
    string
  >;
  const a = { Image: 'engine:1', Cmd: ['--port', '{port}'], HostConfig: { Memory: 1, CpuShares: 2 } };
  const b = JSON.parse(
    '{"HostConfig":{"CpuShares":2,"Memory":1},  "Cmd":["--port","{port}"],"Image":"engine:1"}',
  );
  assert.equal(templateDigest(a), templateDigest(b));
  assert.notEqual(templateDigest(a), templateDigest({ ...a, Image: 'engine:2' }));
  const body = renderTemplate(a, { port: 30000, name: 'n', gatewayId: GATEWAY }, selector);
  assert.equal((body.Labels as Record<string, string>)[TEMPLATE_LABEL], templateDigest(a));
});

test('after a restart with a new template, an adopted engine of the old one is replaced; one of the same or no digest is kept', async () => {
  const daemon = new FakeDaemon();
  const base = { 'shardcast.managed': GATEWAY, 'shardcast.engine': 'true' };
  const same = templateDigest({ Image: 'engine', Cmd: ['--port', '{port}'] });
  const add = (id: string, port: number, digest: string | null) =>
    daemon.containers.set(id, {
      Id: id,
      Names: [`/${id}`],
      Labels: {
        ...base,
        'shardcast.engine.port': String(port),
        ...(digest === null ? {} : { [TEMPLATE_LABEL]: digest }),
      },
      State: 'running',
    });
  add('stale', 30005, 'a-former-digest0');
  add('current', 30006, same);
  add('unlabelled', 30007, null);
  const { registry, provisioner, removed } = rig(daemon, { ...LIMITS, min: 3 });
  await provisioner.start();
  await until(() => removed.includes('template'), 'the engine of the former template replaced');
  await until(() => !daemon.containers.has('stale'), 'its container removed');
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 3, 'three ready');
  assert.ok(daemon.containers.has('current') && daemon.containers.has('unlabelled'), 'the others kept');
  assert.deepEqual(removed, ['template'], 'only that one');
  await provisioner.stop(false, 1000);
});

test('a waiting open is told to wait only while started or startable engines have room for it', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner } = rig(daemon, { ...LIMITS, minFree: 0 });
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'min ready');
  // One ready engine of at most 3, 3 streams each: 2 more engines may come, room for 6 waiting opens.
  assert.equal(provisioner.noRoomReason(0), null);
  assert.equal(provisioner.noRoomReason(5), null);
  assert.equal(
    provisioner.noRoomReason(6),
    'every engine is at its stream cap and the fleet is at --provision-max 3',
  );
  await provisioner.stop(true, 1000);
});

test('a listing that sees a container between its create and its start does not fail its start-up', async () => {
  const daemon = new FakeDaemon();
  let release!: () => void;
  daemon.startGate = new Promise((r) => {
    release = r;
  });
  const { registry, provisioner, removed } = rig(daemon);
  await provisioner.start();
  await until(() => daemon.containers.size === 1, 'the container created');
  const lists = daemon.lists;
  // Docker lists it as `created` while its start is still on its way.
  await until(() => daemon.lists >= lists + 2, 'a listing while it starts');
  release();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'the engine ready');
  assert.equal(provisioner.status().provisions.get('failed'), 0, 'no failed start-up');
  assert.deepEqual(removed, []);
  assert.equal(daemon.containers.size, 1);
  await provisioner.stop(true, 1000);
});

test('a listing asked before a create and answered after it does not forget the new engine', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner } = rig(daemon, { ...LIMITS, min: 0, minFree: 0 });
  await provisioner.start();
  let release!: () => void;
  daemon.listGate = new Promise((r) => {
    release = r;
  });
  const snapshots = daemon.listSnapshots;
  await until(() => daemon.listSnapshots > snapshots, 'a listing on its way (no container yet)');
  provisioner.setFloor(1);
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'the engine ready');
  daemon.listGate = null;
  release();
  const lists = daemon.lists;
  await until(() => daemon.lists >= lists + 3, 'later listings');
  assert.equal(provisioner.list().length, 1, 'still managed');
  assert.equal(provisioner.status().removals.get('died'), 0, 'not counted as died');
  assert.equal(daemon.containers.size, 1, 'no second container for the same floor');
  await provisioner.stop(true, 1000);
  assert.equal(daemon.containers.size, 0, 'stop-on-exit removed it: it was never forgotten');
});

test('draining an engine that is still starting removes it once, without counting a failed start-up', async () => {
  const daemon = new FakeDaemon();
  let answer = false;
  const { provisioner, removed } = rig(
    daemon,
    { ...LIMITS, min: 0, minFree: 0 },
    { checkStatus: async () => (answer ? null : 'not yet') },
  );
  await provisioner.start();
  provisioner.setFloor(1);
  await until(() => provisioner.list().some((m) => m.containerId !== null), 'a container starting');
  provisioner.setFloor(0);
  const id = provisioner.list()[0]!.id;
  assert.equal(provisioner.drain(id), true);
  await until(() => removed.includes('drained'), 'the drained engine removed');
  // Past the start-up deadline (1 s): its start-up must not fail later on.
  await new Promise((r) => setTimeout(r, 1300));
  answer = true;
  assert.deepEqual(removed, ['drained'], 'removed once');
  assert.equal(provisioner.status().provisions.get('failed'), 0, 'no failed start-up counted');
  assert.equal(provisioner.status().breaker.open, false);
  assert.equal(provisioner.list().length, 0);
  assert.equal(daemon.containers.size, 0);
  await provisioner.stop(true, 1000);
});

test('an engine reached through the template host label is polled and registered at that address', async () => {
  const daemon = new FakeDaemon();
  const polled = new Set<string>();
  const { registry, provisioner } = rig(daemon, LIMITS, {
    template: {
      Image: 'engine',
      Cmd: ['--port', '{port}'],
      Labels: { 'shardcast.engine.host': 'engines.internal' },
    },
    checkStatus: async (url) => {
      polled.add(url);
      return url.startsWith('http://engines.internal:') ? null : 'ECONNREFUSED';
    },
  });
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'the engine ready');
  assert.deepEqual([...polled], ['http://engines.internal:30000']);
  assert.equal(registry.list()[0]!.url, 'http://engines.internal:30000');
  assert.equal(provisioner.status().provisions.get('failed'), 0);
  await provisioner.stop(true, 1000);
});

test('a port something else holds is not tried again and again: the next engine gets another one', async () => {
  const daemon = new FakeDaemon();
  daemon.takenPorts.add('30000');
  const { registry, provisioner } = rig(daemon);
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'an engine ready');
  assert.equal(registry.list()[0]!.url, 'http://127.0.0.1:30001');
  assert.equal(provisioner.status().provisions.get('failed'), 1, 'one failed start on the taken port');
  assert.equal(provisioner.status().breaker.open, false);
  await provisioner.stop(true, 1000);
});

test('ports where something already listens are skipped before any container is made, without a failure', async () => {
  const daemon = new FakeDaemon();
  const inUse = new Set(['30000', '30001', '30002']); // more than BREAKER.failures
  const { registry, provisioner } = rig(daemon, LIMITS, {
    addressInUse: async (url) => inUse.has(new URL(url).port),
  });
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'an engine ready');
  assert.equal(registry.list()[0]!.url, 'http://127.0.0.1:30003');
  assert.equal(daemon.containers.size, 1, 'no container on a port in use');
  const status = provisioner.status();
  assert.equal(status.provisions.get('failed'), 0);
  assert.equal(status.breaker.open, false);
  assert.match(status.lastError ?? '', /port 30002 is in use/);
  await provisioner.stop(true, 1000);
});

test("ports another gateway's containers hold are skipped, even while created and not answering yet", async () => {
  const daemon = new FakeDaemon();
  // Another provision id on the same daemon: one engine created (not started, so nothing answers on its
  // port and the connect probe sees nothing), one running; and an exited one, which holds no port.
  const other = (id: string, port: string, State: string): void => {
    daemon.containers.set(id, {
      Id: id,
      Names: [`/${id}`],
      Labels: { 'shardcast.managed': 'other-gateway', 'shardcast.provision.port': port },
      State,
    });
  };
  other('theirs1', '30000', 'created');
  other('theirs2', '30001', 'running');
  other('theirs3', '30002', 'exited');
  const { registry, provisioner } = rig(daemon, LIMITS, { addressInUse: async () => false });
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'an engine ready');
  assert.equal(registry.list()[0]!.url, 'http://127.0.0.1:30002');
  const mine = [...daemon.containers.values()].filter((c) => c.Labels?.['shardcast.managed'] === GATEWAY);
  assert.deepEqual(
    mine.map((c) => c.Labels?.['shardcast.provision.port']),
    ['30002'],
    'the allocated port is labelled',
  );
  assert.ok(daemon.containers.has('theirs1') && daemon.containers.has('theirs2'), 'theirs left alone');
  assert.equal(provisioner.status().provisions.get('failed'), 0);
  await provisioner.stop(true, 1000);
});

test('a port another gateway took between the listing and the create is given up before the start, without a failure', async () => {
  const daemon = new FakeDaemon();
  // The other gateway's create lands right after ours (the listing the allocation used had not seen it).
  const create = daemon.create.bind(daemon);
  let raced = false;
  daemon.create = async (name, body, signal) => {
    const id = await create(name, body, signal);
    if (!raced) {
      raced = true;
      daemon.containers.set('theirs', {
        Id: 'theirs',
        Names: ['/theirs'],
        Labels: { 'shardcast.managed': 'other-gateway', 'shardcast.provision.port': '30000' },
        State: 'created',
      });
    }
    return id;
  };
  const { registry, provisioner, removed } = rig(daemon);
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'an engine ready');
  assert.equal(registry.list()[0]!.url, 'http://127.0.0.1:30001');
  const mine = [...daemon.containers.values()].filter((c) => c.Labels?.['shardcast.managed'] === GATEWAY);
  assert.equal(mine.length, 1, 'our container on the taken port was removed');
  assert.equal(daemon.containers.get('theirs')?.State, 'created', 'theirs left alone');
  const status = provisioner.status();
  assert.equal(status.provisions.get('failed'), 0);
  assert.equal(status.breaker.open, false);
  assert.match(status.lastError ?? '', /port 30000 is held by another gateway's container theirs/);
  assert.deepEqual(removed, [], 'no removal counted');
  await provisioner.stop(true, 1000);
});

test('a daemon that never answers the start-up ping is refused once the given deadline passes, named a timeout', async () => {
  const daemon = new FakeDaemon();
  daemon.ping = (signal?: AbortSignal) =>
    new Promise<void>((_, reject) =>
      signal?.addEventListener(
        'abort',
        () => reject(new ProvisionCallError(null, String(signal.reason?.message))),
        {
          once: true,
        },
      ),
    );
  const { provisioner } = rig(daemon, LIMITS, { callTimeoutMs: 60_000 });
  // The provisioner's deadline timers are unref'd: keep the test's event loop alive meanwhile.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    await assert.rejects(provisioner.start(50), {
      message: 'the Docker daemon at fake://daemon does not answer (timeout: no reply within 0.05 s)',
    });
  } finally {
    clearInterval(keepAlive);
  }
  assert.equal(daemon.containers.size, 0);
});

test('a port in use when no other port is left is a failed start-up', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner } = rig(daemon, LIMITS, {
    ports: { first: 30000, last: 30000 },
    addressInUse: async () => true,
  });
  await provisioner.start();
  await until(() => provisioner.status().breaker.open, 'the breaker open');
  assert.equal(daemon.containers.size, 0);
  assert.equal(registry.size, 0);
  assert.match(provisioner.status().breaker.reason ?? '', /port 30000 is in use/);
  await provisioner.stop(true, 1000);
});

test('a template label that is not a string or a host label that is no host is refused at start-up', () => {
  const base = { Image: 'engine', Cmd: ['--port', '{port}'] };
  assert.equal(
    templateProblem({ ...base, Labels: { 'shardcast.engine.host': 5 } }),
    'has a label "shardcast.engine.host" whose value is not a string',
  );
  assert.equal(
    templateProblem({ ...base, Labels: { 'shardcast.engine.host': 'http://engines/' } }),
    'has a "shardcast.engine.host" label that is not a host name or IP address',
  );
  assert.equal(templateProblem({ ...base, Labels: { 'shardcast.engine.host': 'engines.internal' } }), null);
});

test('a status check that throws fails the start-up; it does not reject unhandled', async () => {
  const daemon = new FakeDaemon();
  const { provisioner } = rig(daemon, LIMITS, {
    checkStatus: async () => {
      throw new Error('Invalid URL');
    },
  });
  await provisioner.start();
  await until(() => (provisioner.status().provisions.get('failed') ?? 0) >= 1, 'a failed start-up');
  assert.match(provisioner.status().lastError ?? '', /Invalid URL/);
  await provisioner.stop(true, 1000);
});

test('--provision-stop-on-exit also removes a container whose create was still unanswered at shutdown', async () => {
  const daemon = new FakeDaemon();
  const { provisioner } = rig(daemon);
  await provisioner.start();
  await until(() => daemon.running().length === 1, 'the minimum running');
  daemon.createHangs = true;
  provisioner.setFloor(2);
  await until(() => daemon.containers.size === 2, 'a second container made, its create unanswered');
  await provisioner.stop(true, 1000);
  assert.equal(daemon.containers.size, 0, 'no container of this gateway is left');
});

test("draining the breaker's trial engine while it starts lets the next trial through", async () => {
  const daemon = new FakeDaemon();
  daemon.failCreate = 'No such image: engine';
  let answer = false;
  const { registry, provisioner, removed } = rig(daemon, LIMITS, {
    breaker: { failures: 2, windowMs: 60_000, openMs: 100 },
    checkStatus: async () => (answer ? null : 'not yet'),
  });
  await provisioner.start();
  await until(() => provisioner.status().breaker.open, 'the breaker open');
  daemon.failCreate = null;
  await until(() => provisioner.list().some((m) => m.containerId !== null), 'the trial creation starting');
  provisioner.drain(provisioner.list().find((m) => m.containerId !== null)!.id);
  await until(() => removed.includes('drained'), 'the trial engine removed');
  answer = true;
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'a later trial ready');
  assert.equal(provisioner.status().breaker.open, false);
  await provisioner.stop(true, 1000);
});

test('a listing asked before a removal and answered after it does not adopt the removed container', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner, removed } = rig(daemon);
  await provisioner.start();
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 1, 'min ready');
  const first = registry.list()[0]!;
  registry.assign(first.id);
  provisioner.prompt();
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 2, 'a spare');
  let release!: () => void;
  daemon.listGate = new Promise((r) => {
    release = r;
  });
  const snapshots = daemon.listSnapshots;
  await until(() => daemon.listSnapshots > snapshots, 'a listing on its way (both running)');
  registry.release(first.id);
  await until(() => removed.includes('idle'), 'the spare removed while the listing is out');
  daemon.listGate = null;
  const lists = daemon.lists;
  release();
  await until(() => daemon.lists >= lists + 2, 'later listings');
  assert.equal(provisioner.list().length, 1, 'the removed container is not adopted back');
  assert.equal(registry.size, 1);
  assert.ok(!provisioner.list().some((m) => m.adopted));
  await provisioner.stop(true, 1000);
});

test('a container removed behind the gateway’s back is reported removed (died) and replaced', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner, removed } = rig(daemon);
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'min ready');
  const first = registry.list()[0]!;
  daemon.containers.delete(first.containerId!); // docker rm -f
  await until(() => removed.includes('died'), 'engine.removed published with reason died');
  assert.equal(provisioner.status().removals.get('died'), 1);
  await until(
    () => registry.list().some((e) => e.id !== first.id && e.lifecycle === 'ready'),
    'a replacement ready',
  );
  await provisioner.stop(true, 1000);
});

test('a drained engine whose streams have nowhere to go is not failed over again and again', async () => {
  const daemon = new FakeDaemon();
  let moves = 0;
  const { registry, provisioner } = rig(daemon, LIMITS, {
    startupMs: 100,
    moveStreams: () => {
      moves++;
    },
  });
  await provisioner.start();
  await until(() => registry.list().some((e) => e.lifecycle === 'ready'), 'min ready');
  const engine = registry.list()[0]!;
  registry.assign(engine.id); // a stream that stays: nowhere else to go
  daemon.failCreate = 'No such image: engine'; // no replacement can come
  provisioner.drain(engine.id);
  await new Promise((r) => setTimeout(r, 5600));
  assert.equal(moves, 1, 'one move after a start-up time, then only once another engine has room');
  daemon.failCreate = null;
  await provisioner.stop(true, 1000);
});

test('a removal Docker refused is retried at the next listing and counted under its own reason', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner, removed } = rig(daemon);
  await provisioner.start();
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 1, 'min ready');
  const first = registry.list()[0]!;
  registry.assign(first.id);
  provisioner.prompt();
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 2, 'a spare');
  daemon.failRemove = true;
  registry.release(first.id);
  await until(() => registry.list().some((e) => e.lifecycle === 'stopping'), 'the idle spare being removed');
  daemon.failRemove = false;
  await until(() => removed.length === 1, 'removed at a later listing');
  assert.deepEqual(removed, ['idle']);
  assert.equal(provisioner.status().removals.get('idle'), 1);
  assert.equal(provisioner.status().removals.get('drained'), 0);
  await provisioner.stop(true, 1000);
});

test('while Docker is unreachable no idle engine is taken out of service (it could not be removed anyway)', async () => {
  const daemon = new FakeDaemon();
  const { registry, provisioner } = rig(daemon);
  await provisioner.start();
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 1, 'min ready');
  const first = registry.list()[0]!;
  registry.assign(first.id);
  provisioner.prompt();
  await until(() => registry.list().filter((e) => e.lifecycle === 'ready').length === 2, 'a spare');
  daemon.up = false;
  await until(() => !provisioner.status().docker.up, 'Docker down noticed');
  registry.release(first.id);
  await new Promise((r) => setTimeout(r, 300)); // well past the idle time
  assert.deepEqual(
    registry.list().map((e) => e.lifecycle),
    ['ready', 'ready'],
    'both engines keep serving',
  );
  daemon.up = true;
  await until(() => registry.size === 1, 'the idle one removed once Docker is back');
  await provisioner.stop(true, 1000);
});
