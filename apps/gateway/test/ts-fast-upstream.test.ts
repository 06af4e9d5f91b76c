// An upstream that delivers faster than real time (an unpaced source, a long burst) is read no faster than
// the slowest client still reading can take it, instead of lapping every client; a stuck client does not
// hold the others back; a real-time upstream is never held (the other TS tests run at real time).
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

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
  const readers = [1, 2, 3].map(() => openTs(`${gw.url}/ace/getstream?id=${id}`));
  const slowest = (): number => Math.min(...readers.map((r) => r.received()));
  // Far faster than real time (~0.14 MB/s): each client gets 20 MB, however busy this machine is.
  assert.ok(await waitFor(() => slowest() > 20 * 1024 * 1024, 60_000), `clients got ${slowest()} bytes`);
  // One moment: the API figure was reported before its answer arrived, and the clients' counts, read right
  // after the answer, can only have grown since; so ingest ≤ slowest + ring must hold between them.
  const api = await getJson(`${gw.url}/api/v1/streams/${id}`);
  const slowestClient = slowest();
  const reads = await Promise.all(readers.map((r) => r.close()));
  assert.equal(api.status, 200, JSON.stringify(api.body));
  const s = api.body;
  // With nobody reading, an unpaced stream is braked to real time; close it anyway, it is done.
  const closed = await getJson(`${gw.url}/api/v1/streams/${id}`, {
    method: 'DELETE',
    headers: { 'x-api-key': KEY },
  });
  assert.equal(closed.status, 200, JSON.stringify(closed.body));
  for (const r of reads) {
    assert.equal(r.closedByServer, false);
    const c = checkTs(r.bytes);
    assert.equal(c.syncErrors, 0);
    assert.equal(c.ccErrors, 0, 'continuous: never lapped, never skipped');
  }
  assert.equal(s.skips, 0);
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
  const fast = openTs(`${gw.url}/ace/getstream?id=${id}`);
  // After the dead client's socket buffers filled it stopped counting as a reader; the fast one went on far
  // faster than the 1.5× real-time floor would allow (30 MB would take over 2 minutes at that pace).
  const got = await waitFor(() => fast.received() > 30 * 1024 * 1024, 60_000);
  const read = await fast.close();
  dead.destroy();
  assert.ok(got, `fast client got ${(read.bytes.length / 1048576).toFixed(0)} MB`);
  let gap = 0;
  for (let i = 1; i < read.arrivals.length; i++)
    gap = Math.max(gap, read.arrivals[i]!.atMs - read.arrivals[i - 1]!.atMs);
  t.diagnostic(`longest gap ${gap} ms`);
  // Held back, the fast client would wait indefinitely; a busy machine can delay a read by a second or two.
  assert.ok(gap < 5000, `longest gap for the fast client ${gap} ms`);
});
