// Limits answer 503 with Retry-After and a JSON error, and never cost another viewer its stream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

/** Enough bytes to know a client is being served (PAT, PMT and the start of a GOP). */
const SERVED_BYTES = 64 * 1024;
const DEADLINE_MS = 20_000;

let sim: EngineSim;
before(async () => {
  sim = await startEngineSim({ port: 0 });
});
after(async () => {
  await sim?.close();
});

describe('stream limit', () => {
  let gw: GatewayProc;
  before(async () => {
    gw = await startGateway(['--engine', sim.url, '--shards', '1', '--max-streams', '1']);
  });
  after(() => gw?.stop());

  test('a second stream is refused with 503 + Retry-After while the first keeps playing', async () => {
    const first = openTs(`${gw.url}/ace/getstream?id=${'3'.repeat(40)}`);
    assert.ok(await first.waitBytes(SERVED_BYTES, DEADLINE_MS), 'the first stream plays');
    const second = await getJson(`${gw.url}/ace/getstream?id=${'4'.repeat(40)}`);
    assert.equal(second.status, 503);
    assert.equal(second.headers.get('retry-after'), '5');
    assert.equal(second.body.error.code, 'SC_ERR_STREAM_LIMIT');
    // The refusal cost the first viewer nothing: it keeps receiving valid TS.
    const more = first.received() + SERVED_BYTES;
    assert.ok(await first.waitBytes(more, DEADLINE_MS), 'the first stream keeps playing');
    const r = await first.close();
    assert.equal(r.status, 200);
    assert.equal(r.closedByServer, false);
    assert.equal(checkTs(r.bytes).ccErrors, 0);
  });
});

describe('client limits', () => {
  let gw: GatewayProc;
  before(async () => {
    gw = await startGateway([
      '--engine',
      sim.url,
      '--shards',
      '1',
      '--max-clients-per-stream',
      '2',
      '--max-clients',
      '3',
    ]);
  });
  after(() => gw?.stop());

  test('clients beyond the per-stream cap get 503 SC_ERR_STREAM_CLIENT_LIMIT', async () => {
    const url = `${gw.url}/ace/getstream?id=${'5'.repeat(40)}`;
    const clients = [openTs(url), openTs(url)];
    for (const c of clients) assert.ok(await c.waitBytes(SERVED_BYTES, DEADLINE_MS), 'both clients play');
    const c = await getJson(url);
    assert.equal(c.status, 503);
    assert.equal(c.body.error.code, 'SC_ERR_STREAM_CLIENT_LIMIT');
    assert.ok(c.headers.get('retry-after'));
    for (const r of await Promise.all(clients.map((x) => x.close()))) {
      assert.equal(r.status, 200);
      assert.equal(r.closedByServer, false);
    }
  });

  test('clients beyond the shard cap get 503 SC_ERR_CLIENT_LIMIT', async () => {
    // The previous test's clients must be gone first (the shard counts them until it sees the close).
    assert.ok(
      await waitFor(
        async () =>
          (await getJson(`${gw.url}/api/v1/streams`)).body.streams.every((s: any) => s.clients.ts === 0),
        DEADLINE_MS,
      ),
    );
    const clients = ['6', '7', '8'].map((d) => openTs(`${gw.url}/ace/getstream?id=${d.repeat(40)}`));
    for (const c of clients) assert.ok(await c.waitBytes(SERVED_BYTES, DEADLINE_MS), 'three clients play');
    const d = await getJson(`${gw.url}/ace/getstream?id=${'9'.repeat(40)}`);
    assert.equal(d.status, 503);
    assert.equal(d.body.error.code, 'SC_ERR_CLIENT_LIMIT');
    for (const r of await Promise.all(clients.map((x) => x.close()))) {
      assert.equal(r.status, 200);
      assert.equal(r.closedByServer, false);
    }
  });
});

describe('engine failures reach the player as JSON errors', () => {
  let bad: EngineSim;
  let gw: GatewayProc;
  before(async () => {
    bad = await startEngineSim({ port: 0, faults: { startError: 'content not found' } });
    gw = await startGateway(['--engine', bad.url, '--shards', '1', '--failover-after', '1']);
  });
  after(async () => {
    await gw?.stop();
    await bad?.close();
  });

  test('an engine that refuses the content gives 502 SC_ERR_UPSTREAM_FAILED quickly', async () => {
    const t0 = Date.now();
    const r = await getJson(`${gw.url}/ace/getstream?id=${'a1'.repeat(20)}`);
    assert.equal(r.status, 502);
    assert.equal(r.body.error.code, 'SC_ERR_UPSTREAM_FAILED');
    assert.ok(Date.now() - t0 < 10_000, 'no wait for the open deadline');
    const list = await getJson(`${gw.url}/api/v1/streams`);
    assert.equal(list.body.streams.length, 0, 'the failed stream is gone');
  });
});
