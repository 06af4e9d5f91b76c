/** An in-memory Docker daemon behind the DockerApi port, for unit tests (no socket, no Docker). */
import type {
  ContainerInspectJson,
  ContainerSummaryJson,
  DockerApi,
  DockerEventJson,
  DockerFilters,
  DockerLogger,
  StatsJson,
} from '../src/index.js';

export interface LogLine {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields: Record<string, unknown>;
}

export function silentLogger(): DockerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  return {
    lines,
    info: (fields, msg) => lines.push({ level: 'info', msg, fields }),
    warn: (fields, msg) => lines.push({ level: 'warn', msg, fields }),
    error: (fields, msg) => lines.push({ level: 'error', msg, fields }),
  };
}

interface FakeContainer {
  id: string;
  labels: Record<string, string>;
  running: boolean;
  /** `docker pause`: still running for Docker's inspect, `paused` in a listing. */
  paused?: boolean;
  cpuNs: number;
}

/** A push-fed async iterable that ends with an AbortError when its signal aborts. */
class Channel implements AsyncIterable<string> {
  readonly #queue: string[] = [];
  #wake: (() => void) | null = null;
  #ended = false;
  #error: Error | null = null;

  constructor(signal: AbortSignal) {
    signal.addEventListener(
      'abort',
      () => this.fail(Object.assign(new Error('aborted'), { name: 'AbortError' })),
      {
        once: true,
      },
    );
  }

  push(line: string): void {
    this.#queue.push(line);
    this.#wake?.();
  }

  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  fail(err: Error): void {
    this.#error = err;
    this.#wake?.();
  }

  get closed(): boolean {
    return this.#ended || this.#error !== null;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<string> {
    for (;;) {
      if (this.#error) throw this.#error;
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#ended) return;
      await new Promise<void>((r) => {
        this.#wake = r;
      });
      this.#wake = null;
    }
  }
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED /fake/docker.sock'), { code: 'ECONNREFUSED' });
}

export class FakeDocker implements DockerApi {
  readonly endpoint = 'unix:///fake/docker.sock';
  readonly containers = new Map<string, FakeContainer>();
  readonly calls: { endpoint: string; id?: string; oneShot?: boolean }[] = [];
  readonly streams: Channel[] = [];
  /** When true every call fails as if the socket refused connections. */
  down = false;
  apiVersion = '1.41';
  /** Held inspect calls resolve when this promise does (lets a test slip an event in between). */
  inspectGate: Promise<void> | null = null;

  add(id: string, labels: Record<string, string>, running = true): void {
    this.containers.set(id, { id, labels, running, cpuNs: 0 });
  }

  /** Starts a container and emits its `start` event. */
  start(id: string, labels: Record<string, string>): void {
    this.add(id, labels, true);
    this.emit({ Type: 'container', Action: 'start', Actor: { ID: id, Attributes: labels } });
  }

  /** Freezes a container (`docker pause`) and emits its `pause` event. */
  pause(id: string): void {
    const c = this.containers.get(id);
    if (c) c.paused = true;
    this.emit({ Type: 'container', Action: 'pause', Actor: { ID: id, Attributes: c?.labels ?? {} } });
  }

  /** Stops a container and emits its `die` event. */
  die(id: string): void {
    const c = this.containers.get(id);
    if (c) c.running = false;
    this.emit({ Type: 'container', Action: 'die', Actor: { ID: id, Attributes: c?.labels ?? {} } });
  }

  emit(ev: DockerEventJson): void {
    for (const s of this.streams) if (!s.closed) s.push(`${JSON.stringify(ev)}\n`);
  }

  /** Breaks every open events stream (the daemon went away). */
  dropStreams(): void {
    for (const s of this.streams) s.fail(refused());
  }

  count(endpoint: string): number {
    return this.calls.filter((c) => c.endpoint === endpoint).length;
  }

  async version(): Promise<{ ApiVersion: string; Version: string }> {
    this.calls.push({ endpoint: 'version' });
    if (this.down) throw refused();
    return { ApiVersion: this.apiVersion, Version: '20.10.24' };
  }

  async listContainers(filters: DockerFilters): Promise<ContainerSummaryJson[]> {
    this.calls.push({ endpoint: 'list' });
    if (this.down) throw refused();
    const wanted = filters['label']?.[0] ?? '';
    const [key = '', value] = wanted.split('=');
    // Like Docker's `status` filter: a paused container's state is `paused`, not `running`.
    const state = (c: FakeContainer) => (c.paused ? 'paused' : 'running');
    const statuses = filters['status'] ?? ['running', 'paused'];
    return [...this.containers.values()]
      .filter(
        (c) =>
          c.running &&
          statuses.includes(state(c)) &&
          Object.hasOwn(c.labels, key) &&
          (value === undefined || c.labels[key] === value),
      )
      .map((c) => ({
        Id: c.id,
        Names: [`/${c.id}-name`],
        Labels: c.labels,
        State: state(c),
        Ports: [],
        HostConfig: { NetworkMode: 'host' },
        NetworkSettings: { Networks: {} },
      }));
  }

  async inspectContainer(id: string): Promise<ContainerInspectJson> {
    this.calls.push({ endpoint: 'inspect', id });
    if (this.down) throw refused();
    if (this.inspectGate) await this.inspectGate;
    const c = this.containers.get(id);
    if (!c) throw Object.assign(new Error('no such container'), { statusCode: 404 });
    return {
      Id: c.id,
      Name: `/${c.id}-name`,
      State: { Running: c.running },
      Config: { Labels: c.labels, ExposedPorts: {} },
      HostConfig: { NetworkMode: 'host' },
      NetworkSettings: { Ports: {}, Networks: {} },
    };
  }

  async containerStats(id: string, oneShot: boolean): Promise<StatsJson> {
    this.calls.push({ endpoint: 'stats', id, oneShot });
    if (this.down) throw refused();
    const c = this.containers.get(id);
    if (!c) throw Object.assign(new Error('no such container'), { statusCode: 404 });
    // Half a core busy: 0.5 s of CPU per second of (mocked) wall clock.
    const nowMs = Date.now();
    return {
      read: new Date(nowMs).toISOString(),
      cpu_stats: { cpu_usage: { total_usage: nowMs * 0.5e6 }, system_cpu_usage: nowMs * 2e6, online_cpus: 2 },
      memory_stats: { usage: 3_000_000, limit: 8e9, stats: { cache: 1_000_000 } },
    };
  }

  async events(_filters: DockerFilters, signal: AbortSignal): Promise<AsyncIterable<string>> {
    this.calls.push({ endpoint: 'events' });
    if (this.down) throw refused();
    const ch = new Channel(signal);
    this.streams.push(ch);
    return ch;
  }
}

/** Polls `cond` every few ms until it holds or `timeoutMs` passes (bounded; no timing asserted). */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
