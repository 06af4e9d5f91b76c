// Public entry of @shardcast/metrics: HDR latency recording in shards, merging and rendering on main.
export {
  Aggregator,
  type AggregatorStats,
  DURATION_METRIC,
  type Outcome,
  type RenderOptions,
} from './aggregator.js';
export { COUNTS_LENGTH, HIGHEST_US, LOWEST_US, SIGNIFICANT_DIGITS } from './layout.js';
export { isOperationName, MAX_OPERATIONS, parseOperation } from './ops.js';
export {
  checkLadder,
  DEFAULT_LE_SECONDS,
  escapeHelp,
  escapeLabelValue,
  formatNumber,
  isLabelName,
  isMetricName,
  type PromSeries,
  renderPromHistogram,
} from './prometheus.js';
export { Recorder, type RecorderStats } from './recorder.js';
export { checkSnapshot, seriesToHdr, snapshotTransferList } from './snapshot.js';
export type {
  IngestRefusal,
  IngestResult,
  IntervalSnapshot,
  OperationStats,
  ParamError,
  ParseResult,
  PerformanceQuery,
  PerformanceReport,
  PromBucket,
  PromHistogram,
  SeriesSnapshot,
  Window,
} from './types.js';
export { isWindow, parseWindow, RETENTION_SECONDS } from './window.js';
