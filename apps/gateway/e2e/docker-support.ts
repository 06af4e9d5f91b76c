/**
 * Support for the gateway's Docker e2e tests (apps/gateway/e2e/docker-*.e2e.ts): the private daemon that
 * scripts/docker-e2e-setup.sh starts (found through DOCKER_HOST), a minimal client for its API, engine
 * containers running the repo's engine-sim (docker/run-engine.sh as API calls), and a gateway started with
 * Docker discovery on.
 *
 * Every container of a run carries the label `shardcast.e2e=<run id>`, and the gateway selects engines by
 * that label (`--docker-label`): containers of other runs or of the package's own Docker suites on the same
 * daemon are never discovered, and `removeAll()` finds everything this run created.
 */
import { existsSync, realpathSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { type GatewayProc, getJson, startGateway } from '../test/support/gateway-proc.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const SIM_CLI = `${REPO}apps/engine-sim/dist/src/cli.js`;
export const ENGINE_IMAGE = 'shardcast/engine:e2e';
/** The label that marks (and, for the gateway, selects) every container of this run. */
const RUN_LABEL = 'shardcast.e2e';
/** Deadline of one setup call; creating or stopping a container takes well under a second here. */
const CALL_TIMEOUT_MS = 30_000;
/** How often the tests poll the gateway's API while measuring a 1 s bound. */
const POLL_MS = 20;

/** The daemon socket from DOCKER_HOST; throws one sentence saying how to get one. */
export function daemonSocket(): { dockerHost: string; socketPath: string } {
  const dockerHost = process.env['DOCKER_HOST'] ?? '';
  if (!dockerHost.startsWith('unix://') || !existsSync(dockerHost.slice('unix://'.length))) {
    throw new Error(
      `DOCKER_HOST (${dockerHost || 'unset'}) must name the e2e daemon's socket: run  eval "$(scripts/docker-e2e-setup.sh)"  as root first.`,
    );
  }
  return { dockerHost, socketPath: dockerHost.slice('unix://'.length) };
}

/** A free loopback port (the engine binds it on the host network a moment later). */
export { freePort } from '../test/support/free-port.js';

/** One entry of the daemon's container list (the fields tests read). */
export interface ContainerRow {
  readonly Id: string;
  readonly Names: string[];
  readonly State: string;
  readonly Labels: Record<string, string>;
}

export interface EngineContainer {
  readonly id: string;
  readonly name: string;
  readonly port: number;
  /** `docker:<container id>`, the engine's id in the gateway's registry. */
  readonly engineId: string;
  readonly url: string;
}

/** Just enough of the Docker API for test setup, on its own connections (never the gateway's). */
export class E2eDocker {
  readonly dockerHost: string;
  readonly socketPath: string;
  readonly runId = `${process.pid}-${Date.now().toString(36)}`;
  /** `--docker-label` for a gateway that should see exactly this run's engine containers. */
  readonly selector = `${RUN_LABEL}=${this.runId}`;

  /** `dockerHost` (unix://…) talks to another daemon than DOCKER_HOST's (a test's private one). */
  constructor(dockerHost?: string) {
    const d = dockerHost ? { dockerHost, socketPath: dockerHost.slice('unix://'.length) } : daemonSocket();
    this.dockerHost = d.dockerHost;
    this.socketPath = d.socketPath;
  }

  /** Fails with one sentence when the engine image or the engine-sim build is missing. */
  async checkPrerequisites(): Promise<void> {
    if (!existsSync(SIM_CLI))
      throw new Error(`engine-sim is not built (${SIM_CLI}): run npx tsc -b apps/gateway.`);
    const image = await this.#call('GET', `/images/${encodeURIComponent(ENGINE_IMAGE)}/json`);
    if (image.status !== 200) throw new Error(`${ENGINE_IMAGE} is missing: run scripts/docker-e2e-setup.sh.`);
  }

  /**
   * Creates (does not start) an engine container, as docker/run-engine.sh does: engine-sim on 127.0.0.1:port
   * on the host network, the host's node, libraries and this repository bind-mounted read-only.
   */
  async createEngine(name: string, port: number): Promise<EngineContainer> {
    const fullName = `${name}-${this.runId}`;
    const body = {
      Image: ENGINE_IMAGE,
      Cmd: ['shardcast-engine-sim', '--host', '127.0.0.1', '--port', String(port)],
      Labels: {
        [RUN_LABEL]: this.runId,
        'shardcast.engine': 'true',
        'shardcast.engine.host': '127.0.0.1',
        'shardcast.engine.port': String(port),
      },
      HostConfig: {
        NetworkMode: 'host',
        // Docker's tini forwards SIGTERM, so `docker stop` ends engine-sim at once.
        Init: true,
        Binds: [
          `${realpathSync(process.execPath)}:/usr/local/bin/node:ro`,
          '/lib:/lib:ro',
          '/lib64:/lib64:ro',
          '/usr/lib:/usr/lib:ro',
          `${REPO}:/app:ro`,
        ],
      },
    };
    const r = await this.#ok('POST', `/containers/create?name=${encodeURIComponent(fullName)}`, body);
    const id = (r as { Id: string }).Id;
    return { id, name: fullName, port, engineId: `docker:${id}`, url: `http://127.0.0.1:${port}` };
  }

  async start(id: string): Promise<void> {
    await this.#ok('POST', `/containers/${id}/start`);
  }

  /** Stops with a grace of `t` seconds; resolves when the container has exited. */
  async stop(id: string, t = 5): Promise<void> {
    const r = await this.#call('POST', `/containers/${id}/stop?t=${t}`);
    if (r.status !== 204 && r.status !== 304) throw new Error(`stop ${id} → ${r.status}`);
  }

  /** SIGKILL to the container's init: every process in it dies at once, its sockets reset. */
  async kill(id: string): Promise<void> {
    await this.#ok('POST', `/containers/${id}/kill`);
  }

  /** Containers (running or not) carrying `label` (`key=value`). */
  async listByLabel(label: string): Promise<ContainerRow[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: [label] }));
    return (await this.#ok('GET', `/containers/json?all=true&filters=${filters}`)) as ContainerRow[];
  }

  /** Removes (forcibly) every container this run created. */
  async removeAll(): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ label: [this.selector] }));
    const list = (await this.#ok('GET', `/containers/json?all=true&filters=${filters}`)) as { Id: string }[];
    await Promise.all(list.map((c) => this.#call('DELETE', `/containers/${c.Id}?force=true`)));
  }

  async #ok(method: string, path: string, body?: unknown): Promise<unknown> {
    const r = await this.#call(method, path, body);
    if (r.status < 200 || r.status >= 300)
      throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  #call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socketPath,
          method,
          path,
          headers: payload
            ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }
            : {},
          timeout: CALL_TIMEOUT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = text;
            try {
              json = text ? JSON.parse(text) : null;
            } catch {}
            resolve({ status: res.statusCode ?? 0, json });
          });
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}

/**
 * Starts the gateway with Docker discovery on (selecting this run's containers, no static engine) and
 * waits until discovery has connected, so a container started afterwards is seen through the events
 * stream rather than by a later reconcile.
 */
export async function startDockerGateway(docker: E2eDocker, args: string[] = []): Promise<GatewayProc> {
  const gw = await startGateway(
    ['--docker', 'on', '--docker-label', docker.selector, '--shards', '2', ...args],
    {
      DOCKER_HOST: docker.dockerHost,
    },
  );
  try {
    await until(
      () => gw.logs.some((l) => l.msg === 'Docker discovery connected'),
      10_000,
      'Docker discovery connected',
    );
  } catch (err) {
    await gw.stop();
    throw err;
  }
  return gw;
}

/** One row of GET /api/v1/engines (the fields these tests read). */
export interface EngineRow {
  id: string;
  url: string;
  source: string;
  container: { id: string; name: string | null } | null;
  healthy: boolean;
  streams: number;
  last_error: string | null;
  last_probe_age_seconds: number | null;
  stats: (Record<string, number> & { age_seconds: number }) | null;
}

export async function engines(gw: GatewayProc): Promise<EngineRow[]> {
  const r = await getJson(`${gw.url}/api/v1/engines`);
  if (r.status !== 200) throw new Error(`GET /api/v1/engines → ${r.status}`);
  return r.body.engines as EngineRow[];
}

export async function engine(gw: GatewayProc, id: string): Promise<EngineRow | undefined> {
  return (await engines(gw)).find((e) => e.id === id);
}

/** Waits until the gateway's health probe of `id` has succeeded (engine-sim is listening). */
export async function untilProbedHealthy(gw: GatewayProc, id: string, ms = 15_000): Promise<EngineRow> {
  let row: EngineRow | undefined;
  await until(
    async () => {
      row = await engine(gw, id);
      return (
        row !== undefined && row.last_probe_age_seconds !== null && row.last_error === null && row.healthy
      );
    },
    ms,
    `a successful health probe of ${id}`,
  );
  return row!;
}

/**
 * Polls `cond` every 20 ms until it holds; resolves with the `performance.now()` at which it first held.
 * Throws, naming `what`, after `ms`.
 */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<number> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (await cond()) return performance.now();
    if (performance.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** engine-sim's own counters (GET /sim/stats on the container's host-network port). */
export async function simStats(c: EngineContainer): Promise<{ sessionsStarted: number }> {
  return (await getJson(`${c.url}/sim/stats`)).body as { sessionsStarted: number };
}
