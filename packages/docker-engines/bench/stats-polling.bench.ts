/**
 * Benchmark (not a test): Docker API calls per minute and stats freshness at 0, 5 and 20 engines, the
 * Shardcast scheduler against the fixed 2-second polling of the system it replaces, all measured at the
 * socket through a counting proxy in front of the e2e daemon. Prints a table and one JSON line.
 *
 *   eval "$(scripts/docker-e2e-setup.sh)" && npx tsc -b packages/docker-engines
 *   node packages/docker-engines/dist/bench/stats-polling.bench.js      # BENCH_SECONDS=30 BENCH_ENGINES=0,5,20
 *
 * Freshness: every 100 ms, the age of each engine's latest sample; mean and p95 over the run.
 * dockerd+containerd CPU: their CPU time during the run over its wall time (100 % = one core).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { EngineRegistry } from '@shardcast/engines';
import { CountingProxy } from '../e2e/support/counting-proxy.js';
import { engineLabels, TestDocker } from '../e2e/support/docker-client.js';
import { daemonSocket, sleep, waitFor } from '../e2e/support/env.js';
import { DockerEngines } from '../src/index.js';
import { OldCollector, type OldMode } from './old-collector.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 30);
const COUNTS = (process.env['BENCH_ENGINES'] ?? '0,5,20').split(',').map(Number);
const FRESHNESS_PROBE_MS = 100;
const CLOCK_TICKS_PER_S = 100;

type System = 'shardcast' | `old-${OldMode}`;

interface Row {
  system: System;
  engines: number;
  callsPerMin: number;
  statsPerMin: number;
  listPerMin: number;
  peakPerSec: number;
  freshMeanS: number | null;
  freshP95S: number | null;
  daemonCpuPct: number;
}

const socket = daemonSocket();
const docker = new TestDocker(socket);
const proxy = new CountingProxy(join(tmpdir(), `sc-docker-bench-${process.pid}.sock`), socket);
const dockerdPid = Number(readFileSync(join(dirname(socket), 'dockerd.pid'), 'utf8').trim());

/** CPU ticks of dockerd and its containerd child. */
function daemonTicks(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command: state ppid ... utime(14) stime(15).
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(rest[1]);
    if (Number(pid) === dockerdPid || (ppid === dockerdPid && stat.includes('(containerd)'))) {
      total += Number(rest[11]) + Number(rest[12]);
    }
  }
  return total;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function runOne(system: System, ids: string[]): Promise<Row> {
  const registry = new EngineRegistry({ maxStreamsPerEngine: 4 });
  let sampledAt: (containerId: string) => number | undefined;
  let stop: () => Promise<void>;
  if (system === 'shardcast') {
    // Raw sample times: the registry's stats carry the time of the newest sample.
    const engines = new DockerEngines({
      registry,
      logger: { info() {}, warn() {}, error() {} },
      dockerHost: `unix://${proxy.socketPath}`,
    });
    await engines.start();
    await waitFor(
      () => engines.status().connected && engines.status().engines === ids.length,
      'engines found',
      10_000,
    );
    sampledAt = (id) => registry.get(`docker:${id}`)?.stats?.atMs;
    stop = () => engines.stop();
  } else {
    const old = new OldCollector(proxy.socketPath, system === 'old-burst' ? 'burst' : 'sequential');
    old.start();
    sampledAt = (id) => old.sampledAt.get(id);
    stop = () => old.stop();
  }
  // Warm-up: every engine has a sample (bounded: the sequential collector at 20 engines needs ~45 s).
  const warmDeadline = Date.now() + 90_000;
  while (ids.some((id) => sampledAt(id) === undefined) && Date.now() < warmDeadline) await sleep(100);

  const from = Date.now();
  const ticks0 = daemonTicks();
  const ages: number[] = [];
  while (Date.now() - from < SECONDS * 1000) {
    const now = Date.now();
    for (const id of ids) {
      const at = sampledAt(id);
      if (at !== undefined) ages.push((now - at) / 1000);
    }
    await sleep(FRESHNESS_PROBE_MS);
  }
  const to = Date.now();
  const cpuPct = ((daemonTicks() - ticks0) / CLOCK_TICKS_PER_S / ((to - from) / 1000)) * 100;
  await stop();
  const perMin = (n: number) => (n * 60_000) / (to - from);
  ages.sort((a, b) => a - b);
  return {
    system,
    engines: ids.length,
    callsPerMin: perMin(proxy.calls.filter((c) => c.atMs >= from && c.atMs < to).length),
    statsPerMin: perMin(proxy.count('stats', from, to)),
    listPerMin: perMin(proxy.count('list', from, to)),
    peakPerSec: proxy.maxInWindow(1000, from, to),
    freshMeanS: ages.length ? ages.reduce((a, b) => a + b, 0) / ages.length : null,
    freshP95S: ages.length ? percentile(ages, 0.95) : null,
    daemonCpuPct: cpuPct,
  };
}

function table(rows: Row[]): string {
  const head = [
    'engines',
    'system',
    'calls/min',
    'stats/min',
    'list/min',
    'peak/s',
    'fresh mean s',
    'fresh p95 s',
    'daemon CPU %',
    'calls vs old-seq',
  ];
  const lines = [head];
  for (const r of rows) {
    const base = rows.find((b) => b.engines === r.engines && b.system === 'old-sequential');
    const ratio = base && base.callsPerMin > 0 ? (r.callsPerMin / base.callsPerMin).toFixed(2) : '-';
    const f = (v: number | null, d = 1) => (v === null ? '-' : v.toFixed(d));
    lines.push([
      String(r.engines),
      r.system,
      f(r.callsPerMin),
      f(r.statsPerMin),
      f(r.listPerMin),
      String(r.peakPerSec),
      f(r.freshMeanS, 2),
      f(r.freshP95S, 2),
      f(r.daemonCpuPct),
      ratio,
    ]);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => c.padStart(widths[i]!)).join('  ')).join('\n');
}

async function main(): Promise<void> {
  await proxy.start();
  const rows: Row[] = [];
  const ids: string[] = [];
  try {
    for (const n of COUNTS) {
      const starts: Promise<string>[] = [];
      for (let i = ids.length; i < n; i++) {
        starts.push(
          docker.run({ name: `bench${i}`, cmd: ['sleep', '3600'], labels: engineLabels(18_000 + i) }),
        );
      }
      ids.push(...(await Promise.all(starts)));
      for (const system of ['shardcast', 'old-sequential', 'old-burst'] as const) {
        const row = await runOne(system, ids.slice(0, n));
        rows.push(row);
        console.error(`done: ${n} engines, ${system}`);
      }
    }
  } finally {
    await proxy.stop();
    await docker.removeAll();
  }
  console.log(`Docker stats polling, ${SECONDS} s per run, measured at the socket\n`);
  console.log(table(rows));
  console.log(`\n${JSON.stringify({ seconds: SECONDS, rows })}`);
}

await main();
