// A caller's list of known operations, as the tests pass it to Recorder and Aggregator. Any valid
// names would do; these read like the gateway's.
export const KNOWN = [
  'stream_open',
  'engine_session_start',
  'mpegts_client_join',
  'mpegts_chunk_read',
  'hls_manifest_generation',
  'hls_segment_delivery',
  'hls_segment_fetch',
  'docker_stats_collection',
] as const;
