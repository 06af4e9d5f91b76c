/**
 * The embedded default: with no engine configured, the gateway runs the engine simulator as a child
 * process on a loopback port and uses it as its only engine. A separate process keeps the simulator's CPU
 * out of the gateway's own accounting.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Logger } from '../log.js';

const READY_LINE = /^engine-sim listening on (http:\/\/\S+)/m;
const START_TIMEOUT_MS = 10_000;

export interface EmbeddedSim {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startEmbeddedSim(rate: string, log: Logger): Promise<EmbeddedSim> {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('@shardcast/engine-sim/package.json'));
  const cli = join(pkg, 'dist', 'src', 'cli.js');
  const child = spawn(process.execPath, [cli, '--host', '127.0.0.1', '--port', '0', '--rate', rate], {
    // The IPC channel is how the child learns that the gateway died (even by SIGKILL): it exits when the
    // channel disconnects. Nothing is ever sent on it.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: a Ctrl-C in the terminal (SIGINT to the foreground group) reaches only the
    // gateway, whose shutdown stops the engine sessions first and the simulator after them.
    detached: true,
  });
  child.channel?.unref();
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => fail(new Error('The embedded engine simulator did not start within 10 s.')),
      START_TIMEOUT_MS,
    );
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      const m = READY_LINE.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => log.warn({ component: 'engine-sim' }, chunk.trim()));
    child.once('error', (err) =>
      fail(new Error(`The embedded engine simulator could not start: ${err.message}.`)),
    );
    child.once('exit', (code) =>
      fail(new Error(`The embedded engine simulator exited during start-up (code ${code}).`)),
    );
  });
  let stopping = false;
  child.removeAllListeners('exit');
  child.once('exit', (code, signal) => {
    if (!stopping) log.error({ component: 'engine-sim', code, signal }, 'embedded engine simulator exited');
  });
  return {
    url,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
