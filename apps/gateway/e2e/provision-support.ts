/**
 * Support for the provisioning e2e tests (apps/gateway/e2e/provision-*.e2e.ts): the shipped engine
 * template (docker/engine-template.e2e.json) made concrete for this machine, and a gateway started with
 * `--provision on` whose containers carry this run's label (so `E2eDocker.removeAll()` finds every one)
 * and whose gateway id is the run id (so runs never adopt each other's containers).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GatewayProc, getJson, startGateway } from '../test/support/gateway-proc.js';
import { type E2eDocker, type EngineRow, engines, until } from './docker-support.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const TEMPLATE = `${REPO}docker/engine-template.e2e.json`;
export const API_KEY = 'provision-e2e-key';

export interface ProvisionRow extends EngineRow {
  kind: 'managed' | 'static' | 'discovered';
  state: 'starting' | 'ready' | 'draining' | 'stopping';
  age_seconds: number | null;
}

export interface ProvisioningView {
  desired: number;
  managed: number;
  floor: number;
  docker: { up: boolean; error: string | null };
  breaker: { open: boolean; reason: string | null };
  last_error: string | null;
}

/** The shipped template with this machine's node binary and repository path; `image` replaces its Image. */
export function writeTemplate(image?: string): { path: string; cleanup: () => void } {
  const text = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('@NODE@', realpathSync(process.execPath))
    .replaceAll('@REPO@', REPO);
  const body = JSON.parse(text) as Record<string, unknown>;
  if (image) body.Image = image;
  const dir = mkdtempSync(join(tmpdir(), 'shardcast-provision-'));
  const path = join(dir, 'engine-template.json');
  writeFileSync(path, JSON.stringify(body));
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A port range of 40 from a random base, so concurrent runs on the host network rarely meet: within
 * 20000-29999, or within SHARDCAST_E2E_PORTS (`first-last`, at least 50 ports) when set.
 */
export function portRange(): string {
  const [first, last] = (process.env['SHARDCAST_E2E_PORTS'] ?? '20000-29999').split('-').map(Number) as [
    number,
    number,
  ];
  const base = first + Math.floor(Math.random() * Math.floor((last + 1 - first) / 50)) * 50;
  return `${base}-${base + 39}`;
}

export interface ProvisionGateway {
  readonly gw: GatewayProc;
  readonly ports: string;
}

/**
 * Starts a gateway with provisioning on (2 shards, API key set) and waits until it listens. `env`
 * overrides DOCKER_HOST (a private daemon of one test).
 */
export async function startProvisionGateway(
  docker: E2eDocker,
  template: string,
  args: string[] = [],
  opts: { ports?: string; dockerHost?: string } = {},
): Promise<ProvisionGateway> {
  const ports = opts.ports ?? portRange();
  const gw = await startGateway(
    [
      '--docker',
      'on',
      '--docker-label',
      docker.selector,
      '--provision',
      'on',
      '--provision-template',
      template,
      '--provision-id',
      docker.runId,
      '--provision-ports',
      ports,
      '--shards',
      '2',
      '--api-key',
      API_KEY,
      ...args,
    ],
    { DOCKER_HOST: opts.dockerHost ?? docker.dockerHost },
  );
  return { gw, ports };
}

export async function engineView(
  gw: GatewayProc,
): Promise<{ engines: ProvisionRow[]; provisioning: ProvisioningView }> {
  const r = await getJson(`${gw.url}/api/v1/engines`);
  if (r.status !== 200) throw new Error(`GET /api/v1/engines → ${r.status}`);
  return r.body as unknown as { engines: ProvisionRow[]; provisioning: ProvisioningView };
}

export async function managedRows(gw: GatewayProc): Promise<ProvisionRow[]> {
  return ((await engines(gw)) as ProvisionRow[]).filter((e) => e.kind === 'managed');
}

/** Waits until exactly `n` managed engines are ready (and none other is managed); returns them. */
export async function untilManagedReady(gw: GatewayProc, n: number, ms: number): Promise<ProvisionRow[]> {
  let rows: ProvisionRow[] = [];
  await until(
    async () => {
      rows = await managedRows(gw);
      return rows.length === n && rows.every((e) => e.state === 'ready' && e.healthy);
    },
    ms,
    `${n} managed engine(s) ready`,
  );
  return rows;
}

/** This gateway's containers as the daemon lists them (`shardcast.managed=<run id>`). */
export async function managedContainers(docker: E2eDocker) {
  return docker.listByLabel(`shardcast.managed=${docker.runId}`);
}

/** engine-sim's sessions on an engine (host-network port). */
export async function simSessions(url: string): Promise<number> {
  const r = await getJson(`${url}/sim/stats`);
  return (r.body as { sessionsActive: number }).sessionsActive;
}

export interface StreamRow {
  stream: string;
  key: { value: string };
  state: string;
  engine: { id: string; url: string };
  failovers: number;
}

export async function streamRows(gw: GatewayProc): Promise<StreamRow[]> {
  const r = await getJson(`${gw.url}/api/v1/streams`);
  return r.body.streams as StreamRow[];
}

/** `n` distinct 40-hex content ids. */
export function contentIds(n: number, seed: string): string[] {
  return Array.from({ length: n }, (_, i) => `${seed}${i.toString(16)}`.padEnd(40, '0').slice(0, 40));
}

/**
 * A private dockerd of one test (its own socket, data root and exec root, live-restore on so its
 * containers outlive it), started and stopped by the test itself: the shared e2e daemon is never stopped.
 */
export class PrivateDockerd {
  readonly dir = mkdtempSync(join(tmpdir(), 'shardcast-private-dockerd-'));
  readonly dockerHost = `unix://${this.dir}/docker.sock`;
  #proc: ChildProcess | null = null;

  /** Starts the daemon (unless it runs) and waits until it answers. */
  async start(): Promise<void> {
    if (this.#proc && this.#proc.exitCode === null && this.#proc.signalCode === null) return;
    const args = [
      '--iptables=false',
      '--ip-forward=false',
      '--ip-masq=false',
      '--bridge=none',
      '--storage-driver=vfs',
      '--live-restore',
      '--host',
      this.dockerHost,
      '--data-root',
      `${this.dir}/data`,
      '--exec-root',
      `${this.dir}/exec`,
      '--pidfile',
      `${this.dir}/dockerd.pid`,
    ];
    // Its own process group: a signal to the test runner's group never reaches it; stop() ends it.
    const proc = spawn('dockerd', args, { stdio: 'ignore', detached: true });
    this.#proc = proc;
    await until(() => this.#answers(), 60_000, 'the private dockerd answering');
  }

  /** SIGTERM to the daemon (its containers keep running: live-restore); resolves once it has exited. */
  async stop(): Promise<void> {
    const proc = this.#proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    await exited;
    this.#proc = null;
  }

  /** Copies an image from another daemon (GET /images/<name>/get → POST /images/load). */
  async copyImage(fromSocket: string, image: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const get = request(
        { socketPath: fromSocket, method: 'GET', path: `/images/${encodeURIComponent(image)}/get` },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`GET image ${image} → ${res.statusCode}`));
            res.resume();
            return;
          }
          const load = request(
            {
              socketPath: `${this.dir}/docker.sock`,
              method: 'POST',
              path: '/images/load?quiet=1',
              headers: { 'Content-Type': 'application/x-tar' },
            },
            (lr) => {
              lr.resume();
              lr.on('end', () =>
                lr.statusCode === 200 ? resolve() : reject(new Error(`load → ${lr.statusCode}`)),
              );
            },
          );
          load.on('error', reject);
          res.pipe(load);
        },
      );
      get.on('error', reject);
      get.end();
    });
  }

  /** Stops the daemon, undoes the mounts it leaves (its data root, its netns) and deletes its state. */
  async destroy(): Promise<void> {
    await this.stop();
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[1] ?? '')
      .filter((m) => m === this.dir || m.startsWith(`${this.dir}/`))
      .sort()
      .reverse();
    for (const m of mounts) spawnSync('umount', ['-l', m], { stdio: 'ignore' });
    rmSync(this.dir, { recursive: true, force: true });
  }

  #answers(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = request({ socketPath: `${this.dir}/docker.sock`, path: '/_ping', timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  }
}
