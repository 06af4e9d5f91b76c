/**
 * One measured players run against one system: samples the server process (and the engine) from /proc,
 * polls the gateway's stream API for skips, drops and ingest, runs the players CLI, and reduces it all to
 * the figures the tables show.
 */
import type { PlayersReport } from '../players/report.js';
import { ProcSampler } from '../util/proc-stats.js';
import { getJson, runPlayersCli, type Service } from './procs.js';

const API_POLL_MS = 1000;
/** RSS is read this long before the window ends, while every player is still connected. */
const RSS_END_OFFSET_MS = 500;

interface ApiStream {
  stream: string;
  bytes_in: number;
  skips: number;
  drops: number;
}

export interface EngineStats {
  startRequests: number;
  sessionsStarted: number;
  playbackConnectionsTotal: number;
  hlsPlaylists: number;
  hlsSegments: number;
  bytesSent: number;
}

export interface Measured {
  system: string;
  report: PlayersReport;
  clients: number;
  egressBytesPerS: number;
  cpuS: number;
  /** The kernel's part of cpuS (system time: the sockets' send path, loopback included). */
  cpuSysS: number;
  wallS: number;
  cpuSPerGB: number | null;
  rssStartBytes: number;
  rssEndBytes: number;
  /** Ring pages first touched during the interval (gateway only), subtracted from the RSS growth. */
  ringGrowthBytes: number;
  rssPerClientBytes: number | null;
  skips: number | null;
  drops: number | null;
  engineCpuS: number | null;
  /** CPU seconds of the players process in the window: a load generator near 1.0 core is the bottleneck. */
  playersCpuS: number | null;
  /** Gateway only: upstream bytes per second ingested during the window (all streams). */
  ingestBytesPerS: number | null;
  upstream: {
    sessions: number;
    connections: number;
    requests: number;
    hlsPlaylists: number;
    hlsSegments: number;
  } | null;
}

export interface MeasureOptions {
  system: string;
  server: Service;
  engine?: Service;
  /** Gateway only: its API for skips/drops/ingest and its ring size. */
  gatewayApi?: { url: string; ringBytes: number };
  playerArgs: string[];
}

export async function measure(o: MeasureOptions): Promise<Measured> {
  const sampler = new ProcSampler(o.server.child.pid);
  const engineSampler = o.engine ? new ProcSampler(o.engine.child.pid) : null;
  const engineBefore = o.engine ? await getJson<EngineStats>(`${o.engine.url}/sim/stats`) : null;
  const apiSamples: Array<{ atMs: number; streams: ApiStream[] }> = [];
  const poll = o.gatewayApi
    ? setInterval(() => {
        const atMs = Date.now();
        void getJson<{ streams: ApiStream[] }>(`${o.gatewayApi!.url}/api/v1/streams`).then((r) => {
          if (r) apiSamples.push({ atMs, streams: r.streams });
        });
      }, API_POLL_MS)
    : undefined;
  let report: PlayersReport;
  let playersSampler: ProcSampler | null = null;
  try {
    report = await runPlayersCli(o.server.url, o.playerArgs, (pid) => {
      playersSampler = new ProcSampler(pid);
    });
  } finally {
    if (poll) clearInterval(poll);
    sampler.stop();
    engineSampler?.stop();
    (playersSampler as ProcSampler | null)?.stop();
  }
  const engineAfter = o.engine ? await getJson<EngineStats>(`${o.engine.url}/sim/stats`) : null;
  const finalApi = o.gatewayApi
    ? await getJson<{ streams: ApiStream[] }>(`${o.gatewayApi.url}/api/v1/streams`)
    : null;

  const w0 = report.windowStartMs;
  const w1 = report.windowEndMs;
  const cpu = sampler.between(w0, w1);
  const egress = report.egress.bytesPerSecond;
  const windowBytes = report.egress.windowBytes;
  const rssStart = sampler.at(report.startedAtMs)?.rssBytes ?? 0;
  const rssEnd = sampler.at(w1 - RSS_END_OFFSET_MS)?.rssBytes ?? 0;
  const clients = report.players.ts + report.players.hls;
  const coldClients = report.latencyMs.joinCold.count;
  let ringGrowth = 0;
  let ingest: number | null = null;
  if (o.gatewayApi) {
    const nearest = (t: number) =>
      apiSamples.reduce<(typeof apiSamples)[number] | undefined>(
        (best, s) => (!best || Math.abs(s.atMs - t) < Math.abs(best.atMs - t) ? s : best),
        undefined,
      );
    const a = nearest(report.startedAtMs);
    const b = nearest(w1 - RSS_END_OFFSET_MS);
    const wa = nearest(w0);
    if (wa && b && b.atMs > wa.atMs) {
      const sum = (x: (typeof apiSamples)[number]) => x.streams.reduce((n, st) => n + st.bytes_in, 0);
      ingest = (sum(b) - sum(wa)) / ((b.atMs - wa.atMs) / 1000);
    }
    if (a && b) {
      for (const s of b.streams) {
        const before = a.streams.find((x) => x.stream === s.stream)?.bytes_in ?? 0;
        // Pages of the shared ring are resident once written; writes past one lap touch nothing new.
        ringGrowth += Math.max(
          0,
          Math.min(s.bytes_in, o.gatewayApi.ringBytes) - Math.min(before, o.gatewayApi.ringBytes),
        );
      }
    }
  }
  const added = clients - coldClients;
  const streams = finalApi?.streams ?? [];
  const delta = (k: keyof EngineStats): number =>
    engineAfter && engineBefore ? engineAfter[k] - engineBefore[k] : 0;
  return {
    system: o.system,
    report,
    clients,
    egressBytesPerS: egress,
    cpuS: cpu.cpuS,
    cpuSysS: cpu.sysS,
    wallS: cpu.wallS,
    cpuSPerGB: windowBytes > 0 && cpu.wallS > 0 ? cpu.cpuS / (windowBytes / 1e9) : null,
    rssStartBytes: rssStart,
    rssEndBytes: rssEnd,
    ringGrowthBytes: ringGrowth,
    rssPerClientBytes: added > 0 && rssEnd > 0 ? (rssEnd - rssStart - ringGrowth) / added : null,
    skips: finalApi ? streams.reduce((n, s) => n + s.skips, 0) : null,
    drops: finalApi ? streams.reduce((n, s) => n + s.drops, 0) : null,
    engineCpuS: engineSampler ? engineSampler.between(w0, w1).cpuS : null,
    playersCpuS: playersSampler ? (playersSampler as ProcSampler).between(w0, w1).cpuS : null,
    ingestBytesPerS: ingest,
    upstream:
      engineBefore && engineAfter
        ? {
            sessions: delta('sessionsStarted'),
            connections: delta('playbackConnectionsTotal'),
            requests:
              delta('startRequests') +
              delta('playbackConnectionsTotal') +
              delta('hlsPlaylists') +
              delta('hlsSegments'),
            hlsPlaylists: delta('hlsPlaylists'),
            hlsSegments: delta('hlsSegments'),
          }
        : null,
  };
}
