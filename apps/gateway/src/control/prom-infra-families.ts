/**
 * Prometheus families of the engines (health, streams, Docker container stats), the Docker API counters,
 * media probes, lifecycle events and orchestrator delivery, and the metrics pipeline itself.
 */
import { type DockerEnginesStatus, PROVISION_RESULTS, REMOVAL_REASONS } from '@shardcast/docker-engines';
import type { EngineState } from '@shardcast/engines';
import type { ProbeResult } from '../probe/probe-scheduler.js';
import type { QueueStats } from './orchestrator-queue.js';
import type { FamilySet, Fill } from './prom-family.js';

const MS_PER_S = 1000;
const PERCENT = 100;
const ORCHESTRATOR_EVENTS = ['stream_started', 'stream_ended'];
const PROBE_RESULTS: readonly ProbeResult[] = ['ok', 'no-data', 'torn', 'no-program', 'shed', 'error'];

export function declareInfraFamilies(set: FamilySet): void {
  const { g, c } = set.declarers();
  // ---------------------------------------------------------------- engines
  const engines =
    (pick: (e: EngineState, now: number) => number | null): Fill =>
    (src, emit, now) => {
      for (const e of src.engines()) {
        const v = pick(e, now);
        if (v !== null) emit({ engine: e.id }, v);
      }
    };
  g(
    'shardcast_engine_info',
    'Engines the gateway knows (value always 1).',
    ['engine', 'url', 'source', 'container'],
    (src, emit) => {
      for (const e of src.engines())
        emit({ engine: e.id, url: e.url, source: e.source, container: e.containerName ?? '' }, 1);
    },
  );
  g(
    'shardcast_engine_healthy',
    '1 when the engine passes its health probe.',
    ['engine'],
    engines((e) => (e.healthy ? 1 : 0)),
  );
  g(
    'shardcast_engine_streams',
    'Streams assigned to the engine.',
    ['engine'],
    engines((e) => e.streams),
  );
  g(
    'shardcast_engine_cpu_ratio',
    'Engine container CPU use (1 = one full core).',
    ['engine'],
    engines((e) => (e.stats ? e.stats.cpuPercent / PERCENT : null)),
  );
  g(
    'shardcast_engine_memory_bytes',
    'Engine container memory without page cache.',
    ['engine'],
    engines((e) => e.stats?.memoryBytes ?? null),
  );
  g(
    'shardcast_engine_memory_limit_bytes',
    'Engine container memory limit.',
    ['engine'],
    engines((e) => e.stats?.memoryLimitBytes ?? null),
  );
  g(
    'shardcast_engine_network_receive_bytes_per_second',
    'Engine container network receive rate.',
    ['engine'],
    engines((e) => e.stats?.netRxBytesPerSec ?? null),
  );
  g(
    'shardcast_engine_network_transmit_bytes_per_second',
    'Engine container network transmit rate.',
    ['engine'],
    engines((e) => e.stats?.netTxBytesPerSec ?? null),
  );
  g(
    'shardcast_engine_block_read_bytes_per_second',
    'Engine container block-device read rate.',
    ['engine'],
    engines((e) => e.stats?.blockReadBytesPerSec ?? null),
  );
  g(
    'shardcast_engine_block_write_bytes_per_second',
    'Engine container block-device write rate.',
    ['engine'],
    engines((e) => e.stats?.blockWriteBytesPerSec ?? null),
  );
  g(
    'shardcast_engine_stats_age_seconds',
    'Age of the engine container stats.',
    ['engine'],
    engines((e, now) => (e.stats ? (now - e.stats.atMs) / MS_PER_S : null)),
  );

  // ---------------------------------------------------------------- Docker
  const docker =
    (pick: (d: DockerEnginesStatus, endpoint: string) => number): Fill =>
    (src, emit) => {
      const d = src.docker();
      if (!d) return;
      for (const endpoint of Object.keys(d.counters.calls)) emit({ endpoint }, pick(d, endpoint));
    };
  type Ep = keyof DockerEnginesStatus['counters']['calls'];
  c(
    'shardcast_docker_api_calls_total',
    'Docker API calls, by endpoint.',
    ['endpoint'],
    docker((d, e) => d.counters.calls[e as Ep]),
  );
  c(
    'shardcast_docker_api_throttled_total',
    'Docker API calls held back or skipped by the rate cap.',
    ['endpoint'],
    docker((d, e) => d.counters.throttled[e as Ep]),
  );
  c(
    'shardcast_docker_api_errors_total',
    'Docker API calls that failed.',
    ['endpoint'],
    docker((d, e) => d.counters.errors[e as Ep]),
  );
  c(
    'shardcast_docker_stats_skipped_busy_total',
    'Stats ticks skipped because the concurrency bound was reached.',
    [],
    (src, emit) => emit({}, src.docker()?.counters.statsSkippedBusy ?? 0),
  );
  g('shardcast_docker_connected', '1 while Docker discovery is connected.', [], (src, emit) =>
    emit({}, src.docker()?.connected ? 1 : 0),
  );

  // ---------------------------------------------------------------- provisioning
  g(
    'shardcast_engines_desired',
    'Managed engines the provisioner wants (0 without --provision on).',
    [],
    (src, emit) => emit({}, src.provisioning?.()?.desired ?? 0),
  );
  c(
    'shardcast_engine_provisions_total',
    'Managed engine start-ups by result (ok: answered get_status; failed: create, start or start-up check failed).',
    ['result'],
    (src, emit) => {
      const p = src.provisioning?.() ?? null;
      for (const result of PROVISION_RESULTS) emit({ result }, p?.provisions.get(result) ?? 0);
    },
  );
  c(
    'shardcast_engine_removals_total',
    'Managed engine containers removed, by reason.',
    ['reason'],
    (src, emit) => {
      const p = src.provisioning?.() ?? null;
      for (const reason of REMOVAL_REASONS) emit({ reason }, p?.removals.get(reason) ?? 0);
    },
  );
  g(
    'shardcast_engine_provisioning_paused',
    '1 while the creation breaker is open (repeated failures); the reason is in /ready and /api/v1/engines.',
    [],
    (src, emit) => emit({}, src.provisioning?.()?.breaker.open ? 1 : 0),
  );

  // ---------------------------------------------------------------- probes, events, metrics pipeline
  c(
    'shardcast_probe_jobs_total',
    'Media probe jobs by result (shed: the pool queue was full).',
    ['result'],
    (src, emit) => {
      const r = src.probeResults();
      for (const result of PROBE_RESULTS) emit({ result }, r.get(result) ?? 0);
    },
  );
  g('shardcast_probe_queued_jobs', 'Probe jobs waiting for a pool thread.', [], (src, emit) =>
    emit({}, src.probePool()?.queued ?? 0),
  );
  c(
    'shardcast_lifecycle_events_total',
    'Lifecycle events published on the internal bus, by type.',
    ['type'],
    (src, emit) => {
      for (const [type, n] of src.published()) emit({ type }, n);
    },
  );
  const orch =
    (pick: (q: QueueStats) => ReadonlyMap<string, number>): Fill =>
    (src, emit) => {
      const q = src.orchestrator();
      for (const event of ORCHESTRATOR_EVENTS) emit({ event }, q ? (pick(q).get(event) ?? 0) : 0);
    };
  c(
    'shardcast_orchestrator_events_sent_total',
    'Events the orchestrator accepted (2xx).',
    ['event'],
    orch((q) => q.sent),
  );
  c(
    'shardcast_orchestrator_events_failed_total',
    'Events given up on after retries (or refused with a 4xx).',
    ['event'],
    orch((q) => q.failed),
  );
  c(
    'shardcast_orchestrator_events_overflow_total',
    'Events refused because the delivery queue was full.',
    ['event'],
    orch((q) => q.overflow),
  );
  c('shardcast_orchestrator_event_retries_total', 'Event delivery retries.', [], (src, emit) =>
    emit({}, src.orchestrator()?.retries ?? 0),
  );
  g('shardcast_orchestrator_queued_events', 'Events waiting for delivery.', [], (src, emit) =>
    emit({}, src.orchestrator()?.queued ?? 0),
  );
  c(
    'shardcast_metrics_snapshots_total',
    'Histogram snapshots merged from shards and main.',
    [],
    (src, emit) => emit({}, src.aggregator.stats.snapshots),
  );
  c(
    'shardcast_metrics_snapshots_refused_total',
    'Histogram snapshots refused (malformed or another layout).',
    [],
    (src, emit) => emit({}, src.aggregator.stats.refused),
  );
  c(
    'shardcast_metrics_samples_rejected_total',
    'Latency samples refused by the recorders (negative, NaN, bad name).',
    [],
    (src, emit) => emit({}, src.aggregator.stats.rejectedSamples),
  );
}
