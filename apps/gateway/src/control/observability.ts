/**
 * The observability side of main, assembled in one place: Prometheus exporter, media probes on the
 * piscina pool, the lifecycle event log and (with `--events-url`) orchestrator delivery. Gateway creates
 * it after Telemetry and hands it to the API router; nothing on a stream's path waits for any of it.
 */
import type { DockerEngines, ProvisionStatus } from '@shardcast/docker-engines';
import type { EngineRegistry } from '@shardcast/engines';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import { ProbePool } from '../probe/probe-pool.js';
import { ProbeScheduler, type StreamMedia } from '../probe/probe-scheduler.js';
import type { ObservabilityApi } from './api.js';
import type { StreamDirectory } from './directory.js';
import { logEvents } from './event-log.js';
import type { MetricsSources } from './metrics-sources.js';
import { OrchestratorEvents } from './orchestrator-events.js';
import { OrchestratorQueue } from './orchestrator-queue.js';
import { PrometheusExporter } from './prometheus.js';
import type { Telemetry } from './telemetry.js';

/** Shutdown waits this long for the last `stream_ended` events to reach the orchestrator. */
const EVENTS_DRAIN_MS = 2000;
/** At most one warning per this interval about undeliverable events (the counters have the rest). */
const FAILURE_LOG_INTERVAL_MS = 10_000;

export class Observability implements ObservabilityApi {
  readonly #telemetry: Telemetry;
  // Its thread boots with the gateway (while the shards start), never next to a stream's first bytes.
  readonly #pool = new ProbePool();
  readonly #probes: ProbeScheduler;
  readonly #exporter: PrometheusExporter;
  readonly #queue: OrchestratorQueue | null = null;
  readonly #orchestrator: OrchestratorEvents | null = null;
  readonly #unlog: () => void;

  constructor(
    config: GatewayConfig,
    log: Logger,
    telemetry: Telemetry,
    directory: StreamDirectory,
    registry: EngineRegistry,
    docker: DockerEngines,
    provisioning: () => ProvisionStatus | null = () => null,
  ) {
    this.#telemetry = telemetry;
    this.#probes = new ProbeScheduler(directory, this.#pool, log.child({ component: 'probe' }));
    directory.on('ready', (e) => this.#probes.streamReady(e.id));
    directory.on('closed', (e) => this.#probes.forget(e.id));
    this.#unlog = logEvents(telemetry.bus, log.child({ component: 'events' }));
    if (config.eventsUrl) {
      const elog = log.child({ component: 'orchestrator' });
      let lastWarnMs = 0;
      this.#queue = new OrchestratorQueue({
        url: config.eventsUrl,
        key: config.eventsKey,
        onFailure: (event, why) => {
          const now = Date.now();
          if (now - lastWarnMs < FAILURE_LOG_INTERVAL_MS) return;
          lastWarnMs = now;
          elog.warn(
            { event: event.name, why },
            'orchestrator event not delivered (more are counted, not logged)',
          );
        },
      });
      this.#orchestrator = new OrchestratorEvents(this.#queue);
      this.#orchestrator.attach(telemetry.bus);
    }
    const sources: MetricsSources = {
      aggregator: telemetry.aggregator,
      streams: () => directory.entries(),
      hlsViewers: (id) => telemetry.hls.count(id),
      shards: () => telemetry.shards(),
      get shardCount() {
        return telemetry.shardCount;
      },
      isShardReady: (id) => telemetry.isShardReady(id),
      restarts: () => telemetry.restarts(),
      readiness: () => telemetry.readiness(),
      traffic: telemetry.traffic,
      lifecycle: telemetry.lifecycle,
      published: () => telemetry.bus.published(),
      engines: () => registry.list(),
      docker: () => docker.status(),
      provisioning,
      media: () => this.#probes.allMedia(),
      probeResults: () => this.#probes.results(),
      probePool: () => this.#pool.stats,
      orchestrator: () => this.#queue?.stats ?? null,
    };
    this.#exporter = new PrometheusExporter(sources);
  }

  start(): void {
    this.#probes.start();
  }

  async stop(): Promise<void> {
    this.#probes.stop();
    await this.#pool.close();
    await this.#queue?.close(EVENTS_DRAIN_MS);
    this.#orchestrator?.detach();
    this.#unlog();
    this.#telemetry.bus.close();
  }

  async metrics(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.#exporter.contentType, body: await this.#exporter.render() };
  }

  media(streamId: number): StreamMedia | null {
    return this.#probes.media(streamId);
  }
}
