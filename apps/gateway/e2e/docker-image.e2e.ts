/**
 * The container image and the compose stack, on the e2e tier's private dockerd: `docker build -f
 * docker/Dockerfile .` from the locally made base image builds; the container answers /health, plays a
 * stream from its embedded simulator, runs as `node`, turns healthy, and `docker stop` ends it cleanly
 * within 10 s. `docker-compose -f docker/compose.yaml up -d` brings up gateway + Prometheus: Prometheus
 * scrapes the gateway (`up{job="shardcast"}` is 1) and a `histogram_quantile` over its buckets answers.
 * Run: eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e docker-image
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/free-port.js';
import { getJson, waitFor } from '../test/support/gateway-proc.js';
import { checkTs, readTs } from '../test/support/ts-reader.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const IMAGE = 'shardcast:latest';
const PROJECT = `shardcast-e2e-${process.pid}`;
const CONTENT_ID = 'c0'.repeat(20);
const JOIN_P99 =
  'histogram_quantile(0.99, sum by (le) (rate(shardcast_operation_duration_seconds_bucket{operation="mpegts_client_join"}[1m])))';

interface Run {
  readonly code: number | null;
  readonly out: string;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 600_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      out += d;
    });
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('error', reject);
    p.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

async function healthy(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/health`)).ok;
  } catch {
    return false;
  }
}

let dir = '';
const containers: string[] = [];
let composeEnv: NodeJS.ProcessEnv | null = null;

before(async () => {
  assert.ok(process.env.DOCKER_HOST, 'DOCKER_HOST is set (eval "$(scripts/setup-e2e.sh)")');
  const images = await run('scripts/docker-local-images.sh', []);
  assert.equal(images.code, 0, images.out);
  // --network host: the private daemon has no bridge network, and npm needs the registry.
  const build = await run(
    'docker',
    ['build', '--network', 'host', '-f', 'docker/Dockerfile', '-t', IMAGE, '.'],
    {
      DOCKER_BUILDKIT: '0',
    },
  );
  assert.equal(build.code, 0, build.out.slice(-3000));
  dir = mkdtempSync(join(tmpdir(), 'shardcast-compose-'));
});

after(async () => {
  if (composeEnv)
    await run('docker-compose', ['-f', 'docker/compose.yaml', '-p', PROJECT, 'down', '-t', '15'], composeEnv);
  for (const id of containers) await run('docker', ['rm', '-f', id]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the image runs: /health, a stream plays, user node, healthy, docker stop ends it cleanly in 10 s', async () => {
  const port = await freePort();
  const started = await run('docker', [
    'run',
    '-d',
    '--network',
    'host',
    '-e',
    `SHARDCAST_PORT=${port}`,
    IMAGE,
  ]);
  assert.equal(started.code, 0, started.out);
  const id = started.out.trim().split('\n').at(-1)!;
  containers.push(id);
  const url = `http://127.0.0.1:${port}`;
  assert.ok(await waitFor(() => healthy(url), 60_000, 250), 'the container answers /health');

  const r = await readTs(`${url}/ace/getstream?id=${CONTENT_ID}`, 2000);
  assert.equal(r.status, 200);
  const c = checkTs(r.bytes);
  assert.ok(c.packets > 100 && c.startsWithPsiAndKeyframe && c.syncErrors === 0, JSON.stringify(c));

  const uid = await run('docker', ['exec', id, 'id', '-u']);
  assert.equal(uid.out.trim(), '1000', 'runs as the unprivileged node user');
  const health = async (): Promise<string> =>
    (await run('docker', ['inspect', '-f', '{{.State.Health.Status}}', id])).out.trim();
  assert.ok(
    await waitFor(async () => (await health()) === 'healthy', 60_000, 500),
    `HEALTHCHECK: ${await health()}`,
  );

  const t0 = Date.now();
  const stop = await run('docker', ['stop', '-t', '10', id]);
  const ms = Date.now() - t0;
  assert.equal(stop.code, 0, stop.out);
  const state = (await run('docker', ['inspect', '-f', '{{.State.ExitCode}}', id])).out.trim();
  assert.equal(state, '0', 'exit code 0: a clean shutdown, not a kill after the grace time');
  assert.ok(ms < 10_000, `docker stop took ${ms} ms`);
  const logs = (await run('docker', ['logs', id])).out;
  assert.match(logs, /"clean":true/);
});

test('docker-compose up: gateway + Prometheus; up{job="shardcast"} is 1 and a histogram_quantile answers', async () => {
  const port = await freePort();
  const promPort = await freePort();
  // The shipped Prometheus config and rules, with the scrape target on this run's port.
  const promDir = join(dir, 'prometheus');
  rmSync(promDir, { recursive: true, force: true });
  await run('mkdir', ['-p', promDir]);
  copyFileSync(join(ROOT, 'docker/prometheus/rules.yml'), join(promDir, 'rules.yml'));
  const cfg = readFileSync(join(ROOT, 'docker/prometheus/prometheus.yml'), 'utf8');
  assert.match(cfg, /127\.0\.0\.1:8000/);
  writeFileSync(join(promDir, 'prometheus.yml'), cfg.replace('127.0.0.1:8000', `127.0.0.1:${port}`));
  composeEnv = {
    SHARDCAST_PORT: String(port),
    PROMETHEUS_PORT: String(promPort),
    SHARDCAST_PROMETHEUS_DIR: promDir,
    DOCKER_SOCKET: process.env.DOCKER_HOST!.replace(/^unix:\/\//, ''),
  };
  const up = await run(
    'docker-compose',
    ['-f', 'docker/compose.yaml', '-p', PROJECT, 'up', '-d', '--no-build'],
    composeEnv,
  );
  assert.equal(up.code, 0, up.out);
  const url = `http://127.0.0.1:${port}`;
  assert.ok(await waitFor(() => healthy(url), 60_000, 250), 'the gateway answers');
  const prom = `http://127.0.0.1:${promPort}/api/v1/query?query=`;
  const query = async (q: string): Promise<any> => (await getJson(`${prom}${encodeURIComponent(q)}`)).body;
  assert.ok(
    await waitFor(
      async () => {
        const b = await query('up{job="shardcast"}').catch(() => null);
        return b?.data?.result?.[0]?.value?.[1] === '1';
      },
      90_000,
      500,
    ),
    'Prometheus scrapes the gateway',
  );
  // A viewer joins after Prometheus has scraped once, so the join counters rise between two scrapes and
  // rate() sees it (a join before the first scrape is only a starting value).
  const r = await readTs(`${url}/ace/getstream?id=${CONTENT_ID}`, 1500);
  assert.equal(r.status, 200);
  let last: any = null;
  assert.ok(
    await waitFor(
      async () => {
        last = await query(JOIN_P99).catch(() => null);
        const v = Number(last?.data?.result?.[0]?.value?.[1]);
        return last?.status === 'success' && Number.isFinite(v) && v > 0;
      },
      90_000,
      1000,
    ),
    `histogram_quantile over the join buckets: ${JSON.stringify(last)}`,
  );
  const rules = await getJson(`http://127.0.0.1:${promPort}/api/v1/rules`);
  const names = rules.body.data.groups.flatMap((g: any) => g.rules.map((x: any) => x.name ?? x.record));
  assert.ok(
    names.includes('shardcast:client_join_seconds:p99_1m') && names.includes('ShardcastDown'),
    names.join(),
  );
});
