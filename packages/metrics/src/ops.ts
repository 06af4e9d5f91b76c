// Operation names. The list is the set every report shows (with empty stats when idle); any other
// name that passes `isOperationName` may be recorded too, up to MAX_OPERATIONS distinct names.
import type { ParseResult } from './types.js';

/** Operations the gateway times. Reports list all of them, recorded or not. */
export const OPERATIONS = [
  'stream_open',
  'engine_session_start',
  'mpegts_client_join',
  'mpegts_chunk_read',
  'hls_manifest_generation',
  'hls_segment_delivery',
  'hls_segment_fetch',
  'docker_stats_collection',
  'prometheus_render',
  'performance_render',
] as const;

export type KnownOperation = (typeof OPERATIONS)[number];

/** A known operation, or any other valid name (`string & {}` keeps editor completion for the known ones). */
export type Operation = KnownOperation | (string & {});

/** Cap on distinct names per recorder and aggregator: a bug that records dynamic names cannot grow memory. */
export const MAX_OPERATIONS = 64;

// Safe as a JSON key and as a Prometheus label value without escaping.
const OPERATION_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** True when `name` may be used as an operation name (lower snake case, at most 64 characters). */
export function isOperationName(name: string): boolean {
  return OPERATION_NAME.test(name);
}

/**
 * Validates the `operation` query parameter: absent or empty means every operation. A well-formed
 * name that was never recorded is fine (the report shows it with empty stats); a malformed one is a 400.
 */
export function parseOperation(raw: string | null | undefined): ParseResult<string | undefined> {
  if (raw === null || raw === undefined || raw === '') return { ok: true, value: undefined };
  if (isOperationName(raw)) return { ok: true, value: raw };
  return {
    ok: false,
    error: {
      code: 'SC_ERR_BAD_PARAM',
      message: 'operation must be lower snake case, at most 64 characters.',
    },
  };
}
