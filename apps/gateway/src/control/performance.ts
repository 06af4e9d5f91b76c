/**
 * `GET /metrics/performance?operation=&window=`: latency percentiles and success rates from the merged
 * per-second HDR buckets, so `window=60` covers exactly the last 60 wall-clock seconds. A malformed
 * `window` or `operation` is a 400 with the registry's code; an operation never recorded has empty stats.
 */
import { type Aggregator, parseOperation, parseWindow } from '@shardcast/metrics';
import { type ApiResponse, apiError, json } from './api-response.js';

export function performanceResponse(aggregator: Aggregator, query: string, nowMs = Date.now()): ApiResponse {
  const params = new URLSearchParams(query);
  const window = parseWindow(params.get('window'));
  if (!window.ok) return apiError(window.error.code, window.error.message);
  const operation = parseOperation(params.get('operation'));
  if (!operation.ok) return apiError(operation.error.code, operation.error.message);
  return json(200, aggregator.query({ operation: operation.value, window: window.value }, nowMs));
}
