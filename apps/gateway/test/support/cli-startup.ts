// Start-up checks through the real CLI: runs `shardcast --port 0 --docker off <args>` to its end (a check
// that fails stops it within a second or two) and returns its exit status and output.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[]): CliRun {
  const r = spawnSync(process.execPath, [CLI, '--port', '0', '--docker', 'off', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH },
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
