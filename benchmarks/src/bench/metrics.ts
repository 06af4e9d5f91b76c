/**
 * Metrics rendering: time to render GET /metrics and GET /metrics/performance with many active
 * streams and shards' worth of histograms, plus the hot-path recording cost (ns per sample) of
 * @shardcast/metrics' Recorder. When the routes are not there yet, the section says so and goes on.
 */
import { performance } from 'node:perf_hooks';
import { streamId } from '../players/options.js';
import { fixed } from '../util/format.js';
import { type LatencySummary, newHistogram, recordMs, summarize } from '../util/histogram.js';
import type { SuiteParams } from './params.js';
import { getJson, serverOperation, startEngineSim, startGateway } from './procs.js';
import { atMost, notMeasured, type Section, type Target } from './section.js';

const OPEN_CONCURRENCY = 16;
const OPEN_DEADLINE_MS = 60_000;
/** Shards ship stats every second: wait for a few rounds so main has every shard's histograms. */
const SETTLE_MS = 3000;
const RECORD_SAMPLES = 2_000_000;
const METRICS_PACKAGE = '@shardcast/metrics';

export type Availability = { metrics: boolean; performance: boolean };

/** Whether the gateway at `url` serves the two routes (200), probed while a gateway runs. */
export async function probeMetrics(url: string): Promise<Availability> {
  const ok = async (path: string): Promise<boolean> => {
    try {
      const r = await fetch(`${url}${path}`);
      await r.arrayBuffer();
      return r.status === 200;
    } catch {
      return false;
    }
  };
  return { metrics: await ok('/metrics'), performance: await ok('/metrics/performance?window=60') };
}

/** ns per Recorder.recordMs call, or null when the package cannot be loaded. */
async function recordingCostNs(): Promise<number | null> {
  try {
    // Loaded by name at run time: the benchmarks package does not depend on it for anything else.
    const mod = (await import(METRICS_PACKAGE)) as {
      Recorder: new () => { recordMs(op: string, ms: number, ok: boolean): void };
    };
    const rec = new mod.Recorder();
    for (let i = 0; i < 100_000; i++) rec.recordMs('mpegts_chunk_read', (i % 500) / 10, true); // warm-up
    const t0 = performance.now();
    for (let i = 0; i < RECORD_SAMPLES; i++) rec.recordMs('mpegts_chunk_read', (i % 5000) / 100, true);
    return ((performance.now() - t0) * 1e6) / RECORD_SAMPLES;
  } catch {
    return null;
  }
}

async function timeRoute(
  url: string,
  n: number,
): Promise<{ latency: LatencySummary; bytes: number; failures: number }> {
  const h = newHistogram();
  let bytes = 0;
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    try {
      const r = await fetch(url);
      const body = await r.arrayBuffer();
      if (r.status !== 200) failures++;
      else {
        recordMs(h, performance.now() - t0);
        bytes = body.byteLength;
      }
    } catch {
      failures++;
    }
  }
  const latency = summarize(h);
  h.destroy();
  return { latency, bytes, failures };
}

export async function metricsBench(
  avail: Availability | null,
  p: SuiteParams,
  log: (m: string) => void,
): Promise<Section> {
  const t0 = Date.now();
  const ns = await recordingCostNs();
  const notes: string[] = [];
  const rows: string[][] = [];
  const targets: Target[] = [];
  rows.push([
    'Recorder.recordMs (hot path)',
    '-',
    '-',
    '-',
    ns === null ? 'not available' : `${fixed(ns, 1)} ns/op`,
  ]);
  let data: Record<string, unknown> = { recordNsPerOp: ns, availability: avail };
  if (!avail || (!avail.metrics && !avail.performance)) {
    rows.push(
      ['GET /metrics', '-', 'not available', '-', '-'],
      ['GET /metrics/performance', '-', 'not available', '-', '-'],
    );
    notes.push(
      'The gateway does not serve /metrics or /metrics/performance yet (404): rendering was not measured. Re-run when the observability routes land.',
    );
    targets.push(
      notMeasured('GET /metrics render', '< 20 ms'),
      notMeasured('GET /metrics/performance render', '< 20 ms'),
    );
    return {
      id: 'metrics',
      title: 'Metrics rendering',
      setup: '',
      head: ['route', 'streams', 'p50 / p99 / max ms', 'body', 'note'],
      rows,
      targets,
      notes,
      skipped: false,
      seconds: (Date.now() - t0) / 1000,
      data,
    };
  }
  log(`metrics: opening ${p.metricsStreams} streams on ${p.metricsShards} shards`);
  const engine = await startEngineSim('1', ['--tick-ms', '100']);
  let opened = 0;
  try {
    const cap = String(p.metricsStreams + 10);
    const gw = await startGateway({
      shards: p.metricsShards,
      engines: [engine.url],
      extra: ['--ring-mb', '1', '--max-streams', cap, '--engine-max-streams', cap, '--grace-seconds', '600'],
    });
    try {
      let next = 0;
      const deadline = Date.now() + OPEN_DEADLINE_MS;
      const worker = async (): Promise<void> => {
        while (next < p.metricsStreams && Date.now() < deadline) {
          const id = streamId(next++);
          try {
            const r = await fetch(`${gw.url}/ace/getstream?id=${id}`, { method: 'HEAD' });
            if (r.status === 200) opened++;
          } catch {
            // counted by what is missing
          }
        }
      };
      await Promise.all(Array.from({ length: OPEN_CONCURRENCY }, worker));
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const live = (await getJson<{ streams: unknown[] }>(`${gw.url}/api/v1/streams`))?.streams.length ?? 0;
      const health = await timeRoute(`${gw.url}/health`, p.metricsRequests);
      const m = await timeRoute(`${gw.url}/metrics`, p.metricsRequests);
      const perf = await timeRoute(`${gw.url}/metrics/performance?window=60`, p.metricsRequests);
      // The gateway's own timing of each body build on main (what "rendering" costs, without the hop
      // through a shard that a busy machine delays: /health shows that hop alone).
      // Main merges its own timings into the report once a second.
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      const server = {
        prometheus_render: await serverOperation(gw.url, 'prometheus_render', 'all'),
        performance_render: await serverOperation(gw.url, 'performance_render', 'all'),
      };
      rows.push([
        'GET /health (the shard hop alone)',
        `${live}`,
        `${fixed(health.latency.p50, 2)} / ${fixed(health.latency.p99, 2)} / ${fixed(health.latency.max, 2)}`,
        `${fixed(health.bytes / 1000, 1)} kB`,
        'client-side baseline',
      ]);
      for (const [route, r, op] of [
        ['GET /metrics', m, 'prometheus_render'],
        ['GET /metrics/performance?window=60', perf, 'performance_render'],
      ] as const) {
        const sv = server[op];
        rows.push([
          route,
          `${live}`,
          `${fixed(r.latency.p50, 2)} / ${fixed(r.latency.p99, 2)} / ${fixed(r.latency.max, 2)}`,
          `${fixed(r.bytes / 1000, 1)} kB`,
          r.failures > 0 ? `${r.failures} failed` : 'client-side, request to last byte',
        ]);
        rows.push([
          `  ${op} (server-side)`,
          `${live}`,
          sv ? `${fixed(sv.p50_ms, 2)} / ${fixed(sv.p99_ms, 2)} / ${fixed(sv.max_ms, 2)}` : 'not available',
          '-',
          sv ? `${sv.count} renders timed on main` : '',
        ]);
        const name = route.split('?')[0];
        targets.push(
          atMost(
            `${name} render p99, server-side (${live} streams, ${p.metricsShards} shards)`,
            sv ? sv.p99_ms : null,
            20,
            'ms',
            2,
          ),
          atMost(
            `${name} p99 end to end, client-side (${live} streams, ${p.metricsShards} shards)`,
            r.failures === p.metricsRequests ? null : r.latency.p99,
            20,
            'ms',
            2,
          ),
        );
      }
      if (live < p.metricsStreams)
        notes.push(
          `Asked for ${p.metricsStreams} streams; ${opened} opened and ${live} were live when measured.`,
        );
      notes.push(
        `Client-side times are request to last byte over loopback (sequential requests), so they include the hop through a shard and main's queue; with ${p.metricsShards} shards pumping ${live} streams on this machine's cores, that hop alone is what GET /health shows. Server-side times are the gateway's own prometheus_render / performance_render operations (body build on main), read from /metrics/performance afterwards. engine-sim at real time with --tick-ms 100, rings of 1 MiB.`,
      );
      data = {
        ...data,
        streamsAsked: p.metricsStreams,
        opened,
        live,
        shards: p.metricsShards,
        health,
        metrics: m,
        performance: perf,
        serverSide: server,
      };
    } finally {
      await gw.child.stop();
    }
  } finally {
    await engine.child.stop();
  }
  return {
    id: 'metrics',
    title: 'Metrics rendering',
    setup: `${p.metricsStreams} streams asked, ${p.metricsShards} shards, ${p.metricsRequests} requests per route`,
    head: ['route', 'streams', 'p50 / p99 / max ms', 'body', 'note'],
    rows,
    targets,
    notes,
    skipped: false,
    seconds: (Date.now() - t0) / 1000,
    data,
  };
}
