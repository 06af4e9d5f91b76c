/**
 * Soak (`--soak N`): is the gateway's memory flat over time, and do closed streams give their memory
 * back? Phase 1 runs the steady load for N minutes — S streams, TS clients that reconnect every churn
 * period (staggered lanes), HLS players — while sampling the gateway's RSS from /proc, and fits a
 * least-squares line to the samples after the warm-up (rings fill first). Phase 2, on the same gateway
 * once phase 1's streams have closed: opens and closes many streams in batches and reports RSS before,
 * at the peak, and after every stream closed and the grace period expired.
 */
import { request } from 'node:http';
import { streamId } from '../players/options.js';
import type { PlayersReport } from '../players/report.js';
import { fixed } from '../util/format.js';
import { sampleProc } from '../util/proc-stats.js';
import type { SoakParams } from './params.js';
import { getJson, runPlayersCli, type Service, startEngineSim, startGateway } from './procs.js';
import { atMost, type Section, type Target } from './section.js';
import { leastSquaresSlope, type TimedSample, thirdsSlopes, warmupSeconds } from './slope.js';

const MIB = 1024 * 1024;
/** Slope target over the post-warm-up window. */
export const SLOPE_TARGET_MB_PER_MIN = 0.5;
/** RSS after the churn phase, over RSS before it. */
export const RETURN_TARGET_PCT = 10;
/** Deadline for every stream to close (grace included) after a phase's clients left. */
const CLOSE_DEADLINE_MS = 120_000;
/** How long RSS may take to settle once the streams are gone (the gateway collects closed rings ~1-6 s later). */
const SETTLE_DEADLINE_MS = 30_000;
const POLL_MS = 1000;
/** Churn-phase stream ids start here, away from phase 1's ids. */
const CHURN_ID_BASE = 10_000;
/** Load-generator threads of the HLS players process. */
const HLS_WORKERS = 2;
/** Every lane's players ramp up over this long. */
const LANE_RAMP_S = 5;
/** Shortest lane run worth starting near the end. */
const MIN_LANE_RUN_S = 10;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function rssMb(pid: number): number | null {
  const s = sampleProc(pid);
  return s ? s.rssBytes / MIB : null;
}

interface LoadTotals {
  runs: number;
  errors: number;
  stalls: number;
  failedRuns: string[];
}

function addReport(t: LoadTotals, r: PlayersReport): void {
  t.runs++;
  t.errors += r.errors.total;
  t.stalls += r.stalls.events;
}

/** One lane of TS clients: back-to-back players runs of one churn period each until the deadline. */
async function tsLane(
  url: string,
  p: SoakParams,
  clients: number,
  endAtMs: number,
  t: LoadTotals,
): Promise<void> {
  while (true) {
    const left = (endAtMs - Date.now()) / 1000;
    if (left < MIN_LANE_RUN_S) return;
    const duration = Math.min(p.churnPeriodS, left);
    try {
      const r = await runPlayersCli(url, [
        '--ts',
        String(clients),
        '--streams',
        String(p.streams),
        '--duration',
        fixed(duration, 0),
        '--ramp-up',
        String(LANE_RAMP_S),
        '--validate',
        'join',
      ]);
      addReport(t, r);
    } catch (err) {
      t.failedRuns.push((err as Error).message);
      await sleep(POLL_MS);
    }
  }
}

/** GETs a stream's TS for `holdMs` (the stream opens), then hangs up; resolves the bytes received. */
function holdStream(base: string, id: string, holdMs: number): Promise<number> {
  return new Promise((resolve) => {
    let bytes = 0;
    let timer: NodeJS.Timeout | undefined;
    const req = request(`${base}/ace/getstream?id=${id}`, { agent: false }, (res) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      res.on('error', () => {});
    });
    req.on('error', () => {
      clearTimeout(timer);
      resolve(bytes);
    });
    req.end();
    timer = setTimeout(() => {
      req.destroy();
      resolve(bytes);
    }, holdMs);
  });
}

async function streamCount(url: string): Promise<number | null> {
  const r = await getJson<{ streams: unknown[] }>(`${url}/api/v1/streams`);
  return r ? r.streams.length : null;
}

/** Waits until the gateway lists no stream; the milliseconds it took, or null at the deadline. */
async function waitAllClosed(url: string): Promise<number | null> {
  const t0 = Date.now();
  while (Date.now() - t0 < CLOSE_DEADLINE_MS) {
    if ((await streamCount(url)) === 0) return Date.now() - t0;
    await sleep(POLL_MS);
  }
  return null;
}

/**
 * RSS once it has settled below `goalMb`, or the last reading at the deadline (the gateway collects
 * closed rings shortly after they close; glibc may keep some freed memory).
 */
async function settledRss(pid: number, goalMb: number): Promise<{ rssMb: number | null; afterS: number }> {
  const t0 = Date.now();
  let last: number | null = null;
  while (Date.now() - t0 < SETTLE_DEADLINE_MS) {
    last = rssMb(pid);
    if (last !== null && last <= goalMb) break;
    await sleep(POLL_MS);
  }
  return { rssMb: last, afterS: (Date.now() - t0) / 1000 };
}

export interface SoakResult {
  params: SoakParams;
  rssStartMb: number | null;
  samples: TimedSample[];
  warmupS: number;
  slopeMbPerMin: number | null;
  load: LoadTotals;
  phase1ClosedMs: number | null;
  churn: {
    beforeMb: number | null;
    peakMb: number | null;
    afterMb: number | null;
    settleS: number;
    closedMs: number | null;
    openedStreams: number;
    emptyStreams: number;
  } | null;
  errors: string[];
}

async function steadyLoad(
  gw: Service,
  p: SoakParams,
  log: (m: string) => void,
  out: SoakResult,
): Promise<void> {
  const totalS = p.minutes * 60;
  const t0 = Date.now();
  const endAtMs = t0 + totalS * 1000;
  const pid = gw.child.pid;
  const sampler = setInterval(() => {
    const v = rssMb(pid);
    if (v !== null) out.samples.push({ tS: (Date.now() - t0) / 1000, value: v });
  }, p.sampleMs);
  const progress = setInterval(() => {
    const last = out.samples.at(-1);
    log(`soak: ${fixed((Date.now() - t0) / 60_000, 1)} min, RSS ${fixed(last?.value, 0)} MB`);
  }, 60_000);
  try {
    const perLane = Math.round(p.tsClients / p.tsLanes);
    const lanes: Promise<void>[] = [];
    for (let i = 0; i < p.tsLanes; i++) {
      // Staggered: one lane reconnects every churn period / lanes.
      lanes.push(
        sleep((i * p.churnPeriodS * 1000) / p.tsLanes).then(() =>
          tsLane(gw.url, p, perLane, endAtMs, out.load),
        ),
      );
    }
    const hls = runPlayersCli(gw.url, [
      '--hls',
      String(p.hlsPlayers),
      '--streams',
      String(p.streams),
      '--duration',
      String(totalS),
      '--ramp-up',
      String(Math.min(10, totalS / 4)),
      '--workers',
      String(HLS_WORKERS),
    ]).then(
      (r) => addReport(out.load, r),
      (err: Error) => void out.load.failedRuns.push(`hls: ${err.message}`),
    );
    await Promise.all([...lanes, hls]);
  } finally {
    clearInterval(sampler);
    clearInterval(progress);
  }
  out.warmupS = warmupSeconds(totalS);
  const slope = leastSquaresSlope(out.samples, out.warmupS);
  out.slopeMbPerMin = slope === null ? null : slope * 60;
}

async function churnPhase(
  gw: Service,
  p: SoakParams,
  log: (m: string) => void,
): Promise<SoakResult['churn']> {
  const pid = gw.child.pid;
  const beforeMb = rssMb(pid);
  let peakMb = beforeMb ?? 0;
  const peak = setInterval(() => {
    peakMb = Math.max(peakMb, rssMb(pid) ?? 0);
  }, POLL_MS / 2);
  let empty = 0;
  try {
    for (let b = 0; b < p.churnStreams; b += p.churnBatch) {
      const n = Math.min(p.churnBatch, p.churnStreams - b);
      log(`churn: streams ${b + 1}-${b + n} of ${p.churnStreams}`);
      const got = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          holdStream(gw.url, streamId(CHURN_ID_BASE + b + i), p.churnHoldS * 1000),
        ),
      );
      empty += got.filter((x) => x === 0).length;
    }
  } finally {
    clearInterval(peak);
  }
  const closedMs = await waitAllClosed(gw.url);
  peakMb = Math.max(peakMb, rssMb(pid) ?? 0);
  const goal = beforeMb === null ? 0 : beforeMb * (1 + RETURN_TARGET_PCT / 100);
  const settled = await settledRss(pid, goal);
  return {
    beforeMb,
    peakMb,
    afterMb: settled.rssMb,
    settleS: settled.afterS,
    closedMs,
    openedStreams: p.churnStreams,
    emptyStreams: empty,
  };
}

export async function soakRun(p: SoakParams, log: (m: string) => void): Promise<SoakResult> {
  const out: SoakResult = {
    params: p,
    rssStartMb: null,
    samples: [],
    warmupS: 0,
    slopeMbPerMin: null,
    load: { runs: 0, errors: 0, stalls: 0, failedRuns: [] },
    phase1ClosedMs: null,
    churn: null,
    errors: [],
  };
  const engine = await startEngineSim('1');
  try {
    const gw = await startGateway({
      shards: p.shards,
      engines: [engine.url],
      extra: ['--ring-mb', String(p.ringMb), '--grace-seconds', String(p.graceSeconds)],
    });
    try {
      out.rssStartMb = rssMb(gw.child.pid);
      log(
        `soak: ${p.minutes} min, ${p.streams} streams, ${p.tsClients} TS clients (reconnecting every ${p.churnPeriodS} s) and ${p.hlsPlayers} HLS players, --ring-mb ${p.ringMb}`,
      );
      await steadyLoad(gw, p, log, out);
      out.phase1ClosedMs = await waitAllClosed(gw.url);
      if (out.phase1ClosedMs === null) out.errors.push('phase 1 streams did not all close');
      log(`churn: ${p.churnStreams} streams opened and closed in batches of ${p.churnBatch}`);
      out.churn = await churnPhase(gw, p, log);
      if (out.churn?.closedMs === null) out.errors.push('churn streams did not all close');
    } finally {
      await gw.child.stop();
    }
  } catch (err) {
    out.errors.push((err as Error).message);
  } finally {
    await engine.child.stop();
  }
  return out;
}

function mb(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : `${fixed(v, 0)} MB`;
}

function trendNotes(r: SoakResult): string[] {
  const thirds = thirdsSlopes(r.samples, r.warmupS);
  if (thirds.every((v) => v === null)) return [];
  const text = thirds.map((v) => (v === null ? '-' : fixed(v, 2))).join(', ');
  return [`Slope by third of the window after the warm-up, first to last: ${text} MB/min.`];
}

export function soakSection(r: SoakResult, seconds: number): Section {
  const p = r.params;
  const s = r.samples;
  const afterWarm = s.filter((x) => x.tS >= r.warmupS);
  const rows: string[][] = [
    [
      `steady load, ${p.minutes} min`,
      `start ${mb(r.rssStartMb)}; at warm-up end (${fixed(r.warmupS / 60, 1)} min) ${mb(afterWarm[0]?.value)}; end ${mb(s.at(-1)?.value)}; max ${mb(s.length ? Math.max(...s.map((x) => x.value)) : null)}`,
      r.slopeMbPerMin === null ? '-' : `${fixed(r.slopeMbPerMin, 2)} MB/min`,
      `${r.load.runs} players runs, ${r.load.errors} errors, ${r.load.stalls} stalls`,
    ],
  ];
  const c = r.churn;
  if (c) {
    const pct = c.beforeMb && c.afterMb !== null ? (100 * (c.afterMb - c.beforeMb)) / c.beforeMb : null;
    rows.push([
      `churn, ${c.openedStreams} streams`,
      `before ${mb(c.beforeMb)}; peak ${mb(c.peakMb)}; after close ${mb(c.afterMb)} (${pct === null ? '-' : `${pct >= 0 ? '+' : ''}${fixed(pct, 1)} %`})`,
      '-',
      `all closed ${c.closedMs === null ? 'not within the deadline' : `${fixed(c.closedMs / 1000, 0)} s after the last client`}, RSS settled ${fixed(c.settleS, 0)} s later; ${c.emptyStreams} streams sent nothing`,
    ]);
  }
  const pct = c?.beforeMb && c.afterMb !== null ? (100 * (c.afterMb - c.beforeMb)) / c.beforeMb : null;
  const targets: Target[] = [
    atMost(
      `RSS slope over ${p.minutes} min (after warm-up)`,
      r.slopeMbPerMin,
      SLOPE_TARGET_MB_PER_MIN,
      'MB/min',
      2,
    ),
    atMost('RSS after all churn streams closed, over RSS before', pct, RETURN_TARGET_PCT, '%', 1),
  ];
  const notes = [
    `Steady load: ${p.streams} streams from engine-sim at real time, ${p.tsClients} TS clients in ${p.tsLanes} lanes of players runs of ${p.churnPeriodS} s each (staggered, so ${Math.round(p.tsClients / p.tsLanes)} clients hang up and reconnect every ${p.churnPeriodS / p.tsLanes} s), ${p.hlsPlayers} HLS players for the whole run; --shards ${p.shards} --ring-mb ${p.ringMb} --grace-seconds ${p.graceSeconds}. Gateway RSS (VmRSS, main and shard threads) sampled every ${p.sampleMs / 1000} s (${s.length} samples); the slope is the least-squares line through the samples after the warm-up (${fixed(r.warmupS, 0)} s: 20 % of the run, at least 2 min, while the rings' pages are first touched).`,
    `Churn: on the same gateway once phase 1's streams had closed, ${p.churnStreams} new streams in batches of ${p.churnBatch}, each held by one TS client for ${p.churnHoldS} s; "after close" is read once /api/v1/streams is empty (grace expired), polling up to ${SETTLE_DEADLINE_MS / 1000} s for RSS to settle.`,
    ...trendNotes(r),
    ...r.load.failedRuns.slice(0, 5).map((e) => `players run failed: ${e}`),
    ...r.errors,
  ];
  return {
    id: 'soak',
    title: 'Soak: memory over time and after stream churn',
    setup: `${p.minutes} min, ${p.streams} streams, ${p.tsClients} TS clients with churn, ${p.hlsPlayers} HLS players, --ring-mb ${p.ringMb}; then ${p.churnStreams} streams opened and closed`,
    head: ['phase', 'gateway RSS', 'slope', 'load'],
    rows,
    targets,
    notes,
    skipped: false,
    seconds,
    data: r,
  };
}
