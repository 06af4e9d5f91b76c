/**
 * How cost grows (`--only growth`): egress, CPU s/GB and RSS of the gateway as TS clients grow on a fixed
 * number of streams, and as streams grow under a fixed number of clients, each point on a fresh gateway
 * with one engine-sim at real time; the raw-uWS reference at a few points as the baseline of the same run.
 * The tables are built in growth-table.ts.
 */
import { fixed, MB } from '../util/format.js';
import { describePinning, pinning } from '../util/pin.js';
import { kernelTcpBytes, sampleProc } from '../util/proc-stats.js';
import {
  type GrowthPlan,
  type GrowthPoint,
  type GrowthResult,
  type GrowthRun,
  growthPlayerArgs,
  uniquePoints,
} from './growth-table.js';
import { type Measured, measure } from './measure.js';
import { getJson, type Service, startEngineSim, startGateway, startReference } from './procs.js';

const SIDE_POLL_MS = 500;
/** The figures at the end of the window are read this long before it closes, every player still there. */
const END_OFFSET_MS = 500;

interface SideSample {
  atMs: number;
  tcpBytes: number | null;
  ringBytes: number | null;
}

/** Polls the box's kernel TCP memory and (gateway) the rings written, while a run goes on. */
class SidePoller {
  readonly samples: SideSample[] = [];
  readonly #timer: NodeJS.Timeout;
  readonly #api: string | null;
  readonly #ringBytes: number;

  constructor(api: string | null, ringBytes: number) {
    this.#api = api;
    this.#ringBytes = ringBytes;
    this.#timer = setInterval(() => void this.#take(), SIDE_POLL_MS);
  }

  async #take(): Promise<void> {
    const atMs = Date.now();
    const tcpBytes = kernelTcpBytes();
    let ringBytes: number | null = 0;
    if (this.#api) {
      const r = await getJson<{ streams: Array<{ bytes_in: number }> }>(`${this.#api}/api/v1/streams`);
      ringBytes = r ? r.streams.reduce((n, s) => n + Math.min(s.bytes_in, this.#ringBytes), 0) : null;
    }
    this.samples.push({ atMs, tcpBytes, ringBytes });
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  nearest(atMs: number, key: 'tcpBytes' | 'ringBytes'): number | null {
    let best: SideSample | undefined;
    for (const s of this.samples)
      if (s[key] !== null && (!best || Math.abs(s.atMs - atMs) < Math.abs(best.atMs - atMs))) best = s;
    return best ? best[key] : null;
  }
}

function toRun(
  system: GrowthRun['system'],
  p: GrowthPoint,
  m: Measured,
  rssIdle: number,
  tcpIdle: number | null,
  side: SidePoller,
): GrowthRun {
  const r = m.report;
  const end = r.windowEndMs - END_OFFSET_MS;
  return {
    system,
    streams: p.streams,
    clients: p.clients,
    joined: r.players.joined,
    connectedAtEnd: r.players.connectedAtEnd,
    egressBytesPerS: m.egressBytesPerS,
    wallS: m.wallS,
    cpuS: m.cpuS,
    cpuSysS: m.cpuSysS,
    cpuSPerGB: m.cpuSPerGB,
    rssIdleBytes: rssIdle,
    rssEndBytes: m.rssEndBytes,
    ringResidentBytes: system === 'shardcast' ? (side.nearest(end, 'ringBytes') ?? 0) : 0,
    kernelTcpIdleBytes: tcpIdle,
    kernelTcpEndBytes: side.nearest(end, 'tcpBytes'),
    stallEvents: r.stalls.events,
    stalledPlayers: r.stalls.stalledPlayers,
    errors: r.errors.total,
    errorKinds: r.errors.byKind,
    skips: m.skips,
    drops: m.drops,
    joinWarmP99Ms: r.latencyMs.joinWarm.p99,
    playersCpuS: m.playersCpuS,
    engineCpuS: m.engineCpuS,
    loopDelayP99Ms: r.generator.loopDelayP99Ms,
  };
}

async function runPoint(
  system: GrowthRun['system'],
  server: Service,
  engine: Service,
  plan: GrowthPlan,
  p: GrowthPoint,
): Promise<GrowthRun> {
  const ringBytes = plan.ringMb * 1024 * 1024;
  const rssIdle = sampleProc(server.child.pid)?.rssBytes ?? 0;
  const tcpIdle = kernelTcpBytes();
  const side = new SidePoller(system === 'shardcast' ? server.url : null, ringBytes);
  try {
    const m = await measure({
      system,
      server,
      // engine-sim shares the load CPU with the players: its CPU counts in the load CPU's figure (near
      // zero in the reference's runs, which have no upstream).
      engine,
      ...(system === 'shardcast' ? { gatewayApi: { url: server.url, ringBytes } } : {}),
      playerArgs: growthPlayerArgs(plan, p),
    });
    return toRun(system, p, m, rssIdle, tcpIdle, side);
  } finally {
    side.stop();
  }
}

export async function growthRun(
  plan: GrowthPlan,
  shards: number,
  log: (m: string) => void,
): Promise<GrowthResult> {
  const t0 = Date.now();
  const runs: GrowthRun[] = [];
  const errors: string[] = [];
  const points = uniquePoints(plan);
  const maxStreams = Math.max(...points.map((p) => p.streams));
  const engine = await startEngineSim('1');
  try {
    for (const p of points) {
      const at = `${p.clients} clients on ${p.streams} streams`;
      log(`growth: gateway, ${at}`);
      try {
        const gateway = await startGateway({
          shards,
          engines: [engine.url],
          // One engine-sim carries every stream of the point.
          extra: [
            '--ring-mb',
            String(plan.ringMb),
            '--engine-max-streams',
            String(Math.max(100, maxStreams)),
          ],
        });
        try {
          const r = await runPoint('shardcast', gateway, engine, plan, p);
          runs.push(r);
          log(
            `growth:   ${fixed(r.egressBytesPerS / MB, 1)} MB/s, ${fixed(r.wallS > 0 ? r.cpuS / r.wallS : null, 2)} cores, ${fixed(r.cpuSPerGB, 2)} s/GB, RSS ${fixed(r.rssEndBytes / MB, 0)} MB, stalls ${r.stallEvents}, errors ${r.errors}`,
          );
        } finally {
          await gateway.child.stop();
        }
      } catch (err) {
        errors.push(`gateway, ${at}: ${(err as Error).message}`);
      }
      if (!plan.referenceAt.some((q) => q.streams === p.streams && q.clients === p.clients)) continue;
      log(`growth: reference (raw uWS), ${at}`);
      try {
        const ref = await startReference('realtime', shards);
        try {
          const r = await runPoint('reference', ref, engine, plan, p);
          runs.push(r);
          log(`growth:   reference ${fixed(r.cpuSPerGB, 2)} s/GB`);
        } finally {
          await ref.child.stop();
        }
      } catch (err) {
        errors.push(`reference, ${at}: ${(err as Error).message}`);
      }
    }
  } finally {
    await engine.child.stop();
  }
  return {
    plan,
    shards,
    runs,
    errors,
    seconds: (Date.now() - t0) / 1000,
    pinning: describePinning(pinning()),
  };
}
