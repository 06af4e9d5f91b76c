/**
 * Docker, gateway level: with the Docker socket absent (DOCKER_HOST names a path that does not exist) and
 * one static engine (an in-process engine-sim), the default `--docker auto` starts, logs one line saying
 * why Docker discovery is off, starts no simulator, and serves the static engine; `--docker on` (the
 * operator asked for Docker) refuses to start with one sentence naming the socket. Needs no daemon.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway } from '../test/support/gateway-proc.js';
import { checkTs, readTs } from '../test/support/ts-reader.js';

const MISSING_SOCKET = '/nonexistent.sock';
const WHY_OFF = `Docker discovery is off: no Docker socket at ${MISSING_SOCKET} (set DOCKER_HOST to use another daemon); only static engines are used.`;
const CONTENT_ID = '50c4e7ab5e17a1b2c3d4e5f60718293a4b5c6d7e';

let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  const env = { DOCKER_HOST: `unix://${MISSING_SOCKET}` };
  // `auto` is the default: the harness leaves --docker out because DOCKER_HOST is set.
  gw = await startGateway(['--engine', sim.url, '--shards', '2'], env);
});

after(async () => {
  await gw?.stop();
  await sim?.close();
});

test('--docker on: refuses to start, naming the missing socket', () => {
  const cli = fileURLToPath(new URL('../src/cli.js', import.meta.url));
  const r = spawnSync(process.execPath, [cli, '--port', '0', '--engine', sim.url, '--docker', 'on'], {
    env: { PATH: process.env.PATH, DOCKER_HOST: `unix://${MISSING_SOCKET}` },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 1);
  assert.match(
    r.stderr,
    /--docker on, but no Docker socket at \/nonexistent\.sock \(set DOCKER_HOST to use another daemon\)\./,
  );
});

test('--docker auto: the gateway starts and logs once why Docker discovery is off', async () => {
  const msgs = gw.logs.map((l) => String(l.msg));
  assert.equal(msgs.filter((m) => m === WHY_OFF).length, 1, msgs.join('\n'));
  assert.ok(!msgs.includes('Docker engine discovery is on'));
  assert.ok(!msgs.some((m) => /embedded engine simulator/.test(m)), 'a static engine: no simulator');
  assert.ok(
    !gw.logs.some((l) => l.component === 'docker' && Number(l.level) >= 40),
    'no Docker warnings or retries: discovery never started',
  );
  const r = await getJson(`${gw.url}/api/v1/engines`);
  assert.equal(r.status, 200);
  assert.deepEqual(
    r.body.engines.map((e: { id: string; source: string; container: unknown; healthy: boolean }) => [
      e.id,
      e.source,
      e.container,
      e.healthy,
    ]),
    [[sim.url, 'static', null, true]],
  );
});

test('--docker auto without a socket: the static engine serves a stream', async () => {
  const sessionsBefore = sim.stats().sessionsStarted;
  const r = await readTs(`${gw.url}/ace/getstream?id=${CONTENT_ID}`, 3000);
  assert.equal(r.status, 200);
  assert.equal(r.closedByServer, false);
  const c = checkTs(r.bytes);
  assert.ok(c.packets > 500, `${c.packets} packets in 3 s`);
  assert.ok(c.startsWithPsiAndKeyframe);
  assert.equal(c.syncErrors, 0);
  assert.equal(c.ccErrors, 0);
  assert.equal(sim.stats().sessionsStarted, sessionsBefore + 1, 'the static engine ran the session');
});
