// Failures are recorded as failures, never swallowed into successes. An engine that refuses
// every session (`startError`) makes engine_session_start, stream_open and mpegts_client_join show
// failures and a success_rate below 1, in /metrics/performance and in the Prometheus histograms.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { parseExposition, sumOf } from './support/exposition.js';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';

let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0, faults: { startError: 'content unavailable' } });
  gw = await startGateway(['--engine', sim.url, '--shards', '1', '--open-timeout-seconds', '2']);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

test('a refused stream lowers success_rate of engine_session_start, stream_open and mpegts_client_join', async () => {
  const r = await getJson(`${gw.url}/ace/getstream?id=${'2'.repeat(40)}`);
  assert.ok(r.status >= 500, `the client got an error (${r.status})`);
  let ops: any = null;
  assert.ok(
    await waitFor(async () => {
      ops = (await getJson(`${gw.url}/metrics/performance?window=60`)).body.operations;
      return ops.stream_open.count >= 1 && ops.mpegts_client_join.count >= 1;
    }, 5000),
    'the failures were shipped to main',
  );
  assert.ok(ops.engine_session_start.count >= 1);
  assert.equal(ops.engine_session_start.success_rate, 0);
  assert.equal(ops.engine_session_start.p50_ms, null, 'failed durations are not latency figures');
  assert.equal(ops.stream_open.success_rate, 0);
  assert.equal(ops.mpegts_client_join.success_rate, 0);

  const e = parseExposition(await (await fetch(`${gw.url}/metrics`)).text());
  const count = (operation: string, outcome: string) =>
    sumOf(e, 'shardcast_operation_duration_seconds_count', { operation, outcome });
  assert.ok(count('engine_session_start', 'error') >= 1);
  assert.equal(count('engine_session_start', 'success'), 0);
  assert.equal(count('stream_open', 'error'), 1);
  assert.equal(sumOf(e, 'shardcast_stream_open_failures_total'), 1);
  // The owner gives up (reason error) or the open deadline passes first (failed_to_start).
  const closed =
    sumOf(e, 'shardcast_streams_closed_total', { reason: 'error' }) +
    sumOf(e, 'shardcast_streams_closed_total', { reason: 'failed_to_start' });
  assert.equal(closed, 1);
});
