/**
 * Provisioning across restarts and Docker outages. A restarted gateway adopts the containers it labelled
 * (no duplicate, none created anew) and, with --provision-stop-on-exit, removes them at shutdown. On a
 * private dockerd (live-restore, so containers outlive it) that the test stops while a stream plays: the
 * stream keeps playing, /ready reports Docker down, and once the daemon is back provisioning resumes.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import type { GatewayProc } from '../test/support/gateway-proc.js';
import { getJson } from '../test/support/gateway-proc.js';
import { checkTs, openTs } from '../test/support/ts-reader.js';
import { E2eDocker, ENGINE_IMAGE, until } from './docker-support.js';
import {
  API_KEY,
  engineView,
  managedContainers,
  managedRows,
  PrivateDockerd,
  portRange,
  startProvisionGateway,
  untilManagedReady,
  writeTemplate,
} from './provision-support.js';

const TS_PACKET_SIZE = 188;
const CONTENT_ID = 'd0c4e2d04e7c1d2b3a4958677685940a1b2c3d4e';

const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
});

/** One test's provisioning run on the shared daemon: its own labels, template and port range. */
interface ProvisionRun {
  readonly docker: E2eDocker;
  readonly template: { readonly path: string };
  /** The gateway running now, if any: stopped after the file's tests, then every container removed. */
  gw: GatewayProc | undefined;
  /** Starts a gateway with `args` on this run's template and port range (every start: the same range). */
  start(args?: string[]): Promise<GatewayProc>;
}

async function provisionRun(): Promise<ProvisionRun> {
  const docker = new E2eDocker();
  await docker.checkPrerequisites();
  const template = writeTemplate();
  const ports = portRange();
  const run: ProvisionRun = {
    docker,
    template,
    gw: undefined,
    async start(args = []) {
      run.gw = (await startProvisionGateway(docker, template.path, args, { ports })).gw;
      return run.gw;
    },
  };
  cleanups.push(async () => {
    await run.gw?.stop();
    await docker.removeAll();
    template.cleanup();
  });
  return run;
}

test('a restarted gateway adopts its containers: same ids, no duplicate; stop-on-exit removes them', async () => {
  const run = await provisionRun();
  const { docker } = run;
  const args = ['--provision-min', '2'];
  let gw = await run.start(args);
  const before = (await untilManagedReady(gw, 2, 30_000)).map((e) => e.id).sort();
  await gw.stop();
  const running = await managedContainers(docker);
  assert.deepEqual(running.map((c) => `docker:${c.Id}`).sort(), before, 'left running for the next start');
  assert.ok(running.every((c) => c.State === 'running'));

  gw = await run.start([...args, '--provision-stop-on-exit']);
  const adopted = (await untilManagedReady(gw, 2, 30_000)).map((e) => e.id).sort();
  assert.deepEqual(adopted, before, 'the same containers, adopted');
  assert.equal(gw.logs.filter((l) => l.msg === 'adopted a managed engine').length, 2);
  const view = await engineView(gw);
  assert.equal(view.provisioning.desired, 2);
  const prom = await fetch(`${gw.url}/metrics`).then((r) => r.text());
  assert.match(prom, /shardcast_engine_provisions_total\{result="ok"\} 0/, 'nothing created anew');
  assert.equal((await managedContainers(docker)).length, 2, 'no duplicate');

  await gw.stop();
  run.gw = undefined;
  assert.equal((await managedContainers(docker)).length, 0, '--provision-stop-on-exit removed them');
});

test('restarted with another template, the gateway replaces the engine of the former one it adopted', async () => {
  const run = await provisionRun();
  const { docker, template } = run;
  let gw = await run.start();
  const [first] = await untilManagedReady(gw, 1, 30_000);
  await gw.stop();
  const [made] = await managedContainers(docker);
  const formerDigest = made?.Labels?.['shardcast.template'];
  assert.ok(formerDigest, 'the container carries its template digest');

  // The operator changes the template (here one more label) and restarts the gateway.
  const body = JSON.parse(readFileSync(template.path, 'utf8')) as { Labels?: Record<string, string> };
  body.Labels = { ...body.Labels, 'example.variant': 'b' };
  writeFileSync(template.path, JSON.stringify(body));
  gw = await run.start(['--provision-stop-on-exit']);
  const restarted = gw;
  await until(
    async () => {
      const rows = await managedRows(restarted);
      return rows.length === 1 && rows[0]!.id !== first!.id && rows[0]!.state === 'ready' && rows[0]!.healthy;
    },
    60_000,
    'the engine of the former template replaced by a ready one',
  );
  const containers = await managedContainers(docker);
  assert.equal(containers.length, 1, 'the former one removed');
  assert.notEqual(containers[0]?.Labels?.['shardcast.template'], formerDigest);
  assert.equal(containers[0]?.Labels?.['example.variant'], 'b');
  const prom = await fetch(`${gw.url}/metrics`).then((r) => r.text());
  assert.match(prom, /shardcast_engine_removals_total\{reason="template"\} 1/);
  await gw.stop();
  run.gw = undefined;
});

test('dockerd stopped while a stream plays: it keeps playing, /ready says Docker is down, provisioning resumes', async (t) => {
  const shared = new E2eDocker();
  await shared.checkPrerequisites();
  const dockerd = new PrivateDockerd();
  cleanups.push(() => dockerd.destroy());
  await dockerd.start();
  await dockerd.copyImage(shared.socketPath, ENGINE_IMAGE);
  const docker = new E2eDocker(dockerd.dockerHost);
  const template = writeTemplate();
  let gw: GatewayProc | undefined;
  cleanups.push(async () => {
    await gw?.stop();
    // The daemon may be down if the test failed half-way: bring it back to remove what it runs.
    await dockerd.start().catch(() => {});
    await docker.removeAll();
    template.cleanup();
  });
  ({ gw } = await startProvisionGateway(docker, template.path, [], { dockerHost: dockerd.dockerHost }));
  await untilManagedReady(gw, 1, 30_000);
  const client = openTs(`${gw.url}/ace/getstream?id=${CONTENT_ID}`);
  assert.equal((await client.response).status, 200);
  assert.ok(await client.waitBytes(TS_PACKET_SIZE * 300, 20_000));

  await dockerd.stop();
  t.diagnostic('private dockerd stopped');
  const downMark = client.received();
  await until(
    async () => {
      const r = await getJson(`${gw!.url}/ready`);
      return (r.body.provisioning as { docker: string } | undefined)?.docker === 'down';
    },
    30_000,
    '/ready reporting Docker down',
  );
  const ready = await getJson(`${gw.url}/ready`);
  t.diagnostic(`/ready while down: ${ready.status} ${JSON.stringify(ready.body.provisioning)}`);
  assert.ok(
    await client.waitBytes(downMark + TS_PACKET_SIZE * 1500, 20_000),
    'the stream kept playing with the daemon down',
  );
  const stream = (await getJson(`${gw.url}/api/v1/streams`)).body.streams as { state: string }[];
  assert.equal(stream[0]?.state, 'live');

  await dockerd.start();
  t.diagnostic('private dockerd started again');
  await until(
    async () => (await engineView(gw!)).provisioning.docker.up,
    30_000,
    'provisioning seeing Docker again',
  );
  // Provisioning resumes: a floor of 3 (the stream's engine and its spare make 2) creates one more.
  const r = await fetch(`${gw.url}/api/v1/engines`, {
    method: 'POST',
    headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
    body: '{"count":3}',
  });
  assert.equal(r.status, 200);
  await until(
    async () => (await managedRows(gw!)).filter((e) => e.state === 'ready' && e.healthy).length === 3,
    30_000,
    'a third managed engine ready after the outage',
  );
  const read = await client.close();
  assert.equal(read.closedByServer, false, 'the client kept its socket throughout');
  assert.equal(checkTs(read.bytes).syncErrors, 0);
  assert.equal((await managedContainers(docker)).length, 3);
});
