/**
 * HLS: P players following the RFC 8216 reload rules on the gateway's warm streams (playlist
 * latency, segment throughput, upstream requests), then a closed-loop segment throughput test of the
 * gateway against nginx serving the identical segment bytes from disk.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { streamId } from '../players/options.js';
import { parsePlaylist } from '../players/playlist.js';
import { fixed, MB } from '../util/format.js';
import { describePinning, pinning } from '../util/pin.js';
import { ProcSampler } from '../util/proc-stats.js';
import { type ProbeResult, startLatencyProbe } from './latency-probe.js';
import { type Measured, measure } from './measure.js';
import { nginxBinary, startNginx } from './nginx.js';
import { abOrder, formatSpread, pairRatios, type Spread, spread } from './pairs.js';
import type { SuiteParams } from './params.js';
import { type Service, serverOperation, startEngineSim, startGateway } from './procs.js';
import { atLeast, atMost, type Section, type Target } from './section.js';
import { type SegLoadResult, segmentLoad } from './seg-load.js';

/** Segments captured for the throughput test (distinct URLs, rotated by the connections). */
const CAPTURE_SEGMENTS = 4;
/** Load-generator threads for HLS players. */
const HLS_PLAYER_WORKERS = 2;
/** Interval of the independent playlist probe during the players run. */
const PROBE_INTERVAL_MS = 50;
/** engine-sim's default HLS segment length (its --hls-segment-seconds). */
const ENGINE_SEGMENT_S = 2;

export interface HlsUpstreamResult {
  players: number;
  streams: number;
  seconds: number;
  engineSegmentFetches: number;
  enginePlaylistFetches: number;
  /** Engine segments fetched per stream per engine segment produced: 1.0 means each once. */
  perStreamSegment: number;
  playerSegments: number;
}

/**
 * The gateway with `--upstream hls`: P players over S streams, and the engine's own counters for how
 * often each engine segment was fetched (once per stream, whatever P is).
 */
export async function hlsUpstreamRun(
  p: SuiteParams,
  log: (m: string) => void,
): Promise<HlsUpstreamResult | string> {
  const players = Math.min(p.hlsPlayers, 500);
  log(`HLS upstream: ${players} players on a gateway with --upstream hls`);
  const engine = await startEngineSim('1');
  try {
    const gw = await startGateway({ shards: p.shards, engines: [engine.url], extra: ['--upstream', 'hls'] });
    try {
      const t0 = Date.now();
      const m = await measure({
        system: 'shardcast',
        server: gw,
        engine,
        playerArgs: [
          '--hls',
          String(players),
          '--streams',
          String(p.rtStreams),
          '--duration',
          String(p.hlsDurationS),
          '--ramp-up',
          String(p.hlsRampS),
          '--workers',
          String(HLS_PLAYER_WORKERS),
        ],
      });
      const seconds = (Date.now() - t0) / 1000;
      const up = m.upstream;
      if (!up) return 'engine counters unavailable';
      const stats = up.hlsSegments;
      return {
        players,
        streams: p.rtStreams,
        seconds,
        engineSegmentFetches: stats,
        enginePlaylistFetches: up.hlsPlaylists,
        perStreamSegment: stats / (p.rtStreams * (seconds / ENGINE_SEGMENT_S)),
        playerSegments: m.report.hls.segments,
      };
    } finally {
      await gw.child.stop();
    }
  } catch (err) {
    return (err as Error).message;
  } finally {
    await engine.child.stop();
  }
}

/** Adds the HLS-upstream run to the HLS section (full mode). */
export function withHlsUpstream(section: Section, r: HlsUpstreamResult | string | null): Section {
  if (r === null) return section;
  if (typeof r === 'string')
    return { ...section, notes: [...section.notes, `HLS upstream run failed: ${r}`] };
  const row = [
    `${r.players} players, --upstream hls`,
    'Shardcast gateway',
    '-',
    '-',
    `${r.playerSegments} segments to players`,
    '-',
    `${r.engineSegmentFetches} engine segment fetches (${fixed(r.perStreamSegment, 2)} per stream-segment)`,
    '-',
    '-',
  ];
  return {
    ...section,
    rows: [...section.rows, row],
    targets: [
      ...section.targets,
      atMost(
        'engine segment fetches per stream-segment (HLS upstream)',
        r.perStreamSegment,
        1.25,
        'fetches',
        2,
      ),
    ],
    notes: [
      ...section.notes,
      `HLS upstream: ${r.streams} streams × ${r.players} players for ${fixed(r.seconds, 0)} s; engine-sim made ${r.engineSegmentFetches} segment and ${r.enginePlaylistFetches} playlist responses while ${r.playerSegments} segments went to players. Each ${ENGINE_SEGMENT_S} s engine segment is fetched once per stream (ratio ≈ 1; above 1 only by the window fetched at stream start), not once per viewer.`,
    ],
    data: { ...(section.data as object), hlsUpstream: r },
  };
}

export async function hlsBench(
  gateway: Service,
  engine: Service,
  p: SuiteParams,
  log: (m: string) => void,
): Promise<Section> {
  const t0 = Date.now();
  const notes: string[] = [];
  log(`HLS: ${p.hlsPlayers} players`);
  let players: Measured | null = null;
  // The same playlist as the players, requested by one steady client in a process of its own.
  // (Its media playlist: the first answer is a multivariant playlist naming the probe's own session.)
  const probe = startLatencyProbe(
    await mediaPlaylistUrl(`${gateway.url}/ace/manifest.m3u8?id=${streamId(0)}`),
    PROBE_INTERVAL_MS,
  );
  let probed: ProbeResult | null = null;
  try {
    players = await measure({
      system: 'shardcast',
      server: gateway,
      engine,
      playerArgs: [
        '--hls',
        String(p.hlsPlayers),
        '--streams',
        String(p.rtStreams),
        '--duration',
        String(p.hlsDurationS),
        '--ramp-up',
        String(p.hlsRampS),
        // Each joining player fetches three segments at once: one generator thread falls behind that burst.
        '--workers',
        String(HLS_PLAYER_WORKERS),
      ],
    });
  } catch (err) {
    notes.push(`players: ${(err as Error).message}`);
  } finally {
    probed = await probe.stop();
  }
  // The shards' own timing of each playlist answer (handler start to response queued), merged on main
  // once a second: what the gateway spends, without the queueing in front of it.
  await new Promise((r) => setTimeout(r, 2000));
  const windowS = Math.min(900, Math.ceil(p.hlsDurationS + p.hlsRampS + 5));
  const manifest = await serverOperation(gateway.url, 'hls_manifest_generation', windowS);
  log('HLS: segment throughput, gateway vs nginx');
  let gw: WithCpu | null = null;
  let ng: WithCpu | null = null;
  const segPairs: Array<{ gateway: WithCpu | null; nginx: WithCpu | null }> = [];
  let segBytes = 0;
  const dir = mkdtempSync(join(tmpdir(), 'sc-hls-bench-'));
  try {
    const captured = await captureSegments(gateway.url, streamId(0), join(dir, 'www'));
    segBytes = captured.bytes;
    if (captured.paths.length === 0) notes.push('no segment could be captured from the gateway playlist');
    else {
      const bin = nginxBinary();
      if (!bin) notes.push('nginx is not installed: no baseline (apt-get install -y nginx-light)');
      const nginx = bin ? await startNginx(bin, dir, join(dir, 'www'), p.shards) : null;
      try {
        // A/B/A/B: the gateway (A), then nginx (B), the same closed loop each time; both stay up.
        for (const { pair, side } of abOrder(p.segPairs)) {
          if (side === 'A') segPairs.push({ gateway: null, nginx: null });
          const slot = segPairs[pair]!;
          if (side === 'A')
            slot.gateway = await withCpu(gateway.child.pid, false, () =>
              segmentLoad('127.0.0.1', gateway.port, captured.paths, p.segConnections, p.segSeconds),
            );
          else if (nginx)
            slot.nginx = await withCpu(nginx.child.pid, true, () =>
              segmentLoad('127.0.0.1', nginx.port, captured.paths, p.segConnections, p.segSeconds),
            );
        }
      } finally {
        await nginx?.child.stop();
      }
      gw = segPairs[0]?.gateway ?? null;
      ng = segPairs[0]?.nginx ?? null;
    }
  } catch (err) {
    notes.push(`segment throughput: ${(err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const gws = segPairs.map((x) => x.gateway);
  const ngs = segPairs.map((x) => x.nginx);
  const segRatio = spread(
    pairRatios(
      gws.map((x) => x?.segmentsPerSecond),
      ngs.map((x) => x?.segmentsPerSecond),
    ),
  );
  const cpuRatio = spread(
    pairRatios(
      gws.map((x) => x?.cpuSPerGB),
      ngs.map((x) => x?.cpuSPerGB),
    ),
  );

  const rows: string[][] = [];
  const targets: Target[] = [];
  if (players) {
    const r = players.report;
    const L = r.latencyMs;
    const up = players.upstream;
    rows.push([
      `${p.hlsPlayers} players (RFC 8216 reloads)`,
      'Shardcast gateway',
      `${fixed(L.playlist.p50, 2)} / ${fixed(L.playlist.p95, 2)} / ${fixed(L.playlist.p99, 2)} / ${fixed(L.playlist.max, 1)}`,
      `${fixed(L.segment.p50, 1)} / ${fixed(L.segment.p99, 1)}`,
      `${fixed(r.hls.windowSegmentsPerSecond, 1)} seg/s, ${fixed(r.egress.bytesPerSecond / MB, 1)} MB/s`,
      '-',
      up
        ? `${up.requests} (${fixed(r.hls.segments > 0 ? up.requests / r.hls.segments : 0, 3)}/segment)`
        : '-',
      `${r.stalls.events}`,
      r.errors.total === 0 ? '0' : `${r.errors.total} (${Object.keys(r.errors.byKind).join(', ')})`,
    ]);
    targets.push(
      atMost(
        `HLS playlist p99 with ${p.hlsPlayers} players (seen by the players)`,
        L.playlist.p99,
        5,
        'ms',
        2,
      ),
    );
    notes.push(
      `Players: ${r.hls.playlists} playlists and ${r.hls.segments} segments in ${r.options.durationS} s over ${p.rtStreams} warm streams; gateway CPU ${fixed(players.wallS > 0 ? players.cpuS / players.wallS : null, 2)} cores; load generator ${fixed(players.playersCpuS !== null && players.wallS > 0 ? players.playersCpuS / players.wallS : null, 2)} cores, event-loop delay p99 ${fixed(r.generator?.loopDelayP99Ms, 0)} ms (max ${fixed(r.generator?.loopDelayMaxMs, 0)} ms). Upstream: the streams' ${p.rtStreams} engine sessions were opened by the TS run and each keeps one TS connection; upstream requests counts every engine request (session starts, playback connections, HLS playlists and segments) made while the players ran.`,
    );
  }
  if (probed && probed.latency.count > 0) {
    const L = probed.latency;
    rows.push([
      `1 probe client during the ${p.hlsPlayers}-player run`,
      'Shardcast gateway',
      `${fixed(L.p50, 2)} / ${fixed(L.p95, 2)} / ${fixed(L.p99, 2)} / ${fixed(L.max, 1)}`,
      '-',
      `${L.count} playlists`,
      '-',
      '-',
      '-',
      `${probed.failures}`,
    ]);
    targets.push(
      atMost(`HLS playlist p99 with ${p.hlsPlayers} players (independent probe)`, L.p99, 5, 'ms', 2),
    );
    notes.push(
      `Probe: one keep-alive client in a process of its own requested stream 0's playlist every ${PROBE_INTERVAL_MS} ms during the players run, scheduled ${probed.priority} so the load generator on its CPU does not delay it (its own event-loop delay p99 ${fixed(probed.selfDelayP99Ms, 1)} ms). The players' figure includes the load generator's event-loop delay; the probe's does not.`,
    );
  }
  if (manifest) {
    rows.push([
      '  hls_manifest_generation (server-side)',
      'Shardcast gateway',
      `${fixed(manifest.p50_ms, 3)} / ${fixed(manifest.p95_ms, 3)} / ${fixed(manifest.p99_ms, 3)} / ${fixed(manifest.max_ms, 1)}`,
      '-',
      `${manifest.count} playlists timed by the shards`,
      '-',
      '-',
      '-',
      '-',
    ]);
  }
  for (const [name, res] of [
    ['Shardcast gateway', gw],
    ['nginx (same bytes from disk)', ng],
  ] as const) {
    if (!res) continue;
    rows.push([
      `segment load, ${p.segConnections} keep-alive conns`,
      name,
      '-',
      `${fixed(res.latencyMs.p50, 1)} / ${fixed(res.latencyMs.p99, 1)}`,
      `${fixed(res.segmentsPerSecond, 0)} seg/s, ${fixed(res.bytesPerSecond / MB, 0)} MB/s`,
      name.startsWith('nginx') || !ng ? '-' : `${fixed(res.segmentsPerSecond / ng.segmentsPerSecond, 2)}×`,
      `server ${fixed(res.serverCores, 2)} cores, ${fixed(res.cpuSPerGB, 2)} CPU s/GB; load generator ${fixed(res.generatorCores, 2)}`,
      '-',
      `${res.errors}`,
    ]);
  }
  if (segPairs.length > 0) {
    const sp = (f: (x: WithCpu) => number) => ({
      g: spread(gws.map((x) => (x ? f(x) : null))),
      n: spread(ngs.map((x) => (x ? f(x) : null))),
    });
    const segs = sp((x) => x.segmentsPerSecond);
    const perGb = sp((x) => x.cpuSPerGB ?? Number.NaN);
    const cores = sp((x) => x.serverCores);
    rows.push([
      `segment load, A/B pairs: median (min–max)`,
      'Shardcast gateway / nginx',
      '-',
      '-',
      `${formatSpread(segs.g, 0, 1, 'seg/s')} / ${formatSpread(segs.n, 0, 1, 'seg/s')}`,
      `${formatSpread(segRatio, 2, 1, '×')}`,
      `CPU s/GB ${formatSpread(perGb.g, 2)} / ${formatSpread(perGb.n, 2)} (ratio ${formatSpread(cpuRatio, 2, 1, '×')}); cores ${formatSpread(cores.g, 2)} / ${formatSpread(cores.n, 2)}`,
      '-',
      `${segPairs.length} pairs`,
    ]);
    if (segRatio)
      notes.push(
        `Segment load pairs, in run order (gateway then nginx each time, both processes up throughout): throughput ratio ${segRatio.values.map((v) => v.toFixed(2)).join(', ')}; CPU s/GB ratio ${cpuRatio?.values.map((v) => v.toFixed(2)).join(', ') ?? '-'}.`,
      );
  }
  targets.push(
    spreadTarget(atLeast('HLS segment throughput vs nginx', segRatio?.median ?? null, 1, '×', 2), segRatio),
  );
  targets.push(
    spreadTarget(atMost('HLS segment CPU s/GB vs nginx', cpuRatio?.median ?? null, 1, '×', 2), cpuRatio),
  );
  if (gw)
    notes.push(
      `Segment load: ${CAPTURE_SEGMENTS} newest segments of one stream (${fixed(segBytes / CAPTURE_SEGMENTS / 1000, 0)} kB average), fetched back to back for ${p.segSeconds} s by each connection; nginx serves the identical bytes from files with sendfile, ${p.shards} workers like the gateway's ${p.shards} shards.`,
    );
  return {
    id: 'hls',
    title: 'HLS players and segments',
    setup: `${p.hlsPlayers} players over ${p.rtStreams} streams for ${p.hlsDurationS} s; segment load ${p.segConnections} connections × ${p.segSeconds} s, ${p.segPairs} A/B pairs; ${describePinning(pinning())}`,
    head: [
      'run',
      'system',
      'playlist p50/p95/p99/max ms',
      'segment p50/p99 ms',
      'throughput',
      'vs nginx',
      'upstream requests',
      'stalls',
      'errors',
    ],
    rows,
    targets,
    notes,
    skipped: false,
    seconds: (Date.now() - t0) / 1000,
    data: {
      players: players
        ? {
            ...players,
            report: undefined,
            latencyMs: players.report.latencyMs,
            hls: players.report.hls,
            stalls: players.report.stalls,
            errors: players.report.errors,
            validation: players.report.validation,
          }
        : null,
      probe: probed,
      manifestServerSide: manifest,
      segmentLoad: {
        gateway: gw,
        nginx: ng,
        capturedBytes: segBytes,
        pairs: segPairs,
        throughputRatio: segRatio,
        cpuPerGbRatio: cpuRatio,
      },
    },
  };
}

type WithCpu = SegLoadResult & {
  serverCores: number;
  /** Server CPU seconds per GB delivered in the load. */
  cpuSPerGB: number | null;
  generatorCores: number;
};

/** A target over pairs: its range next to the median. */
function spreadTarget(t: Target, s: Spread | null): Target {
  if (!s) return t;
  return {
    ...t,
    measured:
      s.n > 1
        ? `${t.measured} (${s.min.toFixed(2)}–${s.max.toFixed(2)}, ${s.n} pairs)`
        : `${t.measured} (1 pair)`,
  };
}

/** Runs `load` while sampling the server's CPU (from /proc) and this process's (the load generator). */
async function withCpu(pid: number, tree: boolean, load: () => Promise<SegLoadResult>): Promise<WithCpu> {
  const sampler = new ProcSampler(pid, 200, tree);
  const from = Date.now();
  const self0 = process.cpuUsage();
  const r = await load();
  const self = process.cpuUsage(self0);
  const to = Date.now();
  sampler.stop();
  const cpu = sampler.between(from, to);
  const wall = (to - from) / 1000;
  return {
    ...r,
    serverCores: cpu.wallS > 0 ? cpu.cpuS / cpu.wallS : 0,
    // cores / (GB per second): the load's byte count is over its own measuring window, the CPU over the sampler's.
    cpuSPerGB: r.bytesPerSecond > 0 && cpu.wallS > 0 ? cpu.cpuS / cpu.wallS / (r.bytesPerSecond / 1e9) : null,
    generatorCores: (self.user + self.system) / 1e6 / wall,
  };
}

/** The media playlist behind `url`: a multivariant answer (a gateway's first answer) is followed once. */
async function mediaPlaylistUrl(url: string): Promise<string> {
  const r = await fetch(url);
  const pl = parsePlaylist(await r.text());
  return pl.kind === 'multivariant' ? new URL(pl.variantUri, url).href : url;
}

/** Downloads the newest segments of a stream into `root` under their URL paths; returns the paths. */
async function captureSegments(
  base: string,
  id: string,
  root: string,
): Promise<{ paths: string[]; bytes: number }> {
  const playlistUrl = await mediaPlaylistUrl(`${base}/ace/manifest.m3u8?id=${id}`);
  const r = await fetch(playlistUrl);
  const pl = parsePlaylist(await r.text());
  if (pl.kind !== 'media') return { paths: [], bytes: 0 };
  const paths: string[] = [];
  let bytes = 0;
  for (const s of pl.segments.slice(-CAPTURE_SEGMENTS)) {
    const u = new URL(s.uri, playlistUrl);
    const res = await fetch(u);
    if (res.status !== 200) continue;
    const body = new Uint8Array(await res.arrayBuffer());
    const file = join(root, u.pathname);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, body);
    paths.push(u.pathname);
    bytes += body.length;
  }
  return { paths, bytes };
}
