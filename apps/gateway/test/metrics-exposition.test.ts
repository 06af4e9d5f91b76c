// `/metrics` is well-formed exposition text with the gateway's families (naming conventions included),
// rendered from a synthetic control plane of 500 streams and 8 shards' histograms (support/metrics-load.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATIONS } from '../src/operations.js';
import { parseExposition, sumOf } from './support/exposition.js';
import { metricsLoad } from './support/metrics-load.js';

const FAMILIES = [
  'shardcast_streams',
  'shardcast_streams_opened_total',
  'shardcast_streams_closed_total',
  'shardcast_stream_failovers_total',
  'shardcast_stream_open_failures_total',
  'shardcast_clients',
  'shardcast_upstream_received_bytes_total',
  'shardcast_client_sent_bytes_total',
  'shardcast_upstream_reconnects_total',
  'shardcast_client_skips_total',
  'shardcast_client_drops_total',
  'shardcast_null_packets_sent_total',
  'shardcast_hls_segments_produced_total',
  'shardcast_hls_segments_served_total',
  'shardcast_shard_event_loop_lag_seconds',
  'shardcast_shard_event_loop_utilization_ratio',
  'shardcast_shard_restarts_total',
  'shardcast_engine_healthy',
  'shardcast_engine_streams',
  'shardcast_engine_cpu_ratio',
  'shardcast_engine_memory_bytes',
  'shardcast_engine_network_receive_bytes_per_second',
  'shardcast_engine_network_transmit_bytes_per_second',
  'shardcast_docker_api_calls_total',
  'shardcast_docker_api_throttled_total',
  'shardcast_docker_api_errors_total',
  'shardcast_stream_engine_peers',
  'shardcast_stream_engine_download_bytes_per_second',
  'shardcast_stream_media_info',
  'shardcast_probe_jobs_total',
  'shardcast_orchestrator_events_overflow_total',
  'shardcast_operation_duration_seconds',
  'process_cpu_user_seconds_total',
  'nodejs_eventloop_lag_seconds',
];

test('500 streams, 8 shards: well-formed text, every family, conventions kept', async () => {
  const load = metricsLoad({ streams: 500, shards: 8, engines: 20, seconds: 5, samplesPerSecond: 20 });
  const text = await load.renderMetrics();
  const e = parseExposition(text);
  assert.deepEqual(e.problems, []);
  for (const f of FAMILIES) assert.ok(e.types.has(f), `family ${f}`);
  for (const [name, type] of e.types) {
    if (!name.startsWith('shardcast_')) continue;
    assert.equal(type === 'counter', name.endsWith('_total'), `${name}: only counters end in _total`);
    assert.ok(!/_(ms|milliseconds|kb|kbps|bits|percent)(_|$)/.test(name), `${name}: base units`);
  }
  assert.equal(e.samples.filter((s) => s.name === 'shardcast_stream_media_info').length, 500);
  assert.equal(sumOf(e, 'shardcast_clients', { protocol: 'ts' }), 500 * 3 * 8);
  // Latency histograms: every operation and outcome, cumulative buckets ending in +Inf = _count.
  for (const op of OPERATIONS) {
    const count = sumOf(e, 'shardcast_operation_duration_seconds_count', {
      operation: op,
      outcome: 'success',
    });
    const inf = sumOf(e, 'shardcast_operation_duration_seconds_bucket', {
      operation: op,
      outcome: 'success',
      le: '+Inf',
    });
    assert.ok(count > 0, `${op} recorded`);
    assert.equal(inf, count);
  }
});

test('/metrics/performance of the same load answers every operation', () => {
  const load = metricsLoad({ streams: 10, shards: 8, seconds: 5, samplesPerSecond: 20 });
  const r = load.renderPerformance('window=60');
  assert.equal(r.status, 200);
  const body = JSON.parse(r.body);
  for (const op of OPERATIONS) assert.equal(body.operations[op].count, 8 * 5 * 20, op);
});
