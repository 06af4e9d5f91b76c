/**
 * A minimal Docker client for test setup (create, start, stop, remove containers) speaking HTTP on the
 * daemon socket directly, so the package under test and the test's own calls never share a connection.
 */
import { request } from 'node:http';
import { BUSYBOX_IMAGE } from './env.js';

/** Every container a test run creates carries this label, so `removeAll` finds them. */
export const E2E_LABEL = 'shardcast.e2e';
/** Deadline of one setup call (create/start/stop of a tiny busybox container takes well under 1 s). */
const CALL_TIMEOUT_MS = 30_000;

export interface RunOptions {
  readonly name: string;
  readonly cmd: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly image?: string;
  readonly networkMode?: string;
  readonly binds?: readonly string[];
}

export class TestDocker {
  readonly socketPath: string;
  readonly runId: string;

  constructor(socketPath: string) {
    this.socketPath = socketPath;
    this.runId = `${process.pid}-${Date.now().toString(36)}`;
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
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

  async #ok(method: string, path: string, body?: unknown): Promise<unknown> {
    const r = await this.call(method, path, body);
    if (r.status < 200 || r.status >= 300)
      throw new Error(`${method} ${path} → ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  /** Creates a container (not started); returns its id. */
  async create(o: RunOptions): Promise<string> {
    const created = (await this.#ok(
      'POST',
      `/containers/create?name=${encodeURIComponent(`${o.name}-${this.runId}`)}`,
      {
        Image: o.image ?? BUSYBOX_IMAGE,
        Cmd: o.cmd,
        Labels: { [E2E_LABEL]: this.runId, ...o.labels },
        HostConfig: { NetworkMode: o.networkMode ?? 'none', Init: true, Binds: o.binds ?? [] },
      },
    )) as { Id: string };
    return created.Id;
  }

  async start(id: string): Promise<void> {
    await this.#ok('POST', `/containers/${id}/start`);
  }

  /** create + start; returns the id. */
  async run(o: RunOptions): Promise<string> {
    const id = await this.create(o);
    await this.start(id);
    return id;
  }

  /** Stops with a grace of `t` seconds (the init process forwards SIGTERM, so busybox exits at once). */
  async stop(id: string, t = 2): Promise<void> {
    const r = await this.call('POST', `/containers/${id}/stop?t=${t}`);
    if (r.status !== 204 && r.status !== 304) throw new Error(`stop ${id} → ${r.status}`);
  }

  async kill(id: string): Promise<void> {
    await this.#ok('POST', `/containers/${id}/kill`);
  }

  async remove(id: string): Promise<void> {
    const r = await this.call('DELETE', `/containers/${id}?force=true`);
    if (r.status !== 204 && r.status !== 404) throw new Error(`remove ${id} → ${r.status}`);
  }

  /** Removes every container this run created. */
  async removeAll(): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ label: [`${E2E_LABEL}=${this.runId}`] }));
    const list = (await this.#ok('GET', `/containers/json?all=true&filters=${filters}`)) as { Id: string }[];
    await Promise.all(list.map((c) => this.remove(c.Id)));
  }

  async imageExists(image: string): Promise<boolean> {
    return (await this.call('GET', `/images/${encodeURIComponent(image)}/json`)).status === 200;
  }
}

/** Labels that make a busybox container an engine on 127.0.0.1:<port> (it needs not listen for discovery). */
export function engineLabels(port: number): Record<string, string> {
  return {
    'shardcast.engine': 'true',
    'shardcast.engine.host': '127.0.0.1',
    'shardcast.engine.port': String(port),
  };
}
