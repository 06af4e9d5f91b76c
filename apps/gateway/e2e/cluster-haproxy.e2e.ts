/**
 * A cluster on loopback: three gateway processes behind Debian's HAProxy running the shipped
 * docker/haproxy.cfg (plus a stats listener the test reads), one shared engine-sim. Proves that hashing on
 * the stream key pulls every stream once cluster-wide, that a playlist and its segments come from one
 * node, that SIGKILL of a node moves only that node's streams, and that a returning node gets its streams'
 * new viewers back without moving anything else.
 * Run: eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e cluster
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { Agent } from 'undici';
import { freePort } from '../test/support/free-port.js';
import { type GatewayProc, getJson, startGateway, waitFor } from '../test/support/gateway-proc.js';
import { fetchPlaylist, fetchSegment } from '../test/support/hls-tools.js';
import { checkTs, type LiveTs, openTs } from '../test/support/ts-reader.js';
import { HAPROXY_CFG, type Haproxy, lbFetch, startHaproxy } from './haproxy-support.js';

const NODES = ['gw1', 'gw2', 'gw3'] as const;
const STREAMS = 40;
const TS_PER_STREAM = 10;
const HLS_PER_STREAM = 5;
/** The gateways' open deadline; a reconnecting player must play again within it. */
const OPEN_DEADLINE_S = 20;
/** Bytes that prove a TS client is playing (about a third of a second of the simulator's stream). */
const PLAYING_BYTES = 50_000;
const GATEWAY_ARGS = [
  '--trusted-proxies',
  '127.0.0.1',
  '--shards',
  '1',
  '--grace-seconds',
  '5',
  '--open-timeout-seconds',
  String(OPEN_DEADLINE_S),
];

const ids = Array.from({ length: STREAMS }, (_, i) =>
  createHash('sha1').update(`cluster-${i}`).digest('hex'),
);

let sim: EngineSim;
let haproxy: Haproxy | null = null;
let lb = '';
const ports: number[] = [];
const gateways: Array<GatewayProc | null> = [null, null, null];
const clients: Array<{ id: string; node: string; ts: LiveTs }> = [];

function startNode(i: number): Promise<GatewayProc> {
  return startGateway(['--port', String(ports[i]), '--engine', sim.url, ...GATEWAY_ARGS]);
}

async function allUp(wanted: readonly string[]): Promise<boolean> {
  const s = (await haproxy?.serverStates().catch(() => null)) ?? {};
  return wanted.every((n) => s[n] === 'UP');
}

/** Opens a TS client through HAProxy; resolves once it plays, with the node that answered. */
async function openViewer(id: string): Promise<{ id: string; node: string; ts: LiveTs }> {
  const ts = openTs(`${lb}/ace/getstream?id=${id}`);
  const res = await ts.response;
  assert.equal(res.status, 200, `viewer of ${id}`);
  const node = String(res.headers['x-shardcast-node'] ?? '');
  assert.ok(NODES.includes(node as (typeof NODES)[number]), `X-Shardcast-Node "${node}"`);
  return { id, node, ts };
}

/** The content ids whose engine sessions the simulator holds, with their session ids. */
function simSessions(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const s of sim.stats().sessions) {
    if (!s.contentId) continue;
    m.set(s.contentId, [...(m.get(s.contentId) ?? []), s.id].sort());
  }
  return m;
}

before(async () => {
  sim = await startEngineSim({ port: 0 });
  for (let i = 0; i < NODES.length; i++) ports.push(await freePort());
  for (let i = 0; i < NODES.length; i++) gateways[i] = await startNode(i);
  haproxy = await startHaproxy(
    [`127.0.0.1:${ports[0]}`, `127.0.0.1:${ports[1]}`, `127.0.0.1:${ports[2]}`],
    '300ms',
  );
  lb = haproxy.url;
  assert.ok(await waitFor(() => allUp(NODES), 30_000, 200), 'HAProxy sees every gateway up');
});

after(async () => {
  await Promise.all(clients.map((c) => c.ts.close()));
  haproxy?.stop();
  await Promise.all(gateways.map((g) => g?.stop()));
  await sim?.close();
});

test('haproxy.cfg is valid as shipped', async () => {
  const r = spawn('haproxy', ['-c', '-f', HAPROXY_CFG], { stdio: 'ignore' });
  const code = await new Promise<number | null>((resolve) => r.once('close', resolve));
  assert.equal(code, 0);
});

test('40 streams x 10 TS clients and 5 HLS players: one engine session per stream cluster-wide', async (t) => {
  const opened = await Promise.all(
    ids.flatMap((id) => Array.from({ length: TS_PER_STREAM }, () => openViewer(id))),
  );
  clients.push(...opened);
  const playing = await Promise.all(clients.map((c) => c.ts.waitBytes(PLAYING_BYTES, 60_000)));
  assert.ok(
    playing.every(Boolean),
    `${playing.filter((p) => !p).length} of ${clients.length} TS clients got no media`,
  );

  // HLS players: each follows its multivariant answer, reloads its media playlist and fetches the newest
  // segment, twice; every answer names the node that gave it.
  const hlsNodes = new Map<string, Set<string>>();
  const note = (id: string, node: string | null): void => {
    const s = hlsNodes.get(id) ?? new Set<string>();
    s.add(node ?? '');
    hlsNodes.set(id, s);
  };
  const players = ids.flatMap((id) =>
    Array.from({ length: HLS_PER_STREAM }, async () => {
      const dispatcher = new Agent({ connections: 1 });
      try {
        let got = 0;
        const seen = new Set<string>();
        const end = Date.now() + 60_000;
        while (got < 2 && Date.now() < end) {
          const p = await fetchPlaylist(`${lb}/ace/manifest.m3u8?id=${id}`, { dispatcher }, lbFetch);
          note(id, p.headers.get('x-shardcast-node'));
          const seg = p.playlist?.segments.at(-1);
          if (seg && !seen.has(seg.uri)) {
            seen.add(seg.uri);
            const s = await fetchSegment(seg.uri, { dispatcher }, lbFetch);
            note(id, s.headers.get('x-shardcast-node'));
            if (s.status === 200 && s.ts.packets > 0) got++;
          } else await new Promise((r) => setTimeout(r, 500));
        }
        return got;
      } finally {
        await dispatcher.close();
      }
    }),
  );
  const segments = await Promise.all(players);
  assert.ok(
    segments.every((n) => n === 2),
    `HLS players short of segments: ${segments.filter((n) => n < 2).length}`,
  );

  t.diagnostic(`engine sessions for ${STREAMS} streams: ${sim.stats().sessionsStarted}`);
  // Every answer of a stream, TS or HLS, came from one node.
  const nodeOf = new Map<string, string>();
  for (const c of clients) {
    const had = nodeOf.get(c.id);
    assert.ok(had === undefined || had === c.node, `TS viewers of ${c.id} on ${had} and ${c.node}`);
    nodeOf.set(c.id, c.node);
  }
  for (const [id, nodes] of hlsNodes) assert.deepEqual([...nodes], [nodeOf.get(id)], `HLS answers of ${id}`);
  // Exactly one engine session per stream in the whole cluster, and each node holds its own streams only.
  assert.equal(sim.stats().sessionsStarted, STREAMS);
  for (let i = 0; i < NODES.length; i++) {
    const { body } = await getJson(`${gateways[i]!.url}/api/v1/streams`);
    const held = (body.streams as Array<{ stream: string }>).map((s) => s.stream).sort();
    const expected = ids.filter((id) => nodeOf.get(id) === NODES[i]).sort();
    assert.deepEqual(held, expected, `streams of ${NODES[i]}`);
  }
  const spread = NODES.map((n) => ids.filter((id) => nodeOf.get(id) === n).length);
  t.diagnostic(`streams per node: ${spread.join(' / ')}`);
});

test('SIGKILL of a node: its players reconnect and play; the other nodes are untouched; it comes back', async (t) => {
  const nodeOf = new Map(clients.map((c) => [c.id, c.node]));
  const counts = NODES.map((n) => ids.filter((id) => nodeOf.get(id) === n).length);
  const victim = counts.indexOf(Math.max(...counts));
  const victimName = NODES[victim]!;
  const moved = ids.filter((id) => nodeOf.get(id) === victimName);
  const kept = ids.filter((id) => nodeOf.get(id) !== victimName);
  const keptClients = clients.filter((c) => c.node !== victimName);
  const sessionsBefore = simSessions();

  gateways[victim]!.proc.kill('SIGKILL');
  await gateways[victim]!.stop();
  gateways[victim] = null;

  // Its players see their connection end and reconnect through HAProxy, which sends them to the next
  // node on the hash ring: they play again within the open deadline.
  const victimClients = clients.filter((c) => c.node === victimName);
  for (const c of victimClients) {
    // Resolves as soon as the connection ends (HAProxy passes the node's death on to the player).
    await c.ts.waitBytes(Number.MAX_SAFE_INTEGER, 30_000);
    const r = await c.ts.close();
    assert.ok(r.closedByServer, 'the killed node ended its viewers');
  }
  const again = await Promise.all(
    moved.flatMap((id) => Array.from({ length: TS_PER_STREAM }, () => openViewer(id))),
  );
  const t0 = Date.now();
  const replayed = await Promise.all(
    again.map((c) => c.ts.waitBytes(PLAYING_BYTES, (OPEN_DEADLINE_S + 10) * 1000)),
  );
  assert.ok(replayed.every(Boolean), `${replayed.filter((p) => !p).length} reconnected viewers got no media`);
  t.diagnostic(
    `${again.length} viewers of ${moved.length} streams played again ${Date.now() - t0} ms after reconnecting`,
  );
  for (const c of again) assert.notEqual(c.node, victimName);
  for (let i = 0; i < clients.length; i++) if (clients[i]!.node === victimName) clients.splice(i--, 1);
  clients.push(...again);

  // The other nodes: every viewer still connected and receiving, and the same engine session per stream.
  const still = await Promise.all(
    keptClients.map((c) => c.ts.waitBytes(c.ts.received() + PLAYING_BYTES, 20_000)),
  );
  assert.ok(still.every(Boolean), `${still.filter((s) => !s).length} viewers of surviving nodes stopped`);
  const sessionsAfter = simSessions();
  for (const id of kept)
    assert.deepEqual(sessionsAfter.get(id), sessionsBefore.get(id), `engine session of ${id}`);
  assert.equal(sim.stats().sessionsStarted, STREAMS + moved.length, 'only the moved streams opened again');

  // The node returns: new viewers of its streams go back to it; other streams' viewers stay where they are.
  gateways[victim] = await startNode(victim);
  assert.ok(await waitFor(() => allUp(NODES), 30_000, 200), 'HAProxy sees the node up again');
  const returning = await Promise.all(moved.map((id) => openViewer(id)));
  for (const c of returning) assert.equal(c.node, victimName, `new viewer of ${c.id}`);
  const others = await Promise.all(kept.map((id) => openViewer(id)));
  for (const c of others) assert.equal(c.node, nodeOf.get(c.id), `new viewer of ${c.id}`);
  clients.push(...returning, ...others);
  const fresh = await Promise.all(
    [...returning, ...others].map((c) => c.ts.waitBytes(PLAYING_BYTES, 60_000)),
  );
  assert.ok(fresh.every(Boolean), 'new viewers play');
  const kept2 = await Promise.all(
    keptClients.map((c) => c.ts.waitBytes(c.ts.received() + PLAYING_BYTES, 20_000)),
  );
  assert.ok(kept2.every(Boolean), 'viewers of the other nodes never stopped');
  for (const id of kept)
    assert.deepEqual(simSessions().get(id), sessionsBefore.get(id), `engine session of ${id}`);
  const sample = await keptClients[0]!.ts.close();
  assert.equal(sample.closedByServer, false);
  assert.equal(checkTs(sample.bytes).ccErrors, 0, 'a surviving viewer saw one continuous stream');
  clients.splice(clients.indexOf(keptClients[0]!), 1);
});

test('a channel, its playlist and its segments hash to one node', async () => {
  // No catalog here: the gateways answer 404, but HAProxy has already picked the node, and says which.
  const nodeOf = async (path: string): Promise<string> => {
    const r = await lbFetch(`${lb}${path}`);
    await r.arrayBuffer();
    return r.headers.get('x-shardcast-node') ?? '';
  };
  const seen = new Set<string>();
  for (let i = 0; i < 24; i++) {
    const id = `sports-${i}`;
    const ts = await nodeOf(`/channel/${id}.ts`);
    assert.ok(NODES.includes(ts as (typeof NODES)[number]), `node of ${id}: "${ts}"`);
    assert.equal(await nodeOf(`/channel/${id}.m3u8?session=abc`), ts, `playlist of ${id}`);
    assert.equal(await nodeOf(`/channel/hls/ch-${id}/17.ts`), ts, `segment of ${id}`);
    seen.add(ts);
  }
  assert.ok(seen.size > 1, 'channels spread over more than one node');
});
