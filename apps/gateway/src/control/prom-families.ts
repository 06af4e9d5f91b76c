import type { FamilySet, Fill } from './prom-family.js';
import { declareInfraFamilies } from './prom-infra-families.js';
import type { OwnerField, ShardField } from './traffic-totals.js';

const MS_PER_S = 1000;

export function declareFamilies(set: FamilySet): void {
  const { g, c } = set.declarers();

  // ---------------------------------------------------------------- streams
  g('shardcast_streams', 'Streams in the directory, by state.', ['state'], (src, emit) => {
    let opening = 0;
    let live = 0;
    for (const st of src.streams()) {
      if (st.state === 'opening') opening++;
      else if (st.state === 'live') live++;
    }
    emit({ state: 'opening' }, opening);
    emit({ state: 'live' }, live);
  });
  c('shardcast_streams_opened_total', 'Streams opened (engine session requested).', [], (src, emit) =>
    emit({}, src.lifecycle.counts.opened),
  );
  c('shardcast_stream_open_failures_total', 'Streams that never became playable.', [], (src, emit) =>
    emit({}, src.lifecycle.counts.openFailures),
  );
  c('shardcast_streams_closed_total', 'Streams closed, by reason.', ['reason'], (src, emit) => {
    for (const [reason, n] of src.lifecycle.counts.closed) emit({ reason }, n);
  });
  c('shardcast_stream_failovers_total', 'Streams moved to another engine.', [], (src, emit) =>
    emit({}, src.lifecycle.counts.failovers),
  );
  // Per-stream families are written by stream-families.ts (too many series for prom-client's bookkeeping).

  // ---------------------------------------------------------------- clients and traffic
  g(
    'shardcast_clients',
    'Connected clients by protocol and shard (HLS: viewers polling lately).',
    ['protocol', 'shard'],
    (src, emit) => {
      for (const sh of src.shards()) {
        let hls = 0;
        for (const st of sh.streams) hls += st.hlsViewers;
        emit({ protocol: 'ts', shard: sh.shardId }, sh.tsClients);
        emit({ protocol: 'hls', shard: sh.shardId }, hls);
      }
    },
  );
  const shardTotal =
    (field: ShardField): Fill =>
    (src, emit) => {
      for (const id of src.traffic.shardIds()) emit({ shard: id }, src.traffic.shardTotal(id, field));
    };
  const ownerTotal =
    (field: OwnerField): Fill =>
    (src, emit) =>
      emit({}, src.traffic.ownerTotal(field));
  c(
    'shardcast_upstream_received_bytes_total',
    'Bytes received from engines (ingest).',
    [],
    ownerTotal('bytesIn'),
  );
  c(
    'shardcast_client_sent_bytes_total',
    'Stream bytes sent to clients (TS and HLS), by shard.',
    ['shard'],
    shardTotal('bytesOut'),
  );
  c(
    'shardcast_upstream_reconnects_total',
    'Upstream reconnects (same or another engine).',
    [],
    ownerTotal('reconnects'),
  );
  c(
    'shardcast_upstream_sync_losses_total',
    'Times the upstream lost MPEG-TS packet sync.',
    [],
    ownerTotal('syncLosses'),
  );
  c(
    'shardcast_client_skips_total',
    'Slow TS clients skipped forward to the newest keyframe.',
    ['shard'],
    shardTotal('skips'),
  );
  c(
    'shardcast_client_drops_total',
    'Clients disconnected for being too slow or lapped.',
    ['shard'],
    shardTotal('drops'),
  );
  c(
    'shardcast_null_packets_sent_total',
    'Keep-alive TS null packets sent during upstream gaps.',
    ['shard'],
    shardTotal('nullPackets'),
  );
  c('shardcast_hls_segments_produced_total', 'HLS segments cut by the owners.', [], ownerTotal('segments'));
  c(
    'shardcast_hls_discontinuities_total',
    'HLS discontinuities (upstream changes).',
    [],
    ownerTotal('discontinuities'),
  );
  c(
    'shardcast_hls_segments_served_total',
    'HLS segments served, by shard.',
    ['shard'],
    shardTotal('hlsSegmentsServed'),
  );
  c(
    'shardcast_client_events_dropped_total',
    'Client lifecycle events dropped by full shard batches.',
    [],
    (src, emit) => emit({}, src.lifecycle.counts.clientEventsDropped),
  );

  // ---------------------------------------------------------------- shards
  g('shardcast_ready', '1 when /ready answers 200.', [], (src, emit) =>
    emit({}, src.readiness().ready ? 1 : 0),
  );
  g('shardcast_shard_up', '1 when the shard is up and ready.', ['shard'], (src, emit) => {
    for (let i = 0; i < src.shardCount; i++) emit({ shard: i }, src.isShardReady(i) ? 1 : 0);
  });
  g(
    'shardcast_shard_event_loop_lag_seconds',
    'Event-loop lag of the shard (p99 over the last second).',
    ['shard'],
    (src, emit) => {
      for (const sh of src.shards()) emit({ shard: sh.shardId }, sh.loopLagMs / MS_PER_S);
    },
  );
  g(
    'shardcast_shard_event_loop_utilization_ratio',
    'Event-loop utilisation of the shard over the last second (0..1).',
    ['shard'],
    (src, emit) => {
      for (const sh of src.shards()) emit({ shard: sh.shardId }, sh.loopUtilization);
    },
  );
  c('shardcast_shard_restarts_total', 'Shard workers respawned after dying.', ['shard'], (src, emit) => {
    for (let i = 0; i < src.shardCount; i++) emit({ shard: i }, src.restarts().get(i) ?? 0);
  });
  declareInfraFamilies(set);
}
