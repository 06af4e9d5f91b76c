/**
 * Engine provisioning cost: a stream that needs a new engine (cold: the gateway has no engine, so the open
 * waits while it creates, starts and checks one) against one on a warm engine, each as request → first
 * byte, and the gateway's own `engine_provision` timing (create → first good get_status = demand → ready
 * engine). Runs against the e2e daemon (DOCKER_HOST) with docker/engine-template.e2e.json (engine-sim in
 * shardcast/engine:e2e); every container it starts carries a run label and is removed at the end.
 *
 *   node benchmarks/bin/provision.js [--rounds 10]
 *
 * Prints a table and writes benchmarks/results/<date>-provision.json.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberFlag, parseFlags } from '../util/args.js';
import { Child, stopAllChildren } from '../util/child.js';
import { describeMachine } from '../util/machine.js';
import { GATEWAY_CLI, REPO_ROOT, RESULTS_DIR } from './paths.js';
import { freePort } from './procs.js';

const API_KEY = 'provision-bench';
const POLL_MS = 20;
const DEADLINE_MS = 60_000;

function log(m: string): void {
  process.stderr.write(`[provision ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
}

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const r = await fetch(url, init);
  return (await r.json()) as T;
}

/** Request → first body byte of a TS stream; the request is then dropped. */
function firstByteMs(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = request(url, { agent: false }, (res) => {
      if (res.statusCode !== 200) {
        req.destroy();
        reject(new Error(`GET ${url} → ${res.statusCode}`));
        return;
      }
      res.once('data', () => {
        resolve(performance.now() - t0);
        req.destroy();
      });
    });
    req.on('error', (err) => reject(err));
    req.end();
  });
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

/** Docker API over the daemon's socket, for the final clean-up by label. */
function dockerCall(socket: string, method: string, path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          resolve(text ? JSON.parse(text) : null);
        } catch {
          resolve(text);
        }
      });
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { rounds: { type: 'string' } });
  const rounds = numberFlag(flags, 'rounds', 10, 1, 100, true);
  const dockerHost = process.env.DOCKER_HOST ?? '';
  if (!dockerHost.startsWith('unix://'))
    throw new Error('DOCKER_HOST must name the e2e daemon: eval "$(sudo scripts/docker-e2e-setup.sh)"');
  const socket = dockerHost.slice('unix://'.length);
  const runId = `bench-${process.pid}-${Date.now().toString(36)}`;
  const dir = mkdtempSync(join(tmpdir(), 'shardcast-provision-bench-'));
  const template = join(dir, 'engine-template.json');
  writeFileSync(
    template,
    readFileSync(`${REPO_ROOT}docker/engine-template.e2e.json`, 'utf8')
      .replaceAll('@NODE@', realpathSync(process.execPath))
      .replaceAll('@REPO@', REPO_ROOT),
  );
  const port = await freePort();
  const base = 20_000 + Math.floor(Math.random() * 200) * 50;
  const url = `http://127.0.0.1:${port}`;
  // min 0 and no spare: with no stream the fleet empties, so the next open needs a new engine.
  const gw = new Child('gateway', process.execPath, [
    GATEWAY_CLI,
    ...['--port', String(port), '--host', '127.0.0.1', '--shards', '2', '--log-level', 'warn'],
    ...['--docker', 'on', '--docker-label', `shardcast.bench=${runId}`, '--api-key', API_KEY],
    ...['--provision', 'on', '--provision-template', template, '--provision-id', runId],
    ...['--provision-ports', `${base}-${base + 39}`, '--provision-min', '0', '--provision-min-free', '0'],
    ...['--provision-idle-seconds', '1', '--grace-seconds', '0.5'],
  ]);
  const engines = () =>
    json<{ engines: { kind: string; state: string; healthy: boolean }[] }>(`${url}/api/v1/engines`);
  const ready = async (n: number) => {
    const e = (await engines()).engines.filter((x) => x.kind === 'managed');
    return e.length === n && e.every((x) => x.state === 'ready' && x.healthy);
  };
  const floor = (count: number) =>
    fetch(`${url}/api/v1/engines`, {
      method: 'POST',
      headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ count }),
    }).then((r) => r.arrayBuffer());
  const streams = async () => (await json<{ streams: unknown[] }>(`${url}/api/v1/streams`)).streams.length;
  const cold: number[] = [];
  const warm: number[] = [];
  try {
    await until(async () => {
      try {
        return (await fetch(`${url}/health`)).status === 200;
      } catch {
        return false;
      }
    }, 'the gateway listening');
    for (let i = 0; i < rounds; i++) {
      const id = (n: number) => `${(0xc01d0000 + i * 2 + n).toString(16)}`.padEnd(40, 'b');
      await until(() => ready(0), 'an empty fleet');
      cold.push(await firstByteMs(`${url}/ace/getstream?id=${id(0)}`));
      await until(async () => (await streams()) === 0, 'the cold stream closed');
      await floor(1);
      await until(() => ready(1), 'one warm engine');
      warm.push(await firstByteMs(`${url}/ace/getstream?id=${id(1)}`));
      await until(async () => (await streams()) === 0, 'the warm stream closed');
      await floor(0);
      log(`round ${i + 1}: cold ${cold.at(-1)!.toFixed(0)} ms, warm ${warm.at(-1)!.toFixed(0)} ms`);
    }
    const perf = await json<{
      operations: { engine_provision: { count: number; p50_ms: number; p95_ms: number } };
    }>(`${url}/metrics/performance?operation=engine_provision`);
    const op = perf.operations.engine_provision;
    const result = {
      machine: describeMachine(),
      rounds,
      coldFirstByteMs: { p50: pct(cold, 0.5), p95: pct(cold, 0.95), samples: cold },
      warmFirstByteMs: { p50: pct(warm, 0.5), p95: pct(warm, 0.95), samples: warm },
      engineProvisionMs: { count: op.count, p50: op.p50_ms, p95: op.p95_ms },
    };
    const row = (name: string, p50: number, p95: number) =>
      `| ${name} | ${p50.toFixed(0)} | ${p95.toFixed(0)} |`;
    console.log(
      [
        '| measure | p50 ms | p95 ms |',
        '|---|---|---|',
        row(
          'cold open, new engine needed (request → first byte)',
          result.coldFirstByteMs.p50,
          result.coldFirstByteMs.p95,
        ),
        row(
          'warm open, engine ready (request → first byte)',
          result.warmFirstByteMs.p50,
          result.warmFirstByteMs.p95,
        ),
        row(`engine_provision: create → first good get_status (${op.count} engines)`, op.p50_ms, op.p95_ms),
      ].join('\n'),
    );
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${new Date().toISOString().slice(0, 10)}-provision.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    log(`wrote ${file}`);
  } finally {
    await gw.stop();
    const filters = encodeURIComponent(JSON.stringify({ label: [`shardcast.managed=${runId}`] }));
    const left = (await dockerCall(socket, 'GET', `/containers/json?all=true&filters=${filters}`)) as {
      Id: string;
    }[];
    await Promise.all(left.map((c) => dockerCall(socket, 'DELETE', `/containers/${c.Id}?force=true`)));
    rmSync(dir, { recursive: true, force: true });
    await stopAllChildren();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
