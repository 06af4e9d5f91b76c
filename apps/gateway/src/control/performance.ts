/**
 * `GET /metrics/performance?operation=&window=`: the per-operation latency JSON (README) from the merged
 * per-second HDR buckets, so `window=60` covers exactly the last 60 wall-clock seconds. A malformed
 * `window` or `operation` is a 400 with the registry's code; an operation never recorded has empty stats.
 */
import { type Aggregator, type ParamError, parseOperation, parseWindow } from '@shardcast/metrics';
import type { ErrorCode } from '../errors.js';
import { type ApiResponse, apiError, json } from './api-response.js';

/** The gateway's error code for each query parameter the metrics package refuses. */
const PARAM_ERROR_CODES = {
  window: 'SC_ERR_BAD_WINDOW',
  operation: 'SC_ERR_BAD_PARAM',
} as const satisfies Record<ParamError['param'], ErrorCode>;

export function performanceResponse(aggregator: Aggregator, query: string, nowMs = Date.now()): ApiResponse {
  const params = new URLSearchParams(query);
  const window = parseWindow(params.get('window'));
  if (!window.ok) return refused(window.error);
  const operation = parseOperation(params.get('operation'));
  if (!operation.ok) return refused(operation.error);
  return json(200, aggregator.query({ operation: operation.value, window: window.value }, nowMs));
}

function refused(error: ParamError): ApiResponse {
  return apiError(PARAM_ERROR_CODES[error.param], error.message);
}
