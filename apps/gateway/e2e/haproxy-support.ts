/**
 * Debian's HAProxy running the shipped docker/haproxy.cfg for the cluster e2e tests, in front of the three
 * server addresses a test gives, plus a stats listener the test reads to know what HAProxy thinks of each
 * server (the shipped file is used as is; only the stats frontend is appended).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetch, type Response } from 'undici';
import { freePort } from '../test/support/free-port.js';
import type { FetchInit } from '../test/support/hls-tools.js';

export const HAPROXY_CFG = fileURLToPath(new URL('../../../../docker/haproxy.cfg', import.meta.url));

export interface Haproxy {
  /** Base URL players and tests use, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** HAProxy's view of each server of the `gateways` backend (gw1…gw3): UP, DOWN, … (from its CSV stats). */
  serverStates(): Promise<Record<string, string>>;
  stop(): void;
}

/**
 * undici's fetch of a GET through HAProxy, sent once more when its connection closes before any answer,
 * as browsers and ffmpeg do (RFC 9112 §9.3.1.1 allows it for idempotent requests). HAProxy reuses idle
 * connections to the nodes; when a node closes one as a request goes out on it (uWebSockets closes idle
 * keep-alive connections in a sweep every few seconds), HAProxy closes the client's connection without an
 * answer so that the client retries, as it would against the node directly. undici's fetch does not retry.
 * A fetch that fails again, or after the answer began, still fails.
 */
export async function lbFetch(url: string, init?: FetchInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    if (!(err instanceof TypeError) || (err.cause as { code?: unknown })?.code !== 'UND_ERR_SOCKET')
      throw err;
    return fetch(url, init);
  }
}

/** Starts HAProxy with `servers` as SHARDCAST_GW1..3 and a health-check interval of `inter`. */
export async function startHaproxy(
  servers: readonly [string, string, string],
  inter: string,
): Promise<Haproxy> {
  const lbPort = await freePort();
  const statsPort = await freePort();
  const statsUrl = `http://127.0.0.1:${statsPort}/stats`;
  const dir = mkdtempSync(join(tmpdir(), 'shardcast-haproxy-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `${readFileSync(HAPROXY_CFG, 'utf8')}\nfrontend test-stats\n    bind 127.0.0.1:${statsPort}\n    stats enable\n    stats uri /stats\n`,
  );
  const proc: ChildProcess = spawn('haproxy', ['-db', '-f', cfg], {
    env: {
      PATH: process.env.PATH,
      SHARDCAST_LB_BIND: `127.0.0.1:${lbPort}`,
      SHARDCAST_GW1: servers[0],
      SHARDCAST_GW2: servers[1],
      SHARDCAST_GW3: servers[2],
      SHARDCAST_LB_INTER: inter,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    url: `http://127.0.0.1:${lbPort}`,
    async serverStates() {
      const text = await (await fetch(`${statsUrl};csv`)).text();
      const out: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const f = line.split(',');
        const name = f[1] ?? '';
        if (f[0] === 'gateways' && /^gw\d+$/.test(name)) out[name] = f[17] ?? '';
      }
      return out;
    },
    stop() {
      proc.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
