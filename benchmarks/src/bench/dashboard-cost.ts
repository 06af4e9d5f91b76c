/**
 * What open dashboards cost the gateway: its CPU (all threads, from /proc) with 0 and with N
 * `/api/v1/live` sockets open, during a TS fan-out load, in alternating phases (0, N, 0, N, ...) so a
 * drift of the load or the machine falls on both sides alike. Each socket is what a dashboard tab holds:
 * it loads the page and the 15-minute history once, then takes one snapshot a second.
 *
 *   node benchmarks/bin/dashboard-cost.js [--dashboards 10] [--ts 200] [--streams 4] [--phase 20] [--rounds 2]
 *
 * Prints one table row and writes benchmarks/results/<date>-dashboard.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'undici';
import { numberFlag, parseFlags } from '../util/args.js';
import { stopAllChildren } from '../util/child.js';
import { describeMachine } from '../util/machine.js';
import { sampleProc } from '../util/proc-stats.js';
import { RESULTS_DIR } from './paths.js';
import { runPlayersCli, startEngineSim, startGateway } from './procs.js';

/** Seconds of load before the first phase (joins, first probes). */
const WARMUP_S = 10;
/** Seconds at the start of a phase that are not measured (sockets opening or closing). */
const SETTLE_S = 3;

function log(m: string): void {
  process.stderr.write(`[dashboard-cost ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Phase {
  dashboards: number;
  cpuPercent: number;
  messages: number;
}

async function openDashboards(
  url: string,
  n: number,
): Promise<{ sockets: WebSocket[]; count: () => number }> {
  let messages = 0;
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i++) {
    // What a tab does once: the page and the history.
    await (await fetch(`${url}/`)).arrayBuffer();
    await (await fetch(`${url}/api/v1/live/history`)).arrayBuffer();
    const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live`);
    ws.addEventListener('message', () => {
      messages++;
    });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error('live socket failed')));
    });
    sockets.push(ws);
  }
  return { sockets, count: () => messages };
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), {
    dashboards: { type: 'string' },
    ts: { type: 'string' },
    streams: { type: 'string' },
    phase: { type: 'string' },
    rounds: { type: 'string' },
  });
  const dashboards = numberFlag(f, 'dashboards', 10, 1, 100, true);
  const ts = numberFlag(f, 'ts', 200, 1, 5000, true);
  const streams = numberFlag(f, 'streams', 4, 1, 100, true);
  const phaseS = numberFlag(f, 'phase', 20, SETTLE_S + 2, 600, true);
  const rounds = numberFlag(f, 'rounds', 2, 1, 20, true);
  const totalS = WARMUP_S + rounds * 2 * phaseS + 10;

  const sim = await startEngineSim('1');
  const gw = await startGateway({ shards: 2, engines: [sim.url] });
  log(`gateway ${gw.url} (pid ${gw.child.pid}); ${ts} TS players on ${streams} streams for ${totalS} s`);
  const load = runPlayersCli(gw.url, [
    '--ts',
    String(ts),
    '--streams',
    String(streams),
    '--duration',
    String(totalS),
  ]);
  await sleep(WARMUP_S * 1000);
  const phases: Phase[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const n of [0, dashboards]) {
      const open = n > 0 ? await openDashboards(gw.url, n) : null;
      await sleep(SETTLE_S * 1000);
      const a = sampleProc(gw.child.pid);
      const m0 = open?.count() ?? 0;
      await sleep((phaseS - SETTLE_S) * 1000);
      const b = sampleProc(gw.child.pid);
      if (!a || !b) throw new Error('the gateway is gone');
      const cpuPercent = ((b.cpuS - a.cpuS) / ((b.atMs - a.atMs) / 1000)) * 100;
      const messages = (open?.count() ?? 0) - m0;
      phases.push({ dashboards: n, cpuPercent, messages });
      log(`${n} dashboards: gateway CPU ${cpuPercent.toFixed(2)} % of one core, ${messages} live messages`);
      for (const ws of open?.sockets ?? []) ws.close();
    }
  }
  const report = await load;
  await stopAllChildren();
  const mean = (n: number): number => {
    const xs = phases.filter((p) => p.dashboards === n).map((p) => p.cpuPercent);
    return xs.reduce((x, y) => x + y, 0) / xs.length;
  };
  const range = (n: number): string => {
    const xs = phases.filter((p) => p.dashboards === n).map((p) => p.cpuPercent);
    return `${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}`;
  };
  const idle = mean(0);
  const watched = mean(dashboards);
  const result = {
    machine: describeMachine(),
    at: new Date().toISOString(),
    load: { ts, streams, player_errors: report.errors.total },
    dashboards,
    phase_seconds: phaseS,
    phases,
    cpu_percent_of_one_core: { without: idle, with: watched, difference: watched - idle },
  };
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${result.at.slice(0, 10)}-dashboard.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `| gateway CPU, 0 vs ${dashboards} dashboards open, ${ts} TS players on ${streams} streams | < 2 % of one core more | ${idle.toFixed(2)} % vs ${watched.toFixed(2)} % of one core (${(watched - idle).toFixed(2)} points; phases ${range(0)} vs ${range(dashboards)}) | ${watched - idle < 2 ? 'met' : 'missed'} |\n`,
  );
  log(`wrote ${file}`);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`dashboard-cost: ${(err as Error).message}\n`);
  await stopAllChildren();
  process.exit(1);
});
