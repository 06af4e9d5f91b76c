/**
 * `GET /metrics`: prom-client's registry (the default process metrics of the main thread), then the
 * gateway's families (a FamilySet, see prom-family.ts), then the per-stream families (stream-families.ts),
 * then the latency histograms rendered from the merged HDR data (one source of truth for
 * `/metrics/performance` and Prometheus), as classic `_bucket{le}` / `_sum` / `_count` series that
 * aggregate across instances. Apart from prom-client's registry call, a render is synchronous.
 */
import { collectDefaultMetrics, Registry } from 'prom-client';
import { declareLoopDelayFamilies, PROM_CLIENT_LOOP_LAG_NAMES } from './loop-delay-families.js';
import type { MetricsSources } from './metrics-sources.js';
import { declareFamilies } from './prom-families.js';
import { FamilySet } from './prom-family.js';
import { StreamFamilies } from './stream-families.js';

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
  readonly #families = new FamilySet();
  readonly #streams = new StreamFamilies();

  constructor(sources: MetricsSources, opts: PrometheusOptions = {}) {
    this.#sources = sources;
    if (opts.processMetrics !== false) {
      collectDefaultMetrics({ register: this.#registry });
      for (const name of LINT_FAILING_DEFAULTS) this.#registry.removeSingleMetric(name);
      for (const name of PROM_CLIENT_LOOP_LAG_NAMES) this.#registry.removeSingleMetric(name);
      declareLoopDelayFamilies(this.#families);
    }
    declareFamilies(this.#families);
  }

  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  /** The whole exposition text. */
  async render(): Promise<string> {
    const text = await this.#registry.metrics();
    const sep = text.endsWith('\n') ? '' : '\n';
    const src = this.#sources;
    return `${text}${sep}${this.#families.render(src, Date.now())}${this.#streams.render(src)}${src.aggregator.renderPrometheus()}`;
  }
}
