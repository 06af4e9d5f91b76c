/**
 * A synthetic control plane for measuring `/metrics` and `/metrics/performance` rendering without
 * starting a gateway: N streams spread over S shards, E engines with Docker stats, probe results, and S
 * shards' worth of HDR histograms merged over `seconds` seconds. Test support only (the exposition and
 * families tests); production code never calls it.
 */
import type { DockerEnginesStatus } from '@shardcast/docker-engines';
import type { EngineState } from '@shardcast/engines';
import { Aggregator, Recorder } from '@shardcast/metrics';
import type { ApiResponse } from '../../src/control/api-response.js';
import type { LifecycleType } from '../../src/control/event-bus.js';
import type { MetricsSources, StreamView } from '../../src/control/metrics-sources.js';
import { performanceResponse } from '../../src/control/performance.js';
import { PrometheusExporter } from '../../src/control/prometheus.js';
import { TrafficTotals } from '../../src/control/traffic-totals.js';
import { OPERATIONS } from '../../src/operations.js';
import type { ProbeResult, StreamMedia } from '../../src/probe/probe-scheduler.js';
import type { OwnerStats, ShardStats, ShardStreamStats } from '../../src/protocol.js';

export interface LoadShape {
  readonly streams?: number;
  readonly shards?: number;
  readonly engines?: number;
  /** Seconds of snapshots merged (each shard ships one per second). */
  readonly seconds?: number;
  /** Samples per operation per shard per second. */
  readonly samplesPerSecond?: number;
}

export interface MetricsLoad {
  readonly sources: MetricsSources;
  readonly exporter: PrometheusExporter;
  /** The `/metrics` body. */
  renderMetrics(): Promise<string>;
  /** The `/metrics/performance` answer for a query string such as `window=60`. */
  renderPerformance(query: string): ApiResponse;
}

// A deterministic pseudo-random sequence (xorshift32): the same load on every run.
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const MEDIA: Omit<StreamMedia, 'probed_at' | 'generation'> = {
  video: {
    pid: 256,
    codec: 'h264',
    profile: 'Main',
    level: '3.0',
    width: 1280,
    height: 720,
    frame_rate: 25,
    gop_frames: 50,
    gop_seconds: 2,
    interlaced: false,
  },
  audio: { pid: 257, codec: 'aac', profile: 'LC', sample_rate: 48000, channels: 2, language: null },
  tracks: [],
  sampled_bytes: 2_000_000,
  sampled_seconds: 4,
};

export function metricsLoad(shape: LoadShape = {}, nowMs = Date.now()): MetricsLoad {
  const nStreams = shape.streams ?? 500;
  const nShards = shape.shards ?? 8;
  const nEngines = shape.engines ?? 20;
  const seconds = shape.seconds ?? 60;
  const perSecond = shape.samplesPerSecond ?? 200;
  const rand = rng(42);

  const aggregator = new Aggregator(OPERATIONS);
  for (let shard = 0; shard < nShards; shard++) {
    const rec = new Recorder(nowMs - seconds * 1000, OPERATIONS);
    for (let s = seconds; s > 0; s--) {
      for (const op of OPERATIONS) {
        for (let i = 0; i < perSecond; i++) {
          // Log-uniform latencies from 50 µs to ~5 s, 1 % failures.
          rec.recordUs(op, 50 * 10 ** (rand() * 5), rand() > 0.01);
        }
      }
      aggregator.ingest(shard, rec.snapshot(nowMs - (s - 1) * 1000));
    }
  }

  const traffic = new TrafficTotals();
  const streams: StreamView[] = [];
  const perShard: ShardStreamStats[][] = Array.from({ length: nShards }, () => []);
  const media: Array<[number, StreamMedia]> = [];
  for (let id = 1; id <= nStreams; id++) {
    const token = id.toString(16).padStart(40, '0');
    const owner = id % nShards;
    const ownerStats: OwnerStats = {
      streamId: id,
      bytesIn: 1e9 * rand(),
      reconnects: Math.floor(rand() * 3),
      failovers: 0,
      segments: 1000,
      discontinuities: 1,
      syncLosses: 0,
      upstream: 'ts',
      engine: { id: `e${id % nEngines}`, url: `http://10.0.0.${id % nEngines}:6878` },
      session: null,
      engineStat: { status: 'dl', peers: 20, speedDownKBps: 150, speedUpKBps: 10 },
    };
    const shardStats = new Map<number, ShardStreamStats>();
    for (let shard = 0; shard < nShards; shard++) {
      const st: ShardStreamStats = {
        streamId: id,
        tsClients: 3,
        hlsViewers: 1,
        hlsSessions: [],
        bytesOut: 1e9 * rand(),
        skips: 1,
        drops: 0,
        nullPackets: 10,
        hlsSegmentsServed: 100,
      };
      shardStats.set(shard, st);
      perShard[shard]!.push(st);
      traffic.observeShard(shard, st);
    }
    traffic.observeOwner(owner, ownerStats);
    streams.push({ id, token, state: 'live', ownerStats, shardStats, control: { bitrate: () => 4_000_000 } });
    media.push([id, { ...MEDIA, probed_at: new Date(nowMs).toISOString(), generation: 0 }]);
  }
  const shards: ShardStats[] = perShard.map((list, shardId) => ({
    shardId,
    atMs: nowMs,
    streams: list,
    owned: [],
    tsClients: list.length * 3,
    loopLagMs: 1,
    loopUtilization: 0.3,
    metrics: new Recorder(nowMs).snapshot(nowMs),
  }));
  const engines: EngineState[] = Array.from({ length: nEngines }, (_, i) => ({
    id: `docker:${'c'.repeat(60)}${i.toString().padStart(4, '0')}`,
    url: `http://10.0.0.${i}:6878`,
    source: 'docker',
    containerId: `${'c'.repeat(60)}${i.toString().padStart(4, '0')}`,
    containerName: `engine-${i}`,
    lifecycle: 'ready',
    healthy: true,
    streams: Math.ceil(nStreams / nEngines),
    consecutiveFailures: 0,
    lastProbeAtMs: nowMs,
    lastError: null,
    version: '3.2.3',
    stats: {
      cpuPercent: 35,
      memoryBytes: 300e6,
      memoryLimitBytes: 2e9,
      netRxBytesPerSec: 5e6,
      netTxBytesPerSec: 1e6,
      blockReadBytesPerSec: 0,
      blockWriteBytesPerSec: 1e4,
      atMs: nowMs,
    },
  }));
  const zero = { version: 0, list: 0, inspect: 0, stats: 0, events: 0 };
  const docker: DockerEnginesStatus = {
    enabled: true,
    reason: null,
    problem: null,
    connected: true,
    cause: null,
    docker: 'unix:///var/run/docker.sock',
    apiVersion: '1.43',
    oneShotStats: true,
    engines: nEngines,
    statsIntervalMs: 2000,
    reconcileIntervalMs: 10_000,
    callsPerMinute: 600,
    maxCallsPerSec: 20,
    counters: { calls: zero, throttled: zero, errors: zero, statsSkippedBusy: 0, callsLastMinute: 600 },
  };
  const published = new Map<LifecycleType, number>([['stream.opened', nStreams]]);
  const probeResults = new Map<ProbeResult, number>([['ok', nStreams]]);
  const hlsById = new Map<number, number>();
  for (const st of streams) {
    let n = 0;
    for (const x of st.shardStats.values()) n += x.hlsViewers;
    hlsById.set(st.id, n);
  }
  const sources: MetricsSources = {
    aggregator,
    streams: () => streams,
    hlsViewers: (id) => hlsById.get(id) ?? 0,
    shards: () => shards,
    shardCount: nShards,
    isShardReady: () => true,
    restarts: () => new Map(),
    readiness: () => ({
      ready: true,
      shards: { ready: nShards, total: nShards },
      maxLoopLagMs: 1,
      healthyEngines: nEngines,
      reasons: [],
    }),
    traffic,
    lifecycle: {
      counts: {
        opened: nStreams,
        ready: nStreams,
        failovers: 0,
        openFailures: 0,
        closed: new Map([['normal', 10]]),
        clientEventsDropped: 0,
      },
    },
    published: () => published,
    engines: () => engines,
    docker: () => docker,
    media: () => media,
    probeResults: () => probeResults,
    probePool: () => ({ submitted: nStreams, completed: nStreams, shed: 0, errors: 0, queued: 0 }),
    orchestrator: () => null,
  };
  const exporter = new PrometheusExporter(sources);
  return {
    sources,
    exporter,
    renderMetrics: () => exporter.render(),
    renderPerformance: (query) => performanceResponse(aggregator, query, nowMs),
  };
}
