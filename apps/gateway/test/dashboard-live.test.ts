// /api/v1/live: one snapshot a second over a uWS WebSocket, the same serialized message for every
// socket (built once on main), client addresses and User-Agents only after the API key, the HTTP
// polling fallback, and the origin check of the upgrade.
import assert from 'node:assert/strict';
import { type ClientRequest, request } from 'node:http';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { WebSocket } from 'undici';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';

const KEY = 'dashboard-live-key';
const AGENT = 'dashboard-test-agent/1.0';
const ID = 'cd'.repeat(20);
let sim: EngineSim;
let gw: GatewayProc;
const players: ClientRequest[] = [];

/** A socket that records every message it gets. */
class Recorder {
  readonly ws: WebSocket;
  readonly messages: string[] = [];
  closed = false;
  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.addEventListener('message', (e) => this.messages.push(String(e.data)));
    this.ws.addEventListener('close', () => {
      this.closed = true;
    });
  }
  opened(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.addEventListener('open', () => resolve());
      this.ws.addEventListener('error', () => reject(new Error('socket failed')));
    });
  }
  snapshots(): any[] {
    return this.messages.map((m) => JSON.parse(m)).filter((m) => m.type === 'snapshot');
  }
  last(): any {
    return this.snapshots().at(-1);
  }
  close(): void {
    this.ws.close();
  }
}

/** A TS player that reads and drops the bytes, with a recognizable User-Agent. */
function play(id: string): void {
  const req = request(
    `${gw.url}/ace/getstream?id=${id}`,
    { agent: false, headers: { 'user-agent': AGENT } },
    (res) => res.resume(),
  );
  req.on('error', () => {});
  req.end();
  players.push(req);
}

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '2', '--api-key', KEY]);
});
after(async () => {
  for (const p of players) p.destroy();
  await gw?.stop();
  await sim?.close();
});

test('snapshots arrive once a second, identical for every socket, without client addresses', async () => {
  const wsUrl = `${gw.url.replace('http', 'ws')}/api/v1/live`;
  // Several sockets: the kernel spreads them over both shards.
  const sockets = Array.from({ length: 4 }, () => new Recorder(wsUrl));
  await Promise.all(sockets.map((s) => s.opened()));
  play(ID);
  const watching = (s: Recorder): boolean =>
    s.last()?.streams.some((x: any) => x.stream === ID && x.ts_viewers > 0 && x.bitrate_bits_per_s > 0) ??
    false;
  assert.ok(
    await waitFor(() => sockets.every(watching), 15_000),
    'every socket sees the stream with a viewer',
  );
  const snap = sockets[0]!.last();
  assert.equal(snap.admin, false);
  for (const k of [
    'streams_live',
    'ts_viewers',
    'hls_viewers',
    'engines_healthy',
    'engines_total',
    'shards_total',
  ])
    assert.equal(typeof snap.tiles[k], 'number', k);
  assert.ok('egress_bits_per_s' in snap.tiles && 'loop_lag_ms' in snap.tiles);
  // Docker discovery is off here: no figure rather than a zero.
  assert.equal(snap.tiles.docker_api_calls_per_min, null);
  // Provisioning is off: no desired count rather than a zero.
  assert.equal(snap.tiles.engines_desired, null);
  assert.equal(typeof snap.uptime_s, 'number');
  assert.ok('mpegts_client_join' in snap.latency_p99_ms && 'hls_manifest_generation' in snap.latency_p99_ms);
  const stream = snap.streams.find((x: any) => x.stream === ID);
  assert.equal(stream.state, 'live');
  assert.equal(stream.engine, sim.url);
  assert.equal(stream.clients, undefined);
  assert.ok(snap.engines.some((e: any) => e.url === sim.url && e.healthy === true && e.state === 'ready'));
  assert.ok(snap.events.some((e: any) => e.type === 'stream.opened' && e.stream === ID));
  // One message a second per socket, and the very same bytes on every socket (serialized once on main).
  const at = sockets.map((s) => s.messages.length);
  assert.ok(await waitFor(() => sockets.every((s, i) => s.messages.length >= at[i]! + 3), 10_000));
  const common = sockets[0]!.messages.filter((m) => sockets.every((s) => s.messages.includes(m)));
  assert.ok(common.length >= 3, 'the same snapshot strings reached every socket');
  const times = sockets[0]!.snapshots().map((s) => s.at_ms);
  for (let i = 1; i < times.length; i++)
    assert.ok(times[i] > times[i - 1], 'one snapshot per tick, in order');
  for (const s of sockets) {
    for (const m of s.messages) {
      assert.equal(m.includes(AGENT), false, 'no User-Agent without the key');
      assert.equal(/"address"|"user_agent"|"clients"/.test(m), false, 'no client fields without the key');
    }
    s.close();
  }
});

test('the API key as the first message: a wrong key is refused, the right one adds the clients', async () => {
  const s = new Recorder(`${gw.url.replace('http', 'ws')}/api/v1/live`);
  await s.opened();
  s.ws.send(JSON.stringify({ auth: 'wrong' }));
  const replies = (): any[] => s.messages.map((m) => JSON.parse(m)).filter((m) => m.type === 'auth');
  assert.ok(await waitFor(() => replies().length === 1, 5000));
  assert.deepEqual(replies()[0], { type: 'auth', ok: false, error: { code: 'SC_ERR_UNAUTHORIZED' } });
  s.ws.send(JSON.stringify({ auth: KEY }));
  assert.ok(await waitFor(() => replies().length === 2, 5000));
  assert.equal(replies()[1].ok, true);
  const admin = (): any =>
    s
      .snapshots()
      .find((x) => x.admin && x.streams.some((st: any) => st.stream === ID && st.clients?.total > 0));
  assert.ok(await waitFor(() => admin() !== undefined, 10_000), 'an admin snapshot lists the clients');
  const stream = admin().streams.find((st: any) => st.stream === ID);
  const client = stream.clients.list.find((c: any) => c.user_agent === AGENT);
  assert.ok(client, JSON.stringify(stream.clients));
  assert.match(client.address, /127\.0\.0\.1/);
  assert.equal(typeof client.shard, 'number');
  s.close();
});

test('three wrong keys close the socket', async () => {
  const s = new Recorder(`${gw.url.replace('http', 'ws')}/api/v1/live`);
  await s.opened();
  for (let i = 0; i < 3; i++) s.ws.send(JSON.stringify({ auth: `nope-${i}` }));
  assert.ok(await waitFor(() => s.closed, 5000));
});

test('GET /api/v1/live answers the same snapshot for polling; clients only with the key', async () => {
  const plain = await getJson(`${gw.url}/api/v1/live`);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers.get('cache-control'), 'no-store');
  assert.equal(plain.body.type, 'snapshot');
  assert.equal(plain.body.admin, false);
  assert.equal(JSON.stringify(plain.body).includes(AGENT), false);
  const keyed = await getJson(`${gw.url}/api/v1/live`, { headers: { 'x-api-key': KEY } });
  assert.equal(keyed.body.admin, true);
  assert.ok(JSON.stringify(keyed.body).includes(AGENT));
  const wrong = await getJson(`${gw.url}/api/v1/live`, { headers: { 'x-api-key': 'wrong' } });
  assert.equal(wrong.body.admin, false);
  const history = await getJson(`${gw.url}/api/v1/live/history`);
  assert.equal(history.status, 200);
  assert.equal(history.body.columns[0], 'at_ms');
  assert.ok(history.body.points.length > 0);
  assert.equal(history.body.points[0].length, history.body.columns.length);
  const post = await getJson(`${gw.url}/api/v1/live`, { method: 'DELETE' });
  assert.equal(post.status, 405);
});

test('a page on a foreign origin may not open the socket', async () => {
  const upgrade = (origin: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(`${gw.url}/api/v1/live`, {
        agent: false,
        headers: {
          connection: 'Upgrade',
          upgrade: 'websocket',
          'sec-websocket-version': '13',
          'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
          origin,
        },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode!);
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      req.end();
    });
  assert.equal(await upgrade('http://evil.example'), 403);
  assert.equal(await upgrade(gw.url), 101);
});

test('a graceful stop with dashboards open is clean and closes their sockets', async () => {
  const s = new Recorder(`${gw.url.replace('http', 'ws')}/api/v1/live`);
  await s.opened();
  s.ws.send(JSON.stringify({ auth: KEY }));
  assert.ok(await waitFor(() => s.messages.some((m) => m.includes('"auth"')), 5000));
  const { code } = await gw.stop();
  assert.equal(code, 0, 'every shard stopped cleanly');
  assert.ok(await waitFor(() => s.closed, 5000), 'the socket was closed');
});
