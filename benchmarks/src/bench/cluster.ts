/**
 * The cost of the cluster's extra hop: the same TS load (S streams × C real-time clients) against one
 * gateway and against three single-shard gateways behind HAProxy running docker/haproxy.cfg, on this box
 * and one shared engine-sim. Reports egress, engine sessions (one per stream in both: the hash keeps a
 * stream on one node), join p99, and CPU per GB for the gateways and for HAProxy itself.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PlayersReport } from '../players/report.js';
import { Child } from '../util/child.js';
import { fixed, MB } from '../util/format.js';
import { pinned } from '../util/pin.js';
import { ProcSampler } from '../util/proc-stats.js';
import type { SuiteParams } from './params.js';
import { REPO_ROOT } from './paths.js';
import { freePort, getJson, runPlayersCli, type Service, startEngineSim, startGateway } from './procs.js';
import { type Section, skippedSection, zero } from './section.js';

const TITLE = 'Cluster: 3 gateways behind HAProxy vs one gateway';
const NODES = 3;
const GRACE_SECONDS = 30;
const READY_TIMEOUT_MS = 30_000;

interface ClusterRun {
  system: string;
  clients: number;
  egressBytesPerS: number;
  sessions: number;
  joinWarmP99Ms: number;
  joinColdP99Ms: number;
  gatewayCpuS: number;
  haproxyCpuS: number | null;
  windowGB: number;
}

function haproxyAvailable(): boolean {
  return spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
}

async function loadRun(
  system: string,
  url: string,
  gatewayPids: number[],
  haproxyPid: number | null,
  engine: Service,
  args: string[],
): Promise<ClusterRun> {
  const samplers = gatewayPids.map((pid) => new ProcSampler(pid));
  const lb = haproxyPid === null ? null : new ProcSampler(haproxyPid);
  const before = await getJson<{ sessionsStarted: number }>(`${engine.url}/sim/stats`);
  let report: PlayersReport;
  try {
    report = await runPlayersCli(url, args);
  } finally {
    for (const s of samplers) s.stop();
    lb?.stop();
  }
  const after = await getJson<{ sessionsStarted: number }>(`${engine.url}/sim/stats`);
  const w0 = report.windowStartMs;
  const w1 = report.windowEndMs;
  return {
    system,
    clients: report.players.joined,
    egressBytesPerS: report.egress.bytesPerSecond,
    sessions: (after?.sessionsStarted ?? 0) - (before?.sessionsStarted ?? 0),
    joinWarmP99Ms: report.latencyMs.joinWarm.p99,
    joinColdP99Ms: report.latencyMs.joinCold.p99,
    gatewayCpuS: samplers.reduce((n, s) => n + s.between(w0, w1).cpuS, 0),
    haproxyCpuS: lb ? lb.between(w0, w1).cpuS : null,
    windowGB: report.egress.windowBytes / 1e9,
  };
}

async function waitAllUp(statsUrl: string, haproxy: Child): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (haproxy.exited) throw new Error(`haproxy exited: ${haproxy.stderrTail}`);
    try {
      const text = await (await fetch(`${statsUrl};csv`)).text();
      const up = text.split('\n').filter((l) => l.startsWith('gateways,gw') && l.split(',')[17] === 'UP');
      if (up.length === NODES) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('HAProxy did not see every gateway up');
}

export async function clusterBench(p: SuiteParams, log: (m: string) => void): Promise<Section> {
  if (!haproxyAvailable()) return skippedSection('cluster', TITLE, 'haproxy is not installed');
  const t0 = Date.now();
  const streams = p.clusterStreams;
  const clients = streams * p.clusterClientsPerStream;
  const args = [
    '--ts',
    String(clients),
    '--streams',
    String(streams),
    '--duration',
    String(p.clusterDurationS),
    '--ramp-up',
    String(p.clusterRampS),
    '--buffer',
    '2',
    '--validate',
    'join',
  ];
  const extra = ['--grace-seconds', String(GRACE_SECONDS)];
  const engine = await startEngineSim('1');
  const started: Child[] = [engine.child];
  const dir = mkdtempSync(join(tmpdir(), 'sc-cluster-'));
  try {
    log(`cluster: ${clients} TS clients on ${streams} streams, one gateway (${p.shards} shards)`);
    const single = await startGateway({ shards: p.shards, engines: [engine.url], extra });
    started.push(single.child);
    const one = await loadRun('one gateway', single.url, [single.child.pid], null, engine, args);
    await single.child.stop();

    log(`cluster: the same load through HAProxy to ${NODES} gateways (1 shard each)`);
    const nodes: Service[] = [];
    for (let i = 0; i < NODES; i++) {
      const g = await startGateway({ shards: 1, engines: [engine.url], extra });
      nodes.push(g);
      started.push(g.child);
    }
    const lbPort = await freePort();
    const statsPort = await freePort();
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(
      cfg,
      `${readFileSync(join(REPO_ROOT, 'docker/haproxy.cfg'), 'utf8')}\nfrontend bench-stats\n    bind 127.0.0.1:${statsPort}\n    stats enable\n    stats uri /stats\n`,
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      SHARDCAST_LB_BIND: `127.0.0.1:${lbPort}`,
      SHARDCAST_LB_INTER: '500ms',
    };
    nodes.forEach((n, i) => {
      env[`SHARDCAST_GW${i + 1}`] = `127.0.0.1:${n.port}`;
    });
    const hp = pinned('server', 'haproxy', ['-db', '-f', cfg]);
    const haproxy = new Child('haproxy', hp.cmd, hp.args, env);
    started.push(haproxy);
    await waitAllUp(`http://127.0.0.1:${statsPort}/stats`, haproxy);
    const three = await loadRun(
      `${NODES} gateways + HAProxy`,
      `http://127.0.0.1:${lbPort}`,
      nodes.map((n) => n.child.pid),
      haproxy.pid,
      engine,
      args,
    );
    const runs = [one, three];
    const perGB = (cpu: number | null, r: ClusterRun): string =>
      cpu === null || r.windowGB <= 0 ? '-' : fixed(cpu / r.windowGB, 2);
    const rows = runs.map((r) => [
      r.system,
      String(r.clients),
      fixed(r.egressBytesPerS / MB, 1),
      String(r.sessions),
      fixed(r.joinWarmP99Ms, 1),
      fixed(r.joinColdP99Ms, 1),
      perGB(r.gatewayCpuS, r),
      perGB(r.haproxyCpuS, r),
      perGB(r.gatewayCpuS + (r.haproxyCpuS ?? 0), r),
    ]);
    const ratio = one.egressBytesPerS > 0 ? three.egressBytesPerS / one.egressBytesPerS : null;
    return {
      id: 'cluster',
      title: TITLE,
      setup: `${clients} real-time TS clients on ${streams} streams for ${p.clusterDurationS} s; one engine-sim; all on this box (the nodes share its ${p.shards} cores)`,
      head: [
        'system',
        'clients',
        'egress MB/s',
        'engine sessions',
        'join p99 warm ms',
        'join p99 cold ms',
        'gateways CPU s/GB',
        'HAProxy CPU s/GB',
        'total CPU s/GB',
      ],
      rows,
      targets: [
        zero('extra engine sessions, one gateway', one.sessions - streams, 'sessions'),
        zero(`extra engine sessions, ${NODES} gateways behind HAProxy`, three.sessions - streams, 'sessions'),
      ],
      notes: [
        `Egress through the cluster is ${ratio === null ? '-' : fixed(ratio, 2)}x the single gateway's (both paced at real time: equal when nothing is lost).`,
        'Three gateways and HAProxy share the same cores here, so the CPU figures show the cost of the extra hop (HAProxy copies every byte once more), not the capacity a cluster of machines adds.',
      ],
      skipped: false,
      seconds: (Date.now() - t0) / 1000,
      data: { runs },
    };
  } finally {
    for (const c of started.reverse()) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
