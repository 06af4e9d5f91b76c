/**
 * The players report: partial results of every thread merged (histograms added, so percentiles are
 * exact), the summary table, and the exit code.
 *
 * Exit codes: 0 healthy (no errors, stalls, or failed checks); 1 degraded (the run completed but saw
 * any of those); 3 nothing worked (no player received a byte). Usage errors exit 2 before a run.
 */
import { bytesHuman, fixed, rateHuman, textTable } from '../util/format.js';
import { type LatencySummary, mergeEncoded, newHistogram, summarize } from '../util/histogram.js';
import {
  HIST_NAMES,
  type HistName,
  newCounters,
  newTotals,
  type PartialResult,
  type PlayersOptions,
} from './types.js';

/** Generator loop delay (p99) above which its own lateness may explain stalls and latencies. */
export const LOOP_DELAY_WARN_MS = 100;

export const EXIT_HEALTHY = 0;
export const EXIT_DEGRADED = 1;
export const EXIT_USAGE = 2;
export const EXIT_FAILED = 3;
/** Ctrl-C: the report covers what ran. */
export const EXIT_INTERRUPTED = 130;

export interface PlayersReport {
  version: 1;
  target: string;
  options: PlayersOptions;
  /** Epoch ms: first (non-cold) player start, measurement window start and end. */
  startedAtMs: number;
  windowStartMs: number;
  windowEndMs: number;
  players: { ts: number; hls: number; joined: number; connectedAtEnd: number };
  latencyMs: Record<HistName, LatencySummary>;
  egress: { bytes: number; windowBytes: number; windowSeconds: number; bytesPerSecond: number };
  hls: { playlists: number; segments: number; segmentBytes: number; windowSegmentsPerSecond: number };
  stalls: {
    events: number;
    tsEvents: number;
    hlsEvents: number;
    stalledPlayers: number;
    /** Players with at least one stall / players that started playing. */
    stallRate: number;
    stalledSeconds: number;
    playedSeconds: number;
    /** Stalled time / (played + stalled time). */
    stallTimeRatio: number;
    neverStarted: number;
    /** Seconds since the ramp began (negative: during the prewarm) with their stall events. */
    timeline: Array<{ atS: number; stalls: number }>;
  };
  validation: {
    syncErrors: number;
    ccErrors: number;
    psiAtJoinFailed: number;
    keyframeAtJoinFailed: number;
    segmentsInvalid: number;
  };
  errors: { total: number; byKind: Record<string, number> };
  /** The load generator's own event-loop delay (worst thread): above LOOP_DELAY_WARN_MS, suspect it first. */
  generator: { loopDelayP99Ms: number; loopDelayMaxMs: number; overloaded: boolean };
  healthy: boolean;
  exitCode: number;
}

export interface RunTimes {
  startedAtMs: number;
  windowStartMs: number;
  windowEndMs: number;
}

export function buildReport(
  options: PlayersOptions,
  partials: readonly PartialResult[],
  times: RunTimes,
): PlayersReport {
  const c = newCounters();
  const t = newTotals();
  const byKind: Record<string, number> = {};
  const hist = Object.fromEntries(HIST_NAMES.map((n) => [n, newHistogram()])) as Record<
    HistName,
    ReturnType<typeof newHistogram>
  >;
  let windowBytes = 0;
  let windowSegments = 0;
  const bySecond = new Map<number, number>();
  for (const p of partials) {
    for (const [sec, n] of Object.entries(p.stallsBySecond))
      bySecond.set(Number(sec), (bySecond.get(Number(sec)) ?? 0) + n);
    for (const k of Object.keys(c) as (keyof typeof c)[]) c[k] += p.counters[k];
    for (const k of Object.keys(t) as (keyof typeof t)[]) t[k] += p.totals[k];
    for (const [k, v] of Object.entries(p.errorsByKind)) byKind[k] = (byKind[k] ?? 0) + v;
    for (const n of HIST_NAMES) mergeEncoded(hist[n], p.histograms[n]);
    windowBytes += p.windowBytes;
    windowSegments += p.windowSegments;
  }
  const latencyMs = Object.fromEntries(HIST_NAMES.map((n) => [n, summarize(hist[n])])) as Record<
    HistName,
    LatencySummary
  >;
  for (const h of Object.values(hist)) h.destroy();
  const windowSeconds = Math.max(0.001, (times.windowEndMs - times.windowStartMs) / 1000);
  const players = t.tsPlayers + t.hlsPlayers;
  const started = players - t.neverStarted;
  const stalledS = t.stalledMs / 1000;
  const playedS = t.playedMs / 1000;
  const validation = {
    syncErrors: t.syncErrors,
    ccErrors: t.ccErrors,
    psiAtJoinFailed: t.psiAtJoinFailed,
    keyframeAtJoinFailed: t.keyframeAtJoinFailed,
    segmentsInvalid: t.segmentsInvalid,
  };
  const realtime = options.pace === 'realtime';
  const healthy =
    c.errors === 0 &&
    c.stalls === 0 &&
    (!realtime || t.neverStarted === 0) &&
    Object.values(validation).every((v) => v === 0);
  return {
    version: 1,
    target: options.baseUrl,
    options,
    ...times,
    players: { ts: t.tsPlayers, hls: t.hlsPlayers, joined: c.joined, connectedAtEnd: t.connectedAtEnd },
    latencyMs,
    egress: { bytes: c.bytes, windowBytes, windowSeconds, bytesPerSecond: windowBytes / windowSeconds },
    hls: {
      playlists: c.playlists,
      segments: c.segments,
      segmentBytes: c.segmentBytes,
      windowSegmentsPerSecond: windowSegments / windowSeconds,
    },
    stalls: {
      events: c.stalls,
      tsEvents: t.tsStalls,
      hlsEvents: t.hlsStalls,
      stalledPlayers: t.stalledPlayers,
      stallRate: started > 0 ? t.stalledPlayers / started : 0,
      stalledSeconds: stalledS,
      playedSeconds: playedS,
      stallTimeRatio: stalledS + playedS > 0 ? stalledS / (stalledS + playedS) : 0,
      neverStarted: realtime ? t.neverStarted : 0,
      timeline: [...bySecond.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([sec, n]) => ({ atS: sec - Math.floor(times.startedAtMs / 1000), stalls: n })),
    },
    validation,
    errors: { total: c.errors, byKind },
    generator: {
      loopDelayP99Ms: Math.max(0, ...partials.map((x) => x.loopDelayP99Ms)),
      loopDelayMaxMs: Math.max(0, ...partials.map((x) => x.loopDelayMaxMs)),
      overloaded: partials.some((x) => x.loopDelayP99Ms > LOOP_DELAY_WARN_MS),
    },
    healthy,
    exitCode: c.bytes === 0 ? EXIT_FAILED : healthy ? EXIT_HEALTHY : EXIT_DEGRADED,
  };
}

/** The human summary printed at the end of a run. */
export function renderSummary(r: PlayersReport): string {
  const lat = (name: string, s: LatencySummary): string[] => [
    name,
    String(s.count),
    fixed(s.p50, 2),
    fixed(s.p95, 2),
    fixed(s.p99, 2),
    fixed(s.max, 2),
  ];
  const L = r.latencyMs;
  const latRows = [
    r.players.ts > 0 ? lat('TS join, warm (request → first byte)', L.joinWarm) : null,
    L.joinCold.count > 0 ? lat('TS join, cold (opens the stream)', L.joinCold) : null,
    r.players.ts > 0 && L.startup.count > 0 ? lat('TS startup (request → playing)', L.startup) : null,
    r.players.hls > 0 ? lat('HLS playlist', L.playlist) : null,
    L.playlistCold.count > 0 ? lat('HLS playlist, cold (first of stream)', L.playlistCold) : null,
    r.players.hls > 0 ? lat('HLS segment download', L.segment) : null,
    r.players.hls > 0 ? lat('HLS startup (playlist → first segment)', L.hlsStartup) : null,
  ].filter((x): x is string[] => x !== null);
  const s = r.stalls;
  const v = r.validation;
  const kinds = Object.entries(r.errors.byKind)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const facts: string[][] = [
    ['target', r.target],
    [
      'players',
      `${r.players.ts} TS + ${r.players.hls} HLS over ${r.options.ids.length} stream(s); ${r.players.joined} joined, ${r.players.connectedAtEnd} connected at the end`,
    ],
    [
      'egress (window)',
      `${rateHuman(r.egress.bytesPerSecond)} over ${fixed(r.egress.windowSeconds, 1)} s; ${bytesHuman(r.egress.bytes)} in all`,
    ],
  ];
  if (r.players.hls > 0) {
    facts.push([
      'HLS',
      `${r.hls.playlists} playlists, ${r.hls.segments} segments (${fixed(r.hls.windowSegmentsPerSecond, 1)}/s in the window)`,
    ]);
  }
  if (r.options.pace === 'realtime') {
    facts.push([
      'stalls',
      `${s.events} stall(s) (TS ${s.tsEvents}, HLS ${s.hlsEvents}) in ${s.stalledPlayers} player(s) (stall rate ${fixed(s.stallRate * 100, 1)} %), ${fixed(s.stalledSeconds, 1)} s stalled of ${fixed(s.playedSeconds + s.stalledSeconds, 1)} s; never started ${s.neverStarted}`,
    ]);
  }
  if (s.timeline.length > 0) {
    const worst = [...s.timeline].sort((a, b) => b.stalls - a.stalls).slice(0, 3);
    facts.push(['stalls by second', worst.map((w) => `${w.stalls} at +${w.atS} s`).join(', ')]);
  }
  facts.push([
    'checks',
    `sync ${v.syncErrors}, continuity ${v.ccErrors}, PAT/PMT at join failed ${v.psiAtJoinFailed}, keyframe at join failed ${v.keyframeAtJoinFailed}, bad segments ${v.segmentsInvalid}`,
  ]);
  facts.push(['errors', r.errors.total === 0 ? '0' : `${r.errors.total} (${kinds})`]);
  const g = r.generator;
  facts.push([
    'load generator',
    `event-loop delay p99 ${fixed(g.loopDelayP99Ms, 1)} ms, max ${fixed(g.loopDelayMaxMs, 1)} ms${g.overloaded ? ' — OVERLOADED: its own lateness may explain stalls and latencies (use --workers or fewer players)' : ''}`,
  ]);
  facts.push([
    'verdict',
    r.exitCode === EXIT_HEALTHY
      ? 'healthy (exit 0)'
      : r.exitCode === EXIT_DEGRADED
        ? 'degraded (exit 1)'
        : 'failed: no bytes received (exit 3)',
  ]);
  const factWidth = Math.max(...facts.map((f) => f[0]!.length));
  return [
    textTable(['latency (ms)', 'count', 'p50', 'p95', 'p99', 'max'], latRows),
    '',
    ...facts.map(([k, val]) => `${k!.padEnd(factWidth)}  ${val}`),
  ].join('\n');
}
