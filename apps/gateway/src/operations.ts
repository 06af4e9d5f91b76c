/**
 * The operations the gateway times. `/metrics/performance` and the Prometheus histogram list every one
 * of them, recorded or not; shards pre-allocate their recorder slots from the same list.
 */
export const OPERATIONS = [
  'stream_open',
  'engine_session_start',
  'mpegts_client_join',
  'mpegts_chunk_read',
  'hls_manifest_generation',
  'hls_segment_delivery',
  'hls_segment_fetch',
  'docker_stats_collection',
  'engine_provision',
  'prometheus_render',
  'performance_render',
] as const;

export type OperationName = (typeof OPERATIONS)[number];
