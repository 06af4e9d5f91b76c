/**
 * A port of --provision-ports that another process already holds on the host network. An engine
 * container created on it cannot bind it and exits, while the process there may answer `get_status`
 * itself (here: an engine-sim outside Docker, as another gateway's engine would): the gateway must not
 * take that process for its new engine (and then replace the dying container again and again), but
 * avoid the port and start its engine on the next one at once, without counting a failure.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import type { GatewayProc } from '../test/support/gateway-proc.js';
import { E2eDocker } from './docker-support.js';
import {
  engineView,
  managedContainers,
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
