// The upstream dies mid-stream with two engines configured → the stream continues from the other
// engine; clients keep their sockets.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

const MEDIA_BYTES = 256 * 1024;
const DEADLINE_MS = 30_000;

let a: EngineSim;
let b: EngineSim;
let gw: GatewayProc;

before(async () => {
  a = await startEngineSim({ port: 0 });
  b = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', a.url, '--engine', b.url, '--shards', '2', '--failover-after', '2']);
});
after(async () => {
  await gw?.stop();
  await a?.close();
  await b?.close();
});

test('a dead engine is replaced by the other one while clients keep playing', async () => {
  const id = 'e'.repeat(40);
  const url = `${gw.url}/ace/getstream?id=${id}`;
  const clients = [openTs(url), openTs(url), openTs(url)];
  for (const c of clients) assert.ok(await c.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'clients play');
  const first = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
  const [dying, other] = first.engine.url === a.url ? [a, b] : [b, a];
  // The engine process goes away: its connections drop and new connections are refused.
  await dying.close();
  let now: any = null;
  const moved = await waitFor(async () => {
    now = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
    return now?.engine?.url === other.url;
  }, DEADLINE_MS);
  assert.ok(moved, 'the stream moved to the other engine');
  // Media keeps flowing to the same sockets after the switch.
  for (const c of clients) {
    assert.ok(await c.waitBytes(c.received() + MEDIA_BYTES, DEADLINE_MS), 'media after the failover');
  }
  const results = await Promise.all(clients.map((c) => c.close()));
  now = (await getJson(`${gw.url}/api/v1/streams/${id}`)).body;
  assert.equal(other.stats().sessionsStarted, 1, 'the other engine took the stream');
  assert.equal(now.failovers, 1);
  assert.ok(now.generation >= 1, 'the ring moved to a new generation');
  for (const r of results) {
    assert.equal(r.status, 200);
    assert.equal(r.closedByServer, false, 'clients kept their sockets');
    const c = checkTs(r.bytes);
    assert.equal(c.syncErrors, 0, 'never spliced mid-packet');
    // Counters restart with the new upstream: at most one break per PID, at the switch.
    assert.ok(
      c.ccErrors <= c.pids,
      `continuity breaks only at the switch (${c.ccErrors} for ${c.pids} PIDs)`,
    );
    // The switch is flagged (discontinuity_indicator), at least on the PCR PID, and only there: engine-sim
    // sets none, so every flag is the gateway's, at most one per PID.
    assert.ok(
      c.discontinuityFlags >= 1 && c.discontinuityFlags <= c.pids,
      `${c.discontinuityFlags} flagged packets for ${c.pids} PIDs`,
    );
  }
});

test('a drained engine that still runs has the moved stream’s session stopped; clients keep playing', async () => {
  const key = 'drain-key';
  const c = await startEngineSim({ port: 0 });
  const d = await startEngineSim({ port: 0 });
  const g = await startGateway(['--engine', c.url, '--engine', d.url, '--shards', '2', '--api-key', key]);
  try {
    const id = 'd'.repeat(40);
    const client = openTs(`${g.url}/ace/getstream?id=${id}`);
    assert.ok(await client.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'the client plays');
    const first = (await getJson(`${g.url}/api/v1/streams/${id}`)).body;
    const [drained, other] = first.engine.url === c.url ? [c, d] : [d, c];
    const r = await getJson(`${g.url}/api/v1/engines/${encodeURIComponent(first.engine.id)}/drain`, {
      method: 'POST',
      headers: { 'x-api-key': key },
    });
    assert.equal(r.status, 202);
    const moved = await waitFor(
      async () => (await getJson(`${g.url}/api/v1/streams/${id}`)).body?.engine?.url === other.url,
      DEADLINE_MS,
    );
    assert.ok(moved, 'the stream moved to the other engine');
    assert.ok(await client.waitBytes(client.received() + MEDIA_BYTES, DEADLINE_MS), 'media after the move');
    // The drained engine keeps running: the session the stream left there is stopped, not abandoned.
    assert.ok(
      await waitFor(() => drained.stats().sessionsStopped === 1, DEADLINE_MS),
      'the session on the drained engine was stopped',
    );
    assert.equal(drained.stats().sessionsActive, 0);
    const read = await client.close();
    assert.equal(read.closedByServer, false, 'the client kept its socket');
  } finally {
    await g.stop();
    await c.close();
    await d.close();
  }
});

test('a new stream placed on an engine that refuses connections moves to the other at its first refusal', async () => {
  const dead = await startEngineSim({ port: 0 });
  const live = await startEngineSim({ port: 0 });
  // Default --failover-after (3): a playing stream retries its engine; a stream not yet playing does not.
  const g = await startGateway(['--engine', dead.url, '--engine', live.url, '--shards', '2']);
  try {
    // Gone, but its health probes need three failures (10 s or more) to mark it unhealthy: until then new
    // streams are still placed on it, half of them here (fewest streams first).
    await dead.close();
    const ids = Array.from({ length: 6 }, (_, i) => String(i + 1).repeat(40));
    const clients = ids.map((id) => openTs(`${g.url}/ace/getstream?id=${id}`));
    for (const c of clients) assert.ok(await c.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'every stream plays');
    await Promise.all(clients.map((c) => c.close()));
    const failed = new Map<string, number>();
    for (const rec of g.logs) {
      if (rec.msg === 'upstream failed' && rec.engine === dead.url) {
        const stream = String(rec.stream);
        failed.set(stream, (failed.get(stream) ?? 0) + 1);
      }
    }
    assert.ok(failed.size > 0, 'some streams were placed on the dead engine (the test would prove nothing)');
    for (const [stream, n] of failed) assert.equal(n, 1, `attempts of ${stream} on the refusing engine`);
    assert.equal(live.stats().sessionsStarted, ids.length, 'every stream plays on the live engine');
  } finally {
    await g.stop();
    await live.close();
  }
});
