/**
 * `GET /metrics`: prom-client's registry (the gateway families and the default process metrics of the
 * main thread), then the per-stream families (written directly, see stream-families.ts), then the latency histograms rendered from the merged HDR data (one source of
 * truth for `/metrics/performance` and Prometheus), as classic `_bucket{le}` / `_sum` / `_count` series
 * that aggregate across instances.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricsSources } from './metrics-sources.js';
import { declareFamilies } from './prom-families.js';
import { renderStreamFamilies } from './stream-families.js';

/** Exposition format 0.0.4 (what promtool and every Prometheus version read). */
export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

// prom-client's default gauges whose names end in `_total` (promtool: "non-counter metrics should not have
// _total suffix"); the per-type gauges without the suffix carry the same numbers.
const LINT_FAILING_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface PrometheusOptions {
  /** Register the default process/Node.js metrics (default true; the benchmark may turn them off). */
  readonly processMetrics?: boolean;
}

export class PrometheusExporter {
  readonly #registry = new Registry();
  readonly #sources: MetricsSources;

  constructor(sources: MetricsSources, opts: PrometheusOptions = {}) {
    this.#sources = sources;
    if (opts.processMetrics !== false) {
      collectDefaultMetrics({ register: this.#registry });
      for (const name of LINT_FAILING_DEFAULTS) this.#registry.removeSingleMetric(name);
    }
    declareFamilies(this.#registry, sources);
  }

  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  /** The whole exposition text. */
  async render(): Promise<string> {
    const text = await this.#registry.metrics();
    const sep = text.endsWith('\n') ? '' : '\n';
    return `${text}${sep}${renderStreamFamilies(this.#sources)}${this.#sources.aggregator.renderPrometheus()}`;
  }
}
