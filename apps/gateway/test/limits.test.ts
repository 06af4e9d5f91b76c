// Limits answer 503 with Retry-After and a JSON error, and never cost another viewer its stream.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway } from './support/gateway-proc.js';
import { checkTs, readTs } from './support/ts-reader.js';

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
    const first = readTs(`${gw.url}/ace/getstream?id=${'3'.repeat(40)}`, 3000);
    await new Promise((r) => setTimeout(r, 1200));
    const second = await getJson(`${gw.url}/ace/getstream?id=${'4'.repeat(40)}`);
    assert.equal(second.status, 503);
    assert.equal(second.headers.get('retry-after'), '5');
    assert.equal(second.body.error.code, 'SC_ERR_STREAM_LIMIT');
    const r = await first;
    assert.equal(r.status, 200);
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
    const a = readTs(url, 3000);
    const b = readTs(url, 3000);
    await new Promise((r) => setTimeout(r, 1500));
    const c = await getJson(url);
    assert.equal(c.status, 503);
    assert.equal(c.body.error.code, 'SC_ERR_STREAM_CLIENT_LIMIT');
    assert.ok(c.headers.get('retry-after'));
    for (const r of await Promise.all([a, b])) assert.equal(r.status, 200);
  });

  test('clients beyond the shard cap get 503 SC_ERR_CLIENT_LIMIT', async () => {
    const reads = ['6', '7', '8'].map((d) => readTs(`${gw.url}/ace/getstream?id=${d.repeat(40)}`, 3000));
    await new Promise((r) => setTimeout(r, 1500));
    const d = await getJson(`${gw.url}/ace/getstream?id=${'9'.repeat(40)}`);
    assert.equal(d.status, 503);
    assert.equal(d.body.error.code, 'SC_ERR_CLIENT_LIMIT');
    for (const r of await Promise.all(reads)) assert.equal(r.status, 200);
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
