/**
 * A template naming an image the daemon does not have: the gateway starts (Docker answers), every creation
 * fails, the circuit breaker opens after its failures, and from then on a stream open answers 503
 * SC_ERR_NO_ENGINE at once with the reason; /api/v1/engines and /ready name it. Nothing crashes and no
 * container is left behind.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { GatewayProc } from '../test/support/gateway-proc.js';
import { getJson } from '../test/support/gateway-proc.js';
import { E2eDocker, until } from './docker-support.js';
import { engineView, managedContainers, startProvisionGateway, writeTemplate } from './provision-support.js';

const MISSING_IMAGE = 'shardcast/no-such-engine:missing';
const CONTENT_ID = 'b7ea4e7c1d2b3a4958677685940a1b2c3d4e5f60';

let docker: E2eDocker;
let gw: GatewayProc | undefined;
let template: ReturnType<typeof writeTemplate>;

before(async () => {
  docker = new E2eDocker();
  await docker.checkPrerequisites();
  template = writeTemplate(MISSING_IMAGE);
  ({ gw } = await startProvisionGateway(docker, template.path));
});

after(async () => {
  await gw?.stop();
  await docker?.removeAll();
  template?.cleanup();
});

test('a missing image opens the breaker; opens answer 503 with the reason at once', async () => {
  const g = gw!;
  await until(async () => (await engineView(g)).provisioning.breaker.open, 20_000, 'the breaker open');
  const view = await engineView(g);
  assert.match(view.provisioning.breaker.reason ?? '', /no-such-engine/);
  assert.match(view.provisioning.last_error ?? '', /no-such-engine/);
  assert.equal(view.engines.length, 0, 'no engine was ever created');

  const t0 = performance.now();
  const r = await fetch(`${g.url}/ace/getstream?id=${CONTENT_ID}`);
  const ms = performance.now() - t0;
  assert.equal(r.status, 503);
  assert.ok(r.headers.get('retry-after'), 'Retry-After');
  const body = (await r.json()) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'SC_ERR_NO_ENGINE');
  assert.match(body.error.message, /paused after repeated failures.*no-such-engine/);
  assert.ok(ms < 1000, `answered at once (${ms.toFixed(0)} ms)`);

  const ready = await getJson(`${g.url}/ready`);
  assert.equal(ready.status, 503);
  const reasons = ready.body.reasons as string[];
  assert.ok(
    reasons.some((x) => /engine creation paused: .*no-such-engine/.test(x)),
    reasons.join('; '),
  );
  assert.equal((ready.body.provisioning as { breaker: string }).breaker, 'open');

  const prom = await fetch(`${g.url}/metrics`).then((x) => x.text());
  assert.match(prom, /shardcast_engine_provisions_total\{result="failed"\} [3-9]/);
  assert.match(prom, /shardcast_engine_provisioning_paused 1/);
  assert.ok(
    g.logs.some((l) => String(l.msg).startsWith('engine creation paused')),
    'the breaker said why in the log',
  );
  assert.equal((await managedContainers(docker)).length, 0, 'no container left behind');
  assert.equal(g.proc.exitCode, null, 'the gateway still runs');
});
