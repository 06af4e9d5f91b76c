/**
 * A private nginx for the HLS segment baseline: a temp prefix with its own config on a loopback port, in
 * the foreground (daemon off), the same worker count as the gateway's shards, sendfile on, no access log.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Child } from '../util/child.js';
import { pinned } from '../util/pin.js';
import { freePort } from './procs.js';

const READY_TIMEOUT_MS = 10_000;

export function nginxBinary(): string | null {
  for (const bin of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(bin, ['-v'], { stdio: 'ignore' }).status === 0) return bin;
  }
  return null;
}

export interface Nginx {
  readonly port: number;
  readonly child: Child;
}

/** Serves `root` (a directory under `prefix`) on a free port. */
export async function startNginx(bin: string, prefix: string, root: string, workers: number): Promise<Nginx> {
  const port = await freePort();
  for (const d of ['logs', 'tmp']) mkdirSync(join(prefix, d), { recursive: true });
  const conf = `
worker_processes ${workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/logs/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_requests 1000000;
  keepalive_timeout 65s;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  types { video/mp2t ts; application/vnd.apple.mpegurl m3u8; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`;
  writeFileSync(join(prefix, 'nginx.conf'), conf);
  // nginx workers drop to an unprivileged user when started as root: let them read the files.
  chmodSync(prefix, 0o755);
  const c = pinned('server', bin, [
    '-p',
    prefix,
    '-c',
    join(prefix, 'nginx.conf'),
    '-e',
    join(prefix, 'logs', 'error.log'),
    '-g',
    'daemon off;',
  ]);
  const child = new Child('nginx', c.cmd, c.args);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (child.exited || Date.now() > deadline) {
      await child.stop();
      throw new Error(`nginx did not start: ${child.stderrTail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { port, child };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
