// Start-up checks through the real CLI: runs `shardcast <args>` to its end (a check that fails stops it
// within a second or two) and returns its exit status and output. Its environment is PATH and what the
// test adds, nothing of the test's own.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { text } from 'node:stream/consumers';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Variables besides PATH. */
  readonly env?: NodeJS.ProcessEnv;
  /** Killed after this long (its status is then null); 30 s unless told. */
  readonly timeout?: number;
}

function spawnArgs(args: readonly string[], options: CliOptions) {
  return {
    argv: [CLI, ...args],
    env: { PATH: process.env.PATH, ...options.env },
    timeout: options.timeout ?? 30_000,
  };
}

/** The CLI with exactly these flags. */
export function spawnCli(args: readonly string[], options: CliOptions = {}): CliRun {
  const { argv, env, timeout } = spawnArgs(args, options);
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env, timeout });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As spawnCli, without blocking this process: for a test whose own servers must answer the CLI meanwhile. */
export async function spawnCliAsync(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  const { argv, env, timeout } = spawnArgs(args, options);
  const proc = spawn(process.execPath, argv, { env, timeout, stdio: ['ignore', 'pipe', 'pipe'] });
  // All it wrote, read to the end, and how it exited (once() rejects should it fail to start).
  const [stdout, stderr, [status]] = await Promise.all([
    text(proc.stdout),
    text(proc.stderr),
    once(proc, 'exit') as Promise<[number | null]>,
  ]);
  return { status, stdout, stderr };
}

/** `shardcast --port 0 --docker off <args>`. */
export function runCli(args: readonly string[]): CliRun {
  return spawnCli(['--port', '0', '--docker', 'off', ...args]);
}
