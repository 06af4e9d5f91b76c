#!/usr/bin/env node
// How often a client through HAProxy sees its connection closed without an answer when a node closes its
// idle keep-alive connections all at once (as uWebSockets.js's idle sweep does), and whether retrying once
// hides it. Debian's HAProxy in front of one Node HTTP server; per round, 200 players leave idle
// connections in HAProxy's pool, four clients keep requesting, and the server closes every idle
// connection. Figures are quoted in docs/cluster.md.
//   node benchmarks/bin/haproxy-reuse-race.js [--retry] [--rounds N] [--backend 'line;line']
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, fetch } from 'undici';

const { values } = parseArgs({
  options: {
    retry: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '10' },
    backend: { type: 'string', default: '' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds takes a whole number ≥ 1');

const srv = createServer((_req, res) => res.end('ok'));
srv.keepAliveTimeout = 600_000;
await new Promise((r) => srv.listen(0, '127.0.0.1', r));
const lb = await new Promise((r) => {
  const probe = createServer();
  probe.listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => r(`http://127.0.0.1:${port}`));
  });
});
const dir = mkdtempSync(join(tmpdir(), 'reuse-race-'));
const cfg = join(dir, 'haproxy.cfg');
const extra = values.backend
  .split(';')
  .filter(Boolean)
  .map((l) => `  ${l}\n`)
  .join('');
writeFileSync(
  cfg,
  `defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n` +
    `frontend f\n  bind ${new URL(lb).host}\n  default_backend b\n` +
    `backend b\n${extra}  server s1 127.0.0.1:${srv.address().port}\n`,
);
const haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'inherit'] });

/** One GET; with --retry, sent once more when the connection closes before any answer. */
async function get(path, dispatcher) {
  try {
    return await fetch(`${lb}${path}`, { dispatcher });
  } catch (err) {
    if (!values.retry || err?.cause?.code !== 'UND_ERR_SOCKET') throw err;
    return fetch(`${lb}${path}`, { dispatcher });
  }
}

try {
  for (let i = 0; ; i++) {
    const up = await fetch(`${lb}/`).then(
      (r) => r.text().then(() => true),
      () => false,
    );
    if (up) break;
    if (i > 100) throw new Error('HAProxy did not start');
    await new Promise((r) => setTimeout(r, 50));
  }
  let ok = 0;
  let closed = 0;
  for (let round = 0; round < rounds; round++) {
    await Promise.all(
      Array.from({ length: 200 }, async () => {
        const d = new Agent({ connections: 1 });
        for (let k = 0; k < 2; k++) await (await fetch(`${lb}/p`, { dispatcher: d })).text();
        await d.close();
      }),
    );
    let stop = false;
    const clients = Array.from({ length: 4 }, async () => {
      const d = new Agent({ connections: 1 });
      while (!stop) {
        try {
          const r = await get('/x', d);
          await r.text();
          if (r.status === 200) ok++;
        } catch {
          closed++;
        }
      }
      await d.close();
    });
    await new Promise((r) => setTimeout(r, 100));
    srv.closeIdleConnections();
    await new Promise((r) => setTimeout(r, 200));
    stop = true;
    await Promise.all(clients);
  }
  process.stdout.write(
    `${JSON.stringify({ retry: values.retry, backend: values.backend, rounds, answered: ok, closedWithoutAnswer: closed })}\n`,
  );
} finally {
  haproxy.kill('SIGTERM');
  srv.close();
  srv.closeAllConnections();
  rmSync(dir, { recursive: true, force: true });
}
