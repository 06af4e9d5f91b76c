// Test harness: runs the real `shardcast` CLI as a child process on a free port and waits for its ready
// log line. Everything it starts is stopped by `stop()` (call it in after()).
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface GatewayProc {
  readonly url: string;
  readonly port: number;
  readonly proc: ChildProcess;
  /** Every JSON log line so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Resident set size of the gateway process, bytes (from /proc). */
  rss(): number;
  /** SIGTERM and wait; resolves with the exit code and how long it took. */
  stop(): Promise<{ code: number | null; ms: number }>;
}

/** How to run the CLI: under a wrapper command (e.g. `taskset -c 0`), with a longer wait for ready. */
export interface Launch {
  readonly wrapper?: readonly string[];
  readonly readyTimeoutMs?: number;
  /** Its own process group (pid = group id), as a shell gives a foreground job: `kill(-pid, …)` reaches it all. */
  readonly processGroup?: boolean;
}

/**
 * `until: 'ready'` (default) resolves once every shard is up ("Shardcast ready"); `'listening'` as soon as
 * the first shard listens (its "shard ready" line), for tests of what happens while the others start.
 */
export async function startGateway(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  until: 'ready' | 'listening' = 'ready',
  launch: Launch = {},
): Promise<GatewayProc> {
  // Docker discovery only where a test asks for it: a daemon on the machine must not change other tests.
  const docker = args.includes('--docker') || env.DOCKER_HOST ? [] : ['--docker', 'off'];
  const argv = [CLI, '--port', '0', '--host', '127.0.0.1', '--log-level', 'info', ...docker, ...args];
  const wrapper = launch.wrapper ?? [];
  const proc = spawn(
    wrapper[0] ?? process.execPath,
    wrapper.length > 0 ? [...wrapper.slice(1), process.execPath, ...argv] : argv,
    {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: launch.processGroup === true,
    },
  );
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new Error(`gateway did not become ready: ${stderr}`)),
      launch.readyTimeoutMs ?? 20_000,
    );
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          const first = until === 'listening' && rec.msg === 'shard ready';
          if (typeof rec.msg === 'string' && (first || rec.msg.startsWith('Shardcast ready'))) {
            clearTimeout(timer);
            resolve(rec.port as number);
          }
        } catch {
          // not a log line
        }
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (${code}) before ready: ${stderr}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  let stopped: Promise<{ code: number | null; ms: number }> | null = null;
  return {
    url,
    port,
    proc,
    logs,
    rss: () => {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const m = /VmRSS:\s+(\d+) kB/.exec(status);
      return m ? Number(m[1]) * 1024 : 0;
    },
    stop: () => {
      stopped ??= new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve({ code: proc.exitCode, ms: 0 });
        const t0 = Date.now();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        proc.once('exit', (code) => {
          clearTimeout(kill);
          resolve({ code, ms: Date.now() - t0 });
        });
        proc.kill('SIGTERM');
      });
      return stopped;
    },
  };
}

/** Polls `fn` until it returns true or `ms` pass. */
export async function waitFor(
  fn: () => boolean | Promise<boolean>,
  ms: number,
  stepMs = 50,
): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return fn();
}

export async function getJson(
  url: string,
  init?: RequestInit,
): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(url, init);
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: r.status, body, headers: r.headers };
}
