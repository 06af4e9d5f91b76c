// An upstream that delivers faster than real time (an unpaced source, a long burst) is read no faster than
// the slowest client still reading can take it, instead of lapping every client; a stuck client does not
// hold the others back; a real-time upstream is never held (the other TS tests run at real time).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway } from './support/gateway-proc.js';
import { checkTs, readTs } from './support/ts-reader.js';

const RING_MB = 16;
const KEY = 'fast-upstream-test-key';
let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0, rate: 'max' });
  gw = await startGateway([
    '--engine',
    sim.url,
    '--shards',
    '2',
    '--ring-mb',
    String(RING_MB),
    '--client-lag-seconds',
    '600',
    // The counters are read after the clients left: keep the stream however slow this machine is.
    '--grace-seconds',
    '60',
    '--api-key',
    KEY,
  ]);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

test('an unpaced upstream is paced to its clients: no laps, ingest close to what clients read', async () => {
  const id = 'fa'.repeat(20);
  const reads = await Promise.all([1, 2, 3].map(() => readTs(`${gw.url}/ace/getstream?id=${id}`, 5000)));
  const api = await getJson(`${gw.url}/api/v1/streams/${id}`);
  assert.equal(api.status, 200, JSON.stringify(api.body));
  const s = api.body;
  // An unpaced stream nobody reads would run at full speed through the next test: close it now.
  const closed = await getJson(`${gw.url}/api/v1/streams/${id}`, {
    method: 'DELETE',
    headers: { 'x-api-key': KEY },
  });
  assert.equal(closed.status, 200, JSON.stringify(closed.body));
  const slowestClient = Math.min(...reads.map((r) => r.bytes.length));
  for (const r of reads) {
    const c = checkTs(r.bytes);
    assert.equal(c.syncErrors, 0);
    assert.equal(c.ccErrors, 0, 'continuous: never lapped, never skipped');
  }
  assert.equal(s.skips, 0);
  assert.ok(
    slowestClient > 20 * 1024 * 1024,
    `clients read fast (${(slowestClient / 1048576).toFixed(0)} MB in 5 s)`,
  );
  // Unpaced, the engine could push far more; the gateway read at most a ring ahead of its slowest client.
  const ringBytes = RING_MB * 1024 * 1024;
  assert.ok(
    s.bytes_in <= slowestClient + ringBytes * 1.1,
    `ingest ${(s.bytes_in / 1048576).toFixed(1)} MB vs slowest client ${(slowestClient / 1048576).toFixed(1)} MB + ring`,
  );
});

test('a client that stops reading does not hold the others back', async (t) => {
  const id = 'fb'.repeat(20);
  const dead = await new Promise<Socket>((resolve) => {
    const s = connect({ port: gw.port, host: '127.0.0.1' }, () => {
      s.write(`GET /ace/getstream?id=${id} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      s.pause();
      resolve(s);
    });
    s.on('error', () => {});
  });
  const fast = await readTs(`${gw.url}/ace/getstream?id=${id}`, 6000);
  dead.destroy();
  // After the dead client's socket buffers filled it stopped counting as a reader; the fast one went on.
  assert.ok(
    fast.bytes.length > 30 * 1024 * 1024,
    `fast client got ${(fast.bytes.length / 1048576).toFixed(0)} MB`,
  );
  let gap = 0;
  for (let i = 1; i < fast.arrivals.length; i++)
    gap = Math.max(gap, fast.arrivals[i]!.atMs - fast.arrivals[i - 1]!.atMs);
  t.diagnostic(`longest gap ${gap} ms`);
  assert.ok(gap < 2000, `longest gap for the fast client ${gap} ms`);
});
