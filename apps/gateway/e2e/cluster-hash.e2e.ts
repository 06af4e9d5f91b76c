/**
 * The shipped docker/haproxy.cfg's stream hashing, checked cheaply: Debian's HAProxy in front of two
 * stand-in backends (plain HTTP servers that answer 200 to everything, /ready included) and a third
 * address nobody listens on. A request the gateway reads as one stream must reach the node of that
 * stream whatever its spelling, or the stream is pulled on two nodes. (The full cluster with real
 * gateways is cluster-haproxy.e2e.ts.)
 * Run: eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e cluster-hash
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../test/support/gateway-proc.js';

const CONFIG = fileURLToPath(new URL('../../../../docker/haproxy.cfg', import.meta.url));

const hashes = Array.from({ length: 30 }, (_, i) =>
  createHash('sha1').update(`cluster-hash-${i}`).digest('hex'),
);

let haproxy: ChildProcess | null = null;
let dir = '';
let lb = '';
let statsUrl = '';
const backends: Server[] = [];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** HAProxy's view of each server: UP, DOWN, ... (from its CSV stats). */
async function serverStates(): Promise<Record<string, string>> {
  const text = await (await fetch(`${statsUrl};csv`)).text();
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const f = line.split(',');
    if (f[0] === 'gateways' && /^gw\d$/.test(f[1] ?? '')) out[f[1]!] = f[17]!;
  }
  return out;
}

/** The node HAProxy sends this request to. */
async function nodeOf(path: string): Promise<string> {
  const r = await fetch(`${lb}${path}`);
  await r.arrayBuffer();
  return r.headers.get('x-shardcast-node') ?? '';
}

before(async () => {
  const ports: number[] = [];
  for (let i = 0; i < 2; i++) {
    const srv = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    backends.push(srv);
    ports.push((srv.address() as { port: number }).port);
  }
  const lbPort = await freePort();
  const statsPort = await freePort();
  const nobody = await freePort();
  lb = `http://127.0.0.1:${lbPort}`;
  statsUrl = `http://127.0.0.1:${statsPort}/stats`;
  dir = mkdtempSync(join(tmpdir(), 'shardcast-cluster-hash-'));
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `${readFileSync(CONFIG, 'utf8')}\nfrontend test-stats\n    bind 127.0.0.1:${statsPort}\n    stats enable\n    stats uri /stats\n`,
  );
  haproxy = spawn('haproxy', ['-db', '-f', cfg], {
    env: {
      PATH: process.env.PATH,
      SHARDCAST_LB_BIND: `127.0.0.1:${lbPort}`,
      SHARDCAST_GW1: `127.0.0.1:${ports[0]}`,
      SHARDCAST_GW2: `127.0.0.1:${ports[1]}`,
      SHARDCAST_GW3: `127.0.0.1:${nobody}`,
      SHARDCAST_LB_INTER: '200ms',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const settled = await waitFor(
    async () => {
      const s = await serverStates().catch(() => ({}) as Record<string, string>);
      return s.gw1 === 'UP' && s.gw2 === 'UP' && s.gw3 === 'DOWN';
    },
    30_000,
    100,
  );
  assert.ok(settled, 'HAProxy sees gw1 and gw2 up and gw3 down');
});

after(async () => {
  haproxy?.kill('SIGTERM');
  for (const b of backends) b.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the streams spread over both nodes (the test can tell nodes apart)', async () => {
  const nodes = new Set(await Promise.all(hashes.map((h) => nodeOf(`/ace/getstream?infohash=${h}`))));
  assert.deepEqual([...nodes].sort(), ['gw1', 'gw2']);
});

test('an empty id beside an infohash hashes like the infohash alone (the gateway ignores the empty id)', async () => {
  for (const h of hashes) {
    const plain = await nodeOf(`/ace/getstream?infohash=${h}`);
    assert.equal(await nodeOf(`/ace/getstream?id=&infohash=${h}`), plain, `?id=&infohash=${h}`);
    assert.equal(await nodeOf(`/ace/manifest.m3u8?infohash=${h.toUpperCase()}`), plain, `upper case ${h}`);
    assert.equal(await nodeOf(`/ace/hls/ih-${h}/1.ts`), plain, `segments of ih-${h}`);
  }
});

test("one stream's API (GET and DELETE /api/v1/streams/<stream>) reaches the node of that stream", async () => {
  for (const h of hashes) {
    assert.equal(await nodeOf(`/api/v1/streams/${h}`), await nodeOf(`/ace/getstream?id=${h}`), `id ${h}`);
    assert.equal(
      await nodeOf(`/api/v1/streams/ih-${h}`),
      await nodeOf(`/ace/getstream?infohash=${h}`),
      `infohash ${h}`,
    );
  }
});
