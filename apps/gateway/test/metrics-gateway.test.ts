// End to end on a real gateway: /metrics carries the families and its counters move while a
// client plays and never go down once the stream is gone; /metrics/performance answers over HTTP (and
// 400s); the media probe's answer shows in /api/v1/streams/<id> and as an info metric.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { parseExposition, sumOf } from './support/exposition.js';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { fetchPlaylist } from './support/hls-tools.js';
import { readTs } from './support/ts-reader.js';

const ID = '1'.repeat(40);
let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '2', '--grace-seconds', '1']);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
});

async function scrape() {
  const r = await fetch(`${gw.url}/metrics`);
  assert.equal(r.status, 200);
  assert.equal(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const e = parseExposition(await r.text());
  assert.deepEqual(e.problems, []);
  return e;
}

test('counters move while a client plays; media is probed; nothing goes down after the stream closes', async () => {
  // The client plays long enough for every wait below, however slow the machine.
  const play = readTs(`${gw.url}/ace/getstream?id=${ID}`, 10_000);
  assert.ok(
    await waitFor(async () => (await getJson(`${gw.url}/api/v1/streams/${ID}`)).status === 200, 5000),
  );
  // Shards report every second: wait for the first figures, then for them to grow.
  let first = await scrape();
  assert.ok(
    await waitFor(async () => {
      first = await scrape();
      return sumOf(first, 'shardcast_client_sent_bytes_total') > 0;
    }, 4000),
  );
  const sentBefore = sumOf(first, 'shardcast_client_sent_bytes_total');
  const inBefore = sumOf(first, 'shardcast_upstream_received_bytes_total');
  let mid = first;
  // Bytes out come from the client's shard, bytes in from the owner's: each reports on its own second,
  // so wait until both have grown.
  assert.ok(
    await waitFor(async () => {
      mid = await scrape();
      return (
        sumOf(mid, 'shardcast_client_sent_bytes_total') > sentBefore &&
        sumOf(mid, 'shardcast_upstream_received_bytes_total') > inBefore
      );
    }, 6000),
    'bytes out and bytes in grow while the client plays',
  );
  assert.equal(sumOf(mid, 'shardcast_streams', { state: 'live' }), 1);
  assert.equal(sumOf(mid, 'shardcast_streams_opened_total'), 1);
  assert.equal(sumOf(mid, 'shardcast_clients', { protocol: 'ts' }), 1);
  assert.equal(sumOf(mid, 'shardcast_stream_clients', { stream: ID, protocol: 'ts' }), 1);
  assert.equal(sumOf(mid, 'shardcast_engine_healthy', { engine: sim.url }), 1);
  assert.equal(sumOf(mid, 'shardcast_engine_streams', { engine: sim.url }), 1);
  assert.equal(sumOf(mid, 'shardcast_shard_up'), 2);
  assert.ok(mid.types.has('shardcast_shard_event_loop_lag_seconds'));
  assert.ok(sumOf(mid, 'shardcast_hls_segments_produced_total') >= 0);
  assert.equal(
    sumOf(mid, 'shardcast_operation_duration_seconds_count', {
      operation: 'stream_open',
      outcome: 'success',
    }),
    1,
  );
  assert.ok(
    sumOf(mid, 'shardcast_operation_duration_seconds_count', {
      operation: 'mpegts_chunk_read',
      outcome: 'success',
    }) > 0,
  );

  // The probe ran on the pool and its answer is in the API and in Prometheus.
  let media: any = null;
  assert.ok(
    await waitFor(async () => {
      media = (await getJson(`${gw.url}/api/v1/streams/${ID}`)).body.media;
      return media?.video?.width != null && media?.audio?.sample_rate != null;
    }, 6000),
    'media probed',
  );
  assert.equal(media.video.codec, 'h264');
  assert.equal(media.video.width, 640);
  assert.equal(media.video.height, 360);
  assert.equal(media.video.frame_rate, 25);
  assert.equal(media.audio.codec, 'aac');
  assert.equal(media.audio.sample_rate, 48000);
  assert.equal(media.generation, 0);
  const withInfo = await scrape();
  assert.equal(
    sumOf(withInfo, 'shardcast_stream_media_info', {
      stream: ID,
      video_codec: 'h264',
      width: '640',
      sample_rate: '48000',
    }),
    1,
  );
  assert.ok(sumOf(withInfo, 'shardcast_probe_jobs_total', { result: 'ok' }) >= 1);

  const r = await play;
  assert.equal(r.status, 200);
  // The client left: the stream closes after the grace period.
  assert.ok(
    await waitFor(async () => (await getJson(`${gw.url}/api/v1/streams/${ID}`)).status === 404, 6000),
  );
  const peak = await scrape();
  const gone = await scrape();
  for (const name of ['shardcast_client_sent_bytes_total', 'shardcast_upstream_received_bytes_total']) {
    assert.ok(sumOf(gone, name) >= sumOf(mid, name), `${name} kept its value after the stream closed`);
    assert.equal(sumOf(gone, name), sumOf(peak, name));
  }
  assert.equal(sumOf(gone, 'shardcast_streams', { state: 'live' }), 0);
  assert.equal(sumOf(gone, 'shardcast_streams_closed_total', { reason: 'normal' }), 1);
  assert.equal(sumOf(gone, 'shardcast_stream_media_info'), 0, 'no info series for a closed stream');
  assert.equal(sumOf(gone, 'shardcast_lifecycle_events_total', { type: 'client.joined' }), 1);
  assert.equal(sumOf(gone, 'shardcast_lifecycle_events_total', { type: 'client.left' }), 1);
  assert.equal(sumOf(gone, 'shardcast_lifecycle_events_total', { type: 'stream.closed' }), 1);
});

test('/metrics/performance over HTTP: shape, narrowing, 400 JSON for a bad window or operation', async () => {
  const all = await getJson(`${gw.url}/metrics/performance?window=60`);
  assert.equal(all.status, 200);
  assert.equal(all.body.window_seconds, 60);
  const join = all.body.operations.mpegts_client_join;
  assert.ok(join.count >= 1);
  for (const k of ['avg_ms', 'p50_ms', 'p95_ms', 'p99_ms', 'p999_ms', 'min_ms', 'max_ms', 'success_rate']) {
    assert.equal(typeof join[k], 'number', k);
  }
  const one = await getJson(`${gw.url}/metrics/performance?operation=stream_open`);
  assert.deepEqual(Object.keys(one.body.operations), ['stream_open']);
  assert.equal(one.body.window_seconds, 'all');
  const unknown = await getJson(`${gw.url}/metrics/performance?operation=not_a_thing&window=10`);
  assert.equal(unknown.body.operations.not_a_thing.count, 0);
  for (const [q, code] of [
    ['window=abc', 'SC_ERR_BAD_WINDOW'],
    ['window=9999', 'SC_ERR_BAD_WINDOW'],
    ['operation=DROP%20TABLE', 'SC_ERR_BAD_PARAM'],
  ]) {
    const bad = await getJson(`${gw.url}/metrics/performance?${q}`);
    assert.equal(bad.status, 400, q);
    assert.equal(bad.headers.get('content-type'), 'application/json');
    assert.equal(bad.body.error.code, code);
  }
  const post = await getJson(`${gw.url}/metrics`, { method: 'POST' });
  assert.equal(post.status, 405);
  const head = await fetch(`${gw.url}/metrics`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  // The scrapes themselves are timed on main (the 400s above are not renders and are not counted).
  let ops: any = null;
  const recorded = await waitFor(async () => {
    ops = (await getJson(`${gw.url}/metrics/performance`)).body.operations;
    return ops.prometheus_render.count >= 1 && ops.performance_render.count >= 4;
  }, 5000);
  assert.ok(recorded, `prometheus_render and performance_render were recorded: ${JSON.stringify(ops)}`);
  assert.equal(ops.prometheus_render.success_rate, 1);
  assert.equal(ops.performance_render.success_rate, 1);
});

test('/ready answers 200 with no reasons while shards and an engine are fine', async () => {
  const r = await getJson(`${gw.url}/ready`);
  assert.equal(r.status, 200);
  assert.equal(r.body.ready, true);
  assert.deepEqual(r.body.reasons, []);
  assert.equal(r.body.healthyEngines, 1);
});

test('an HLS viewer shows up in the clients gauge and as a client.joined event', async () => {
  const id = '7'.repeat(40);
  // A player's first request gets the multivariant playlist; its poll of the variant makes it a viewer.
  const r = await fetchPlaylist(`${gw.url}/ace/manifest.m3u8?id=${id}`);
  assert.equal(r.status, 200);
  assert.ok(r.playlist, 'a media playlist behind the multivariant answer');
  let e = await scrape();
  assert.ok(
    await waitFor(async () => {
      e = await scrape();
      return sumOf(e, 'shardcast_clients', { protocol: 'hls' }) === 1;
    }, 5000),
  );
  assert.equal(sumOf(e, 'shardcast_stream_clients', { stream: id, protocol: 'hls' }), 1);
  // The first test's TS client joined once; this HLS viewer is the second join.
  assert.equal(sumOf(e, 'shardcast_lifecycle_events_total', { type: 'client.joined' }), 2);
});
