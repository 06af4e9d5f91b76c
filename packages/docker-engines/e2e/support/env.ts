/**
 * The e2e tier talks to the private daemon that scripts/docker-e2e-setup.sh starts. Its DOCKER_HOST
 * comes from the environment:  eval "$(scripts/docker-e2e-setup.sh)"  before  node scripts/test.mjs e2e docker.
 */
import { existsSync } from 'node:fs';

export const BUSYBOX_IMAGE = 'shardcast/busybox:e2e';
export const ENGINE_IMAGE = 'shardcast/engine:e2e';

/** The daemon socket from DOCKER_HOST; throws one sentence saying how to get one. */
export function daemonSocket(): string {
  const host = process.env['DOCKER_HOST'] ?? '';
  if (!host.startsWith('unix://')) {
    throw new Error(
      'DOCKER_HOST must name the e2e daemon socket: run  eval "$(scripts/docker-e2e-setup.sh)"  first (as root).',
    );
  }
  const path = host.slice('unix://'.length);
  if (!existsSync(path))
    throw new Error(`DOCKER_HOST socket ${path} does not exist: run scripts/docker-e2e-setup.sh.`);
  return path;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` until it holds; bounded by `timeoutMs`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Collects log lines for assertions (the DockerLogger shape). */
export function recordingLogger() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    lines.push({ level, msg, fields });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}
