/**
 * Many shards on few CPUs. Every shard boots at once and spends ~0.5 s of CPU loading its code, so 40
 * shards pinned to one CPU need ~20 s on this class of machine before the first is ready. The start-up
 * deadline grows with shards per CPU (supervisor.ts, readyDeadlineMs); a fixed 15 s refused this
 * configuration with "Shard N did not become ready within 15 s.". In the e2e tier because it pins a
 * gateway to one CPU for half a minute.
 * Run: node scripts/test.mjs e2e many-shards
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { getJson, startGateway, waitFor } from '../test/support/gateway-proc.js';
import { readTs } from '../test/support/ts-reader.js';

const SHARDS = 40;
const STREAM = '5a3e1f0c8b7d6e4a2c9f0b1d3e5a7c9e1f2b4d6a';

test(`${SHARDS} shards pinned to one CPU start, play and stop cleanly`, async () => {
  const gw = await startGateway(['--shards', String(SHARDS)], {}, 'ready', {
    wrapper: ['taskset', '-c', '0'],
    readyTimeoutMs: 600_000,
  });
  let stopped = false;
  try {
    // Just after start-up the shards are still settling (first statistics, JIT on one CPU): /ready may
    // say so for a few seconds, then turns ready.
    let ready = await getJson(`${gw.url}/ready`);
    assert.deepEqual(ready.body.shards, { ready: SHARDS, total: SHARDS });
    const settled = await waitFor(
      async () => {
        ready = await getJson(`${gw.url}/ready`);
        return ready.status === 200;
      },
      120_000,
      500,
    );
    assert.ok(settled, JSON.stringify(ready.body));
    const read = await readTs(`${gw.url}/ace/getstream?id=${STREAM}`, 3000);
    assert.equal(read.status, 200);
    assert.ok(read.bytes.length > 0, 'the stream played');
    const r = await gw.stop();
    stopped = true;
    assert.equal(r.code, 0);
  } finally {
    if (!stopped) await gw.stop();
  }
});
