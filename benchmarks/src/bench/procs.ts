/**
 * The processes a benchmark starts, each in its own process so CPU and memory are accounted per process
 * from /proc: engine-sim, the gateway, the reference server, the naive proxy, and the players CLI.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlayersReport } from '../players/report.js';
import { Child } from '../util/child.js';
import { pinned } from '../util/pin.js';
import { ENGINE_SIM_CLI, GATEWAY_CLI, NAIVE_MAIN, PLAYERS_CLI, REFERENCE_MAIN } from './paths.js';

const READY_TIMEOUT_MS = 30_000;
const POLL_MS = 100;

/** A free TCP port on 127.0.0.1 (bound, read, released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Service {
  readonly url: string;
  readonly port: number;
  readonly child: Child;
}

export async function startEngineSim(rate: '1' | 'max' | string, extra: string[] = []): Promise<Service> {
  const c = pinned('load', process.execPath, [ENGINE_SIM_CLI, '--port', '0', '--rate', rate, ...extra]);
  const child = new Child('engine-sim', c.cmd, c.args);
  const url = await child.waitForLine(/engine-sim listening on (http:\/\/\S+)/, READY_TIMEOUT_MS);
  return { url, port: Number(new URL(url).port), child };
}

export interface GatewayOptions {
  shards: number;
  engines: string[];
  extra?: string[];
  /** Another build's CLI (A/B of two builds); default: this checkout's. */
  cli?: string;
}

/** Starts the real gateway CLI and waits until GET /ready answers 200. */
export async function startGateway(o: GatewayOptions): Promise<Service> {
  const port = await freePort();
  const args = [
    o.cli ?? GATEWAY_CLI,
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--shards',
    String(o.shards),
  ];
  for (const e of o.engines) args.push('--engine', e);
  args.push('--docker', 'off', '--log-level', 'warn', ...(o.extra ?? []));
  const c = pinned('server', process.execPath, args);
  const child = new Child('gateway', c.cmd, c.args);
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(child, `${url}/ready`);
  return { url, port, child };
}

export async function startReference(mode: 'max' | 'realtime', threads: number): Promise<Service> {
  const port = await freePort();
  const c = pinned('server', process.execPath, [
    REFERENCE_MAIN,
    '--port',
    String(port),
    '--threads',
    String(threads),
    '--mode',
    mode,
  ]);
  const child = new Child('reference', c.cmd, c.args);
  const url = await child.waitForLine(/reference listening on (http:\/\/\S+)/, READY_TIMEOUT_MS);
  return { url, port, child };
}

export async function startNaive(engine: string): Promise<Service> {
  const port = await freePort();
  const c = pinned('server', process.execPath, [NAIVE_MAIN, '--port', String(port), '--engine', engine]);
  const child = new Child('naive proxy', c.cmd, c.args);
  const url = await child.waitForLine(/naive proxy listening on (http:\/\/\S+)/, READY_TIMEOUT_MS);
  return { url, port, child };
}

async function waitForHttp(child: Child, url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exited) throw new Error(`${child.name} exited before it was ready: ${child.stderrTail}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  await child.stop();
  throw new Error(`${child.name} was not ready within ${READY_TIMEOUT_MS} ms: ${child.stderrTail}`);
}

/** Runs the players CLI in its own process and returns its JSON report. */
export async function runPlayersCli(
  url: string,
  args: string[],
  onStart?: (pid: number) => void,
): Promise<PlayersReport> {
  const dir = mkdtempSync(join(tmpdir(), 'sc-players-'));
  const json = join(dir, 'report.json');
  try {
    const c = pinned('load', process.execPath, [
      PLAYERS_CLI,
      '--url',
      url,
      '--quiet',
      '--json',
      json,
      ...args,
    ]);
    const child = new Child('players', c.cmd, c.args);
    onStart?.(child.pid);
    const code = await child.exit();
    try {
      // Exit 1 (degraded) and 3 (nothing received) still write a report: they are results too.
      return JSON.parse(readFileSync(json, 'utf8')) as PlayersReport;
    } catch {
      throw new Error(`players exited ${code} without a report: ${child.stderrTail}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function getJson<T>(url: string): Promise<T | null> {
  try {
    const r = await fetch(url);
    if (r.status !== 200) {
      await r.arrayBuffer();
      return null;
    }
    return (await r.json()) as T;
  } catch {
    return null;
  }
}

/** One operation of the gateway's `/metrics/performance` answer (the fields the suite reads). */
export interface ServerOp {
  count: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
}

/**
 * The gateway's own timing of one operation over `window` (seconds or 'all'), or null when the gateway
 * does not answer or recorded none.
 */
export async function serverOperation(
  url: string,
  operation: string,
  window: number | 'all',
): Promise<ServerOp | null> {
  const r = await getJson<{ operations: Record<string, ServerOp> }>(
    `${url}/metrics/performance?operation=${operation}&window=${window}`,
  );
  const op = r?.operations[operation];
  return op && op.count > 0 ? op : null;
}
