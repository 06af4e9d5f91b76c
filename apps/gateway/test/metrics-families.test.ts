// The text writers behind /metrics — the gateway's scrape-time families (FamilySet), the
// per-stream families with their kept text (StreamFamilies), and main's event-loop delay under
// prom-client's default names.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsSources, StreamView } from '../src/control/metrics-sources.js';
import { FamilySet } from '../src/control/prom-family.js';
import { StreamFamilies } from '../src/control/stream-families.js';
import type { StreamMedia } from '../src/probe/probe-scheduler.js';
import { parseExposition, sumOf } from './support/exposition.js';
import { metricsLoad } from './support/metrics-load.js';

const NO_SOURCES = {} as MetricsSources;

test('FamilySet: HELP/TYPE per family, escaped label values, special numbers, counters add up', () => {
  const set = new FamilySet();
  const { g, c } = set.declarers();
  g('t_gauge', 'A gauge\nwith a \\ in its help.', ['name'], (_s, emit) => {
    emit({ name: 'a"b' }, 1);
    emit({ name: 'back\\slash\nline' }, Number.POSITIVE_INFINITY);
    emit({ name: 'nan' }, Number.NaN);
    emit({ name: 'a"b' }, 2); // the same series again: the last value wins
  });
  c('t_events_total', 'A counter.', ['shard'], (_s, emit) => {
    emit({ shard: 0 }, 3);
    emit({ shard: 0 }, 4); // adds up
    emit({ shard: 1 }, 0.5);
  });
  c('t_plain_total', 'No labels.', [], (_s, emit, now) => emit({}, now));
  g('t_empty', 'Nothing to say.', ['x'], () => {});
  const text = set.render(NO_SOURCES, 1234);
  const e = parseExposition(text);
  assert.deepEqual(e.problems, []);
  assert.equal(e.types.get('t_gauge'), 'gauge');
  assert.equal(e.types.get('t_events_total'), 'counter');
  assert.equal(e.types.get('t_empty'), 'gauge');
  assert.ok(text.includes('# HELP t_gauge A gauge\\nwith a \\\\ in its help.\n'));
  assert.ok(text.includes('t_gauge{name="a\\"b"} 2\n'));
  assert.ok(text.includes('t_gauge{name="back\\\\slash\\nline"} +Inf\n'));
  assert.ok(text.includes('t_gauge{name="nan"} NaN\n'));
  assert.equal(sumOf(e, 't_events_total', { shard: '0' }), 7);
  assert.equal(sumOf(e, 't_events_total', { shard: '1' }), 0.5);
  assert.equal(sumOf(e, 't_plain_total'), 1234);
  assert.equal(e.samples.filter((s) => s.name === 't_empty').length, 0);
  // Families render in declaration order.
  assert.ok(text.indexOf('t_gauge') < text.indexOf('t_events_total'));
  assert.ok(text.indexOf('t_events_total') < text.indexOf('t_plain_total'));
});

test('FamilySet: bad names and wrong label sets are programming errors (TypeError)', () => {
  const set = new FamilySet();
  assert.throws(() => set.declare('gauge', '1bad', 'h', [], () => {}), TypeError);
  assert.throws(() => set.declare('gauge', 'ok_name', 'h', ['bad-label'], () => {}), TypeError);
  assert.throws(() => set.declare('gauge', 'ok_name', 'h', ['__reserved'], () => {}), TypeError);
  set.declare('gauge', 'ok_name', 'h', ['a'], () => {});
  assert.throws(() => set.declare('counter', 'ok_name', 'h', [], () => {}), /declared twice/);

  const missing = new FamilySet();
  missing.declare('gauge', 'm', 'h', ['a', 'b'], (_s, emit) => emit({ a: 1 }, 1));
  assert.throws(() => missing.render(NO_SOURCES, 0), /takes labels \[a, b\], got \[a\]/);
  const other = new FamilySet();
  other.declare('gauge', 'm', 'h', ['a'], (_s, emit) => emit({ b: 1 }, 1));
  assert.throws(() => other.render(NO_SOURCES, 0), /missing label "a"/);
});

function media(width: number): StreamMedia {
  return {
    video: { codec: 'h264', profile: 'High', width, height: 360, frame_rate: 25 },
    audio: { codec: 'aac', sample_rate: 48000, channels: 2 },
    probed_at: '2026-11-24T00:00:00.000Z',
    generation: 0,
  } as unknown as StreamMedia;
}

function view(id: number, token: string, tsClients: number, bitrate = 8000): StreamView {
  return {
    id,
    token,
    state: 'live',
    ownerStats: {
      engineStat: { peers: 7, speedDownKBps: 2, speedUpKBps: 1 },
    } as unknown as StreamView['ownerStats'],
    shardStats: new Map([[0, { tsClients, hlsViewers: 5 }]]) as unknown as StreamView['shardStats'],
    control: { bitrate: () => bitrate },
  };
}

test('StreamFamilies: one series set per open stream; closed streams, new tokens and new probes show at the next render', () => {
  let streams: StreamView[] = [view(1, 'aaa', 2), view(2, 'b"q', 3)];
  let probed: Array<[number, StreamMedia]> = [
    [1, media(640)],
    [2, media(640)],
  ];
  // HLS viewers come counted gateway-wide (sessions), not from the per-shard figures.
  const src = {
    streams: () => streams,
    media: () => probed,
    hlsViewers: () => 1,
  } as unknown as MetricsSources;
  const fams = new StreamFamilies();

  let e = parseExposition(fams.render(src));
  assert.deepEqual(e.problems, []);
  assert.equal(sumOf(e, 'shardcast_stream_clients', { stream: 'aaa', protocol: 'ts' }), 2);
  assert.equal(sumOf(e, 'shardcast_stream_clients', { stream: 'b\\"q', protocol: 'ts' }), 3);
  assert.equal(sumOf(e, 'shardcast_stream_clients', { stream: 'aaa', protocol: 'hls' }), 1);
  assert.equal(sumOf(e, 'shardcast_stream_bitrate_bytes_per_second', { stream: 'aaa' }), 1000);
  assert.equal(sumOf(e, 'shardcast_stream_engine_peers', { stream: 'aaa' }), 7);
  assert.equal(sumOf(e, 'shardcast_stream_engine_download_bytes_per_second', { stream: 'aaa' }), 2048);
  assert.equal(sumOf(e, 'shardcast_stream_engine_upload_bytes_per_second', { stream: 'b\\"q' }), 1024);
  assert.equal(sumOf(e, 'shardcast_stream_media_info', { stream: 'aaa', width: '640' }), 1);

  // Values change between renders; the kept text does not go stale.
  streams = [view(1, 'aaa', 5, 16000), view(2, 'b"q', 3)];
  e = parseExposition(fams.render(src));
  assert.equal(sumOf(e, 'shardcast_stream_clients', { stream: 'aaa', protocol: 'ts' }), 5);
  assert.equal(sumOf(e, 'shardcast_stream_bitrate_bytes_per_second', { stream: 'aaa' }), 2000);

  // A new probe answer for an open stream replaces its info line.
  probed = [
    [1, media(1920)],
    [2, media(640)],
  ];
  e = parseExposition(fams.render(src));
  assert.equal(sumOf(e, 'shardcast_stream_media_info', { stream: 'aaa', width: '1920' }), 1);
  assert.equal(sumOf(e, 'shardcast_stream_media_info', { stream: 'aaa' }), 1);

  // Stream 2 closes, id 1 is reused by another stream, stream 1 is probed again with a new answer.
  streams = [view(1, 'ccc', 1)];
  probed = [
    [1, media(1280)],
    [2, media(640)], // a probe result outliving its stream is not exported
  ];
  e = parseExposition(fams.render(src));
  assert.deepEqual(e.problems, []);
  const tokens = new Set(e.samples.map((s) => s.labels.stream));
  assert.deepEqual([...tokens], ['ccc']);
  assert.equal(sumOf(e, 'shardcast_stream_media_info', { stream: 'ccc', width: '1280' }), 1);
  assert.equal(sumOf(e, 'shardcast_stream_media_info'), 1);

  // No streams: the families are still declared, with no series.
  streams = [];
  e = parseExposition(fams.render(src));
  assert.equal(e.types.get('shardcast_stream_clients'), 'gauge');
  assert.equal(e.samples.length, 0);
});

const BLOCK_MS = 400;

test("main's event-loop delay under prom-client's names: one TYPE each, a blocked loop shows in max", async () => {
  const load = metricsLoad({ streams: 2, shards: 2 });
  await load.renderMetrics(); // resets the interval
  // (the histogram measures between its own timer ticks: let one tick pass after the reset, then block)
  await new Promise((r) => setTimeout(r, 25));
  const until = Date.now() + BLOCK_MS;
  while (Date.now() < until) {
    // block main's loop
  }
  await new Promise((r) => setTimeout(r, 30));
  const e = parseExposition(await load.renderMetrics());
  assert.deepEqual(e.problems, []);
  for (const s of ['', '_min', '_max', '_mean', '_p50', '_p90', '_p99']) {
    assert.equal(
      e.types.get(`nodejs_eventloop_lag${s}_seconds`),
      'gauge',
      `nodejs_eventloop_lag${s}_seconds`,
    );
  }
  assert.equal(e.types.has('nodejs_eventloop_lag_stddev_seconds'), false);
  const blocked = sumOf(e, 'nodejs_eventloop_lag_max_seconds');
  assert.ok(blocked >= (BLOCK_MS * 0.8) / 1000, `the ${BLOCK_MS} ms block is seen (${blocked} s)`);
  // The interval restarts at each scrape: a loop that was not blocked reads under the block (the margin
  // leaves room for a busy machine's scheduling delays).
  await new Promise((r) => setTimeout(r, 50));
  const quiet = sumOf(parseExposition(await load.renderMetrics()), 'nodejs_eventloop_lag_max_seconds');
  assert.ok(quiet < blocked / 2, `after a scrape the max restarts (${quiet} s vs ${blocked} s)`);
});
