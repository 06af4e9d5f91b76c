/**
 * The shipped docker/haproxy.cfg's stream hashing, checked cheaply: Debian's HAProxy in front of two
 * stand-in backends (plain HTTP servers that answer 200 to everything, /ready included) and a third
 * address nobody listens on. A request the gateway reads as one stream must reach the node of that
 * stream whatever its spelling, or the stream is pulled on two nodes. (The full cluster with real
 * gateways is cluster-haproxy.e2e.ts.)
 * Run: eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e cluster-hash
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { after, before, test } from 'node:test';
import { freePort } from '../test/support/free-port.js';
import { waitFor } from '../test/support/gateway-proc.js';
import { type Haproxy, lbFetch, startHaproxy } from './haproxy-support.js';

const hashes = Array.from({ length: 30 }, (_, i) =>
  createHash('sha1').update(`cluster-hash-${i}`).digest('hex'),
);

let haproxy: Haproxy | null = null;
let lb = '';
const backends: Server[] = [];

/** The node HAProxy sends this request to. */
async function nodeOf(path: string): Promise<string> {
  const r = await lbFetch(`${lb}${path}`);
  await r.arrayBuffer();
  return r.headers.get('x-shardcast-node') ?? '';
}

/** `s` with every character percent-encoded, as a client may legally send it. */
function percentEncoded(s: string): string {
  return [...s].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('');
}

before(async () => {
  const ports: number[] = [];
  for (let i = 0; i < 2; i++) {
    const srv = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    backends.push(srv);
    ports.push((srv.address() as { port: number }).port);
  }
  const nobody = await freePort();
  const lbProc = await startHaproxy(
    [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[1]}`, `127.0.0.1:${nobody}`],
    '200ms',
  );
  haproxy = lbProc;
  lb = lbProc.url;
  const settled = await waitFor(
    async () => {
      const s = await lbProc.serverStates().catch(() => ({}) as Record<string, string>);
      return s.gw1 === 'UP' && s.gw2 === 'UP' && s.gw3 === 'DOWN';
    },
    30_000,
    100,
  );
  assert.ok(settled, 'HAProxy sees gw1 and gw2 up and gw3 down');
});

after(async () => {
  haproxy?.stop();
  for (const b of backends) b.close();
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

test('a percent-encoded id or infohash reaches the node of its plain spelling (the gateway decodes both)', async () => {
  for (const h of hashes) {
    assert.equal(
      await nodeOf(`/ace/getstream?id=${percentEncoded(h)}`),
      await nodeOf(`/ace/getstream?id=${h}`),
      `id ${h}`,
    );
    assert.equal(
      await nodeOf(`/ace/manifest.m3u8?infohash=${percentEncoded(h)}`),
      await nodeOf(`/ace/hls/ih-${h}/1.ts`),
      `infohash ${h}`,
    );
  }
});

test("HAProxy's own answer, with no node up, names HAProxy as the node that gave it", async () => {
  for (const b of backends) b.close();
  const lbProc = haproxy;
  assert.ok(lbProc);
  const down = await waitFor(
    async () => {
      const s = await lbProc.serverStates().catch(() => ({}) as Record<string, string>);
      return s.gw1 === 'DOWN' && s.gw2 === 'DOWN';
    },
    30_000,
    100,
  );
  assert.ok(down, 'HAProxy sees every node down');
  const r = await lbFetch(`${lb}/ace/getstream?id=${hashes[0]}`);
  await r.arrayBuffer();
  assert.equal(r.status, 503);
  assert.equal(r.headers.get('x-shardcast-node'), 'haproxy');
});

test("a node's death moves each stream to one node, whether or not HAProxy has noticed yet", async () => {
  // Three stand-in nodes and checks far apart (5 s), so the first requests after gw1 dies come before any
  // check could notice it. Until the shipped config marked a node down on the first refused connection,
  // a redispatched request skipped the dead node by a rule of its own (the nearer of its two neighbours
  // on the ring), and for some streams that was not the node the ring gives once the node is down: the
  // viewers of one channel reconnecting after a node's death were split over two nodes, each pulling it.
  const servers: Server[] = [];
  const addrs: string[] = [];
  for (let i = 0; i < 3; i++) {
    const srv = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    servers.push(srv);
    addrs.push(`127.0.0.1:${(srv.address() as { port: number }).port}`);
  }
  const lbProc = await startHaproxy(addrs as [string, string, string], '5s');
  try {
    const states = async () => lbProc.serverStates().catch(() => ({}) as Record<string, string>);
    const up = await waitFor(
      async () => Object.values(await states()).filter((s) => s === 'UP').length === 3,
      60_000,
      100,
    );
    assert.ok(up, 'HAProxy sees the three nodes up');
    const via = async (h: string) => {
      const r = await lbFetch(`${lbProc.url}/ace/getstream?id=${h}`);
      await r.arrayBuffer();
      return r.headers.get('x-shardcast-node') ?? '';
    };
    const before = new Map<string, string>();
    for (const h of hashes) before.set(h, await via(h));
    const moved = hashes.filter((h) => before.get(h) === 'gw1');
    assert.ok(moved.length > 0, 'some streams are on gw1');
    // gw1 dies: it refuses connections from now on.
    const dead = servers[0];
    assert.ok(dead);
    dead.closeAllConnections();
    await new Promise((r) => dead.close(r));
    const first = new Map<string, string>();
    for (const h of moved) first.set(h, await via(h));
    const down = await waitFor(async () => (await states()).gw1 === 'DOWN', 60_000, 100);
    assert.ok(down, 'HAProxy marks gw1 down');
    for (const h of moved) {
      const node = await via(h);
      assert.notEqual(node, 'gw1');
      assert.equal(
        first.get(h),
        node,
        `stream ${h}: first request after the death on ${first.get(h)}, later on ${node}`,
      );
    }
  } finally {
    lbProc.stop();
    for (const s of servers) s.close();
  }
});
