// Guessing the admin API key: after 10 wrong keys from one client address within 60 s, that address is
// answered 429 SC_ERR_AUTH_RATE_LIMITED with Retry-After on every route that checks the key (its key is not
// even compared, so the right one is refused too), while the right key from another address still works.
// The address is the one the rest of the gateway uses: behind a --trusted-proxies proxy, X-Forwarded-For.
// The dashboard's live socket counts wrong keys per address too (per shard).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { WebSocket } from 'undici';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';

const KEY = 'admin-auth-limit-key';
const DEADLINE_MS = 15_000;

describe('failed admin authentications are limited per client address', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  before(async () => {
    sim = await startEngineSim({ port: 0 });
    gw = await startGateway(['--engine', sim.url, '--shards', '1', '--trusted-proxies', '127.0.0.0/8'], {
      SHARDCAST_API_KEY: KEY,
    });
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
  });

  const from = (address: string, key?: string): Record<string, string> => ({
    'X-Forwarded-For': address,
    ...(key === undefined ? {} : { 'X-API-Key': key }),
  });

  test('the 11th attempt from a guessing address is 429 with Retry-After; the right key from another address works', async () => {
    const guesser = '203.0.113.7';
    for (let i = 0; i < 10; i++) {
      const r = await getJson(`${gw.url}/api/v1/channels`, { headers: from(guesser, `guess-${i}`) });
      assert.equal(r.status, 401, `guess ${i}`);
      assert.equal(r.body.error.code, 'SC_ERR_UNAUTHORIZED');
    }
    for (const [method, path] of [
      ['GET', '/api/v1/channels'],
      ['DELETE', `/api/v1/streams/${'a'.repeat(40)}`],
      ['POST', '/api/v1/engines/x/drain'],
      ['GET', '/api/v1/live'],
    ] as const) {
      const r = await getJson(`${gw.url}${path}`, { method, headers: from(guesser, KEY) });
      assert.equal(r.status, 429, `${method} ${path}: the right key is not even compared`);
      assert.equal(r.body.error.code, 'SC_ERR_AUTH_RATE_LIMITED');
      assert.equal(r.headers.get('content-type'), 'application/json');
      const wait = Number(r.headers.get('retry-after'));
      assert.ok(Number.isInteger(wait) && wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    }
    const other = await getJson(`${gw.url}/api/v1/channels`, { headers: from('203.0.113.8', KEY) });
    assert.equal(other.status, 200, 'another address with the right key is admitted');
    const free = await getJson(`${gw.url}/api/v1/engines`, { headers: from(guesser) });
    assert.equal(free.status, 200, 'routes without the key are not limited');
  });

  test('the live socket: wrong keys from one address over several sockets end in SC_ERR_AUTH_RATE_LIMITED', async () => {
    const url = `${gw.url.replace('http', 'ws')}/api/v1/live`;
    const replies: any[] = [];
    // Three wrong keys close a socket: the fourth socket's second wrong key is the 11th from 127.0.0.1,
    // refused and closed; the fifth socket's right key is refused the same way.
    for (let s = 0; s < 5; s++) {
      const ws = new WebSocket(url);
      let closed = false;
      ws.addEventListener('message', (e) => {
        const m = JSON.parse(String(e.data));
        if (m.type === 'auth') replies.push(m);
      });
      ws.addEventListener('close', () => {
        closed = true;
      });
      await new Promise<void>((resolve, reject) => {
        ws.addEventListener('open', () => resolve());
        ws.addEventListener('error', () => reject(new Error('socket failed')));
      });
      if (s < 4) for (let i = 0; i < 3; i++) ws.send(JSON.stringify({ auth: `nope-${s}-${i}` }));
      else ws.send(JSON.stringify({ auth: KEY }));
      assert.ok(await waitFor(() => closed, DEADLINE_MS), `socket ${s} is closed`);
    }
    assert.deepEqual(
      replies.map((r) => r.error?.code ?? 'ok'),
      [...Array(10).fill('SC_ERR_UNAUTHORIZED'), 'SC_ERR_AUTH_RATE_LIMITED', 'SC_ERR_AUTH_RATE_LIMITED'],
    );
  });
});
