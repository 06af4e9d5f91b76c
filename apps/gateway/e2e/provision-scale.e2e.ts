/**
 * Provisioning against the real private daemon: with min 1 and the provisioned cap of 3 streams per
 * engine, seven streams end as seven engine sessions spread over at least three engines the gateway
 * created itself, none above its cap; once every client has left, idle engines are removed down to the
 * minimum and no other container of the gateway's label is left.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GatewayProc } from '../test/support/gateway-proc.js';
import { getJson } from '../test/support/gateway-proc.js';
import { checkTs, type LiveTs, openTs } from '../test/support/ts-reader.js';
import { E2eDocker, until } from './docker-support.js';
import {
  contentIds,
  managedContainers,
  managedRows,
  simSessions,
  startProvisionGateway,
  streamRows,
  untilManagedReady,
  writeTemplate,
} from './provision-support.js';

const STREAMS = 7;
const CAP = 3;
const TS_PACKET_SIZE = 188;

let docker: E2eDocker;
let gw: GatewayProc | undefined;
let template: ReturnType<typeof writeTemplate>;

before(async () => {
  docker = new E2eDocker();
  await docker.checkPrerequisites();
  template = writeTemplate();
  ({ gw } = await startProvisionGateway(docker, template.path, [
    '--provision-idle-seconds',
    '2',
    '--grace-seconds',
    '1',
  ]));
});

after(async () => {
  await gw?.stop();
  await docker?.removeAll();
  template?.cleanup();
});

test('seven streams spread over at least three created engines, then idle ones go down to the minimum', async (t) => {
  const g = gw!;
  const [first] = await untilManagedReady(g, 1, 30_000);
  t.diagnostic(`min engine ready: ${first!.url}`);
  const ids = contentIds(STREAMS, 'c0ffee');
  const clients: LiveTs[] = [];
  for (const id of ids) clients.push(openTs(`${g.url}/ace/getstream?id=${id}`));
  for (const c of clients) assert.equal((await c.response).status, 200);
  await Promise.all(
    clients.map(async (c, i) =>
      assert.ok(await c.waitBytes(TS_PACKET_SIZE * 200, 30_000), `client ${i} receives media`),
    ),
  );
  await until(
    async () => (await streamRows(g)).filter((s) => s.state === 'live').length === STREAMS,
    10_000,
    'seven live streams',
  );
  const rows = await managedRows(g);
  const busy = rows.filter((e) => e.streams > 0);
  t.diagnostic(`engines: ${rows.map((e) => `${e.url}=${e.streams}`).join(', ')}`);
  assert.equal(
    rows.reduce((n, e) => n + e.streams, 0),
    STREAMS,
    'every stream on a managed engine',
  );
  assert.ok(busy.length >= 3, `spread over ${busy.length} engines`);
  for (const e of rows) assert.ok(e.streams <= CAP, `${e.url} carries ${e.streams} (cap ${CAP})`);
  // The engines themselves: exactly seven sessions, none above the cap.
  const sessions = await Promise.all(busy.map((e) => simSessions(e.url)));
  assert.equal(
    sessions.reduce((a, b) => a + b, 0),
    STREAMS,
    `engine sessions ${sessions.join('+')}`,
  );
  for (const n of sessions) assert.ok(n <= CAP);
  const containers = await managedContainers(docker);
  assert.equal(containers.length, rows.length, 'one container per managed engine');

  const reads = await Promise.all(clients.map((c) => c.close()));
  for (const r of reads) {
    const c = checkTs(r.bytes);
    assert.ok(c.startsWithPsiAndKeyframe);
    assert.equal(c.syncErrors, 0);
  }
  await until(async () => (await streamRows(g)).length === 0, 15_000, 'every stream closed');
  await until(
    async () => (await managedContainers(docker)).length === 1 && (await managedRows(g)).length === 1,
    30_000,
    'idle engines removed down to the minimum',
  );
  const left = await managedContainers(docker);
  assert.equal(left.length, 1);
  assert.equal(left[0]!.State, 'running');
  const metrics = await getJson(`${g.url}/api/v1/engines`);
  assert.equal((metrics.body.provisioning as { desired: number }).desired, 1);
  const prom = await fetch(`${g.url}/metrics`).then((r) => r.text());
  assert.match(prom, /shardcast_engine_removals_total\{reason="idle"\} [1-9]/);
  assert.match(prom, /shardcast_engines_desired 1/);
  const perf = await getJson(`${g.url}/metrics/performance?operation=engine_provision`);
  const op = (perf.body.operations as Record<string, { count: number; p50_ms: number }>).engine_provision!;
  t.diagnostic(`engine_provision: ${op.count} start-ups, p50 ${op.p50_ms} ms`);
  assert.ok(op.count >= 3);
});
