/**
 * A port of --provision-ports that another process already holds on the host network. An engine
 * container created on it cannot bind it and exits, while the process there may answer `get_status`
 * itself (here: an engine-sim outside Docker, as another gateway's engine would): the gateway must not
 * take that process for its new engine (and then replace the dying container again and again), but
 * avoid the port and start its engine on the next one at once, without counting a failure.
 *
 * And two gateways with different --provision-id on one daemon, one port range: a port the other
 * gateway's container holds while its engine does not answer yet (nothing listens, so no connect probe
 * sees it) is skipped too.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import type { GatewayProc } from '../test/support/gateway-proc.js';
import { E2eDocker, until } from './docker-support.js';
import {
  engineView,
  managedContainers,
  managedRows,
  portRange,
  startProvisionGateway,
  untilManagedReady,
  writeTemplate,
} from './provision-support.js';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

test('a port another engine already answers on is skipped: the managed engine gets the next port', async () => {
  const docker = new E2eDocker();
  await docker.checkPrerequisites();
  const template = writeTemplate();
  let gw: GatewayProc | undefined;
  let foreign: EngineSim | undefined;
  cleanups.push(async () => {
    await gw?.stop();
    await foreign?.close();
    await docker.removeAll();
    template.cleanup();
  });
  const ports = portRange();
  const first = Number(ports.split('-')[0]);
  foreign = await startEngineSim({ host: '127.0.0.1', port: first });
  ({ gw } = await startProvisionGateway(docker, template.path, [], { ports }));
  const [engine] = await untilManagedReady(gw, 1, 30_000);
  assert.equal(engine!.url, `http://127.0.0.1:${first + 1}`, 'the engine is on the next port');
  const containers = await managedContainers(docker);
  assert.equal(containers.length, 1, 'one container: none was created on the taken port');
  assert.equal(containers[0]!.State, 'running');
  const view = await engineView(gw);
  assert.match(view.provisioning.last_error ?? '', new RegExp(`port ${first} is in use`));
  assert.equal(view.provisioning.breaker.open, false);
  assert.ok(!gw.logs.some((l) => l.msg === 'managed engine container died'), 'no container died');
  assert.ok(gw.logs.some((l) => l.msg === 'engine port in use; trying another'));
  const prom = await fetch(`${gw.url}/metrics`).then((r) => r.text());
  assert.match(prom, /shardcast_engine_provisions_total\{result="failed"\} 0\b/);
  assert.match(prom, /shardcast_engine_provisions_total\{result="ok"\} 1\b/);
});

test("two provision ids on one daemon: a port the other gateway's engine holds before it answers is skipped", async () => {
  const other = new E2eDocker();
  await other.checkPrerequisites();
  await sleep(2); // another run id (pid + ms)
  const docker = new E2eDocker();
  assert.notEqual(other.runId, docker.runId);
  // The other gateway's engines never answer get_status (a container that only sleeps, on the host
  // network, its port unbound): each stays `starting`, holding its port, for the whole test.
  const silent = writeTemplate();
  writeFileSync(
    silent.path,
    JSON.stringify({
      Image: 'shardcast/busybox:e2e',
      Cmd: ['sleep', '3600'],
      Labels: { 'shardcast.engine.host': '127.0.0.1', 'shardcast.engine.port': '{port}' },
      HostConfig: { NetworkMode: 'host', Init: true },
    }),
  );
  const template = writeTemplate();
  let gwOther: GatewayProc | undefined;
  let gw: GatewayProc | undefined;
  cleanups.push(async () => {
    await gw?.stop();
    await gwOther?.stop();
    await docker.removeAll();
    await other.removeAll();
    template.cleanup();
    silent.cleanup();
  });
  const ports = portRange();
  const first = Number(ports.split('-')[0]);
  ({ gw: gwOther } = await startProvisionGateway(other, silent.path, ['--provision-startup-seconds', '600'], {
    ports,
  }));
  const gwO = gwOther;
  await until(
    async () => (await managedContainers(other)).some((c) => c.State === 'running'),
    30_000,
    "the other gateway's container running",
  );
  const [starting] = await managedRows(gwO);
  assert.equal(starting?.state, 'starting', "the other gateway's engine does not answer");
  assert.equal(starting?.url, `http://127.0.0.1:${first}`);

  ({ gw } = await startProvisionGateway(docker, template.path, [], { ports }));
  const [engine] = await untilManagedReady(gw, 1, 30_000);
  assert.equal(engine?.url, `http://127.0.0.1:${first + 1}`, 'the engine is on the next port');
  const mine = await managedContainers(docker);
  assert.equal(mine.length, 1, 'no container of ours on the held port');
  assert.equal(mine[0]?.Labels?.['shardcast.provision.port'], String(first + 1));
  const theirs = await managedContainers(other);
  assert.deepEqual(
    theirs.map((c) => [c.State, c.Labels?.['shardcast.provision.port']]),
    [['running', String(first)]],
    "the other gateway's container is left alone",
  );
  const view = await engineView(gw);
  assert.equal(view.provisioning.breaker.open, false);
  const prom = await fetch(`${gw.url}/metrics`).then((r) => r.text());
  assert.match(prom, /shardcast_engine_provisions_total\{result="failed"\} 0\b/);
});

test('two provision ids started together on one range: every engine gets a port of its own', async (t) => {
  const a = new E2eDocker();
  await a.checkPrerequisites();
  await sleep(2); // another run id (pid + ms)
  const b = new E2eDocker();
  assert.notEqual(a.runId, b.runId);
  const template = writeTemplate();
  const gws: GatewayProc[] = [];
  cleanups.push(async () => {
    for (const g of gws) await g.stop();
    await a.removeAll();
    await b.removeAll();
    template.cleanup();
  });
  const ports = portRange();
  // Both list the daemon before either has created anything: their first picks are the same ports, and
  // only the check after each create can tell them apart.
  const started = await Promise.all(
    [a, b].map((d) => startProvisionGateway(d, template.path, ['--provision-min', '2'], { ports })),
  );
  for (const s of started) gws.push(s.gw);
  const rows = await Promise.all(gws.map((g) => untilManagedReady(g, 2, 60_000)));
  const urls = rows.flat().map((e) => e.url);
  assert.equal(new Set(urls).size, 4, `four engines on four ports: ${urls.join(' ')}`);
  for (const [i, d] of [a, b].entries()) {
    const containers = await managedContainers(d);
    assert.equal(containers.length, 2, 'no container left over on a port given up');
    assert.deepEqual(
      containers.map((c) => `http://127.0.0.1:${c.Labels['shardcast.provision.port']}`).sort(),
      rows[i]?.map((e) => e.url).sort(),
      'each engine listens on the port its container carries',
    );
    const prom = await fetch(`${gws[i]?.url}/metrics`).then((r) => r.text());
    assert.match(prom, /shardcast_engine_provisions_total\{result="failed"\} 0\b/);
  }
  for (const g of gws) for (const e of await managedRows(g)) assert.equal(e.healthy, true);
  // How often a gateway found its new container's port taken by the other's (timing decides; 0 is fine).
  const given = gws.flatMap((g) => g.logs.filter((l) => /held by another gateway/.test(String(l.error))));
  t.diagnostic(`ports given up after create: ${given.length}`);
});
