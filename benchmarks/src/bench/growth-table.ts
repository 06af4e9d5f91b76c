/**
 * How cost grows (the pure part): the plan of points (clients at fixed streams, streams at fixed clients),
 * and the tables built from the measured points — absolute figures per point, and the marginal cost of each
 * step (per 1,000 clients added, per stream added), with notes on what bounded a point (the load
 * generator's core, the server's core).
 */
import { fixed, KIB, MB } from '../util/format.js';
import type { Section } from './section.js';

export interface GrowthPoint {
  readonly streams: number;
  readonly clients: number;
}

export interface GrowthPlan {
  /** Series 1: clients grow, streams fixed. */
  readonly clientSeries: readonly GrowthPoint[];
  /** Series 2: streams grow, total clients fixed (egress stays the same, so CPU s/GB shows the per-stream cost). */
  readonly streamSeries: readonly GrowthPoint[];
  /** Points where the raw-uWS reference also runs (a baseline from the same run). */
  readonly referenceAt: readonly GrowthPoint[];
  readonly rampS: number;
  readonly warmUpS: number;
  readonly windowS: number;
  readonly ringMb: number;
}

export function growthPlan(quick: boolean, ringMb: number): GrowthPlan {
  if (quick) {
    return {
      clientSeries: [
        { streams: 4, clients: 100 },
        { streams: 4, clients: 200 },
      ],
      streamSeries: [
        { streams: 1, clients: 100 },
        { streams: 4, clients: 100 },
      ],
      referenceAt: [{ streams: 4, clients: 200 }],
      rampS: 1,
      warmUpS: 1,
      windowS: 3,
      ringMb,
    };
  }
  return {
    clientSeries: [500, 1000, 2000, 4000].map((clients) => ({ streams: 8, clients })),
    streamSeries: [1, 8, 32, 128].map((streams) => ({ streams, clients: 1000 })),
    referenceAt: [
      { streams: 8, clients: 4000 },
      { streams: 128, clients: 1000 },
    ],
    rampS: 8,
    warmUpS: 4,
    windowS: 20,
    ringMb,
  };
}

export const pointKey = (p: GrowthPoint): string => `${p.streams}x${p.clients}`;

/** Every distinct point in run order (a point shared by both series runs once). */
export function uniquePoints(plan: GrowthPlan): GrowthPoint[] {
  const seen = new Set<string>();
  const out: GrowthPoint[] = [];
  for (const p of [...plan.clientSeries, ...plan.streamSeries]) {
    if (seen.has(pointKey(p))) continue;
    seen.add(pointKey(p));
    out.push(p);
  }
  return out;
}

/** The players CLI arguments of one point: real time, 2 s buffer, validation at join only. */
export function growthPlayerArgs(plan: GrowthPlan, p: GrowthPoint): string[] {
  return [
    '--ts',
    String(p.clients),
    '--streams',
    String(p.streams),
    '--duration',
    String(plan.rampS + plan.warmUpS + plan.windowS),
    '--ramp-up',
    String(plan.rampS),
    '--warm-up',
    String(plan.warmUpS),
    '--buffer',
    '2',
    '--validate',
    'join',
  ];
}

/** One measured run (the gateway's or the reference's) at one point. */
export interface GrowthRun {
  readonly system: 'shardcast' | 'reference';
  readonly streams: number;
  readonly clients: number;
  /** Players that joined / still connected at the end. */
  readonly joined: number;
  readonly connectedAtEnd: number;
  readonly egressBytesPerS: number;
  readonly wallS: number;
  readonly cpuS: number;
  readonly cpuSysS: number;
  readonly cpuSPerGB: number | null;
  /** Server RSS once ready, before any player. */
  readonly rssIdleBytes: number;
  /** Server RSS near the end of the window, every player connected. */
  readonly rssEndBytes: number;
  /** Ring pages written (sum over streams of min(bytes in, ring size)) at that moment; 0 for the reference. */
  readonly ringResidentBytes: number;
  /** Box-wide kernel TCP buffer memory (/proc/net/sockstat, both ends of every loopback connection). */
  readonly kernelTcpIdleBytes: number | null;
  readonly kernelTcpEndBytes: number | null;
  readonly stallEvents: number;
  readonly stalledPlayers: number;
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  readonly skips: number | null;
  readonly drops: number | null;
  readonly joinWarmP99Ms: number;
  readonly playersCpuS: number | null;
  readonly engineCpuS: number | null;
  readonly loopDelayP99Ms: number;
}

export interface GrowthResult {
  readonly plan: GrowthPlan;
  readonly shards: number;
  readonly runs: readonly GrowthRun[];
  readonly errors: readonly string[];
  readonly seconds: number;
  readonly pinning: string;
}

/** A core at or above this share of one CPU counts as saturated. */
export const SATURATED_CORES = 0.9;
/** Egress per client below this share of the stream's rate: the clients did not get the stream in full. */
export const SHORT_EGRESS_SHARE = 0.97;

const cores = (cpuS: number | null, r: GrowthRun): number | null =>
  cpuS !== null && r.wallS > 0 ? cpuS / r.wallS : null;

/** Cores of the load CPU (players + engine-sim) during the window. */
export function loadCores(r: GrowthRun): number | null {
  const p = cores(r.playersCpuS, r);
  if (p === null) return null;
  return p + (cores(r.engineCpuS, r) ?? 0);
}

export function find(
  runs: readonly GrowthRun[],
  p: GrowthPoint,
  system: GrowthRun['system'],
): GrowthRun | null {
  return runs.find((r) => r.system === system && r.streams === p.streams && r.clients === p.clients) ?? null;
}

const mb = (b: number): string => fixed(b / MB, 0);

/** The gateway's RSS with every ring full: what the box needs once the streams have run for a while. */
export function rssRingsFull(r: GrowthRun, ringMb: number): number {
  return r.rssEndBytes - r.ringResidentBytes + r.streams * ringMb * KIB * KIB;
}

function row(series: string, r: GrowthRun, ref: GrowthRun | null, ringMb: number): string[] {
  const kernel =
    r.kernelTcpEndBytes === null || r.kernelTcpIdleBytes === null
      ? '-'
      : fixed((r.kernelTcpEndBytes - r.kernelTcpIdleBytes) / MB, 1);
  return [
    series,
    String(r.streams),
    String(r.clients),
    fixed(r.clients / r.streams, r.clients % r.streams === 0 ? 0 : 1),
    fixed(r.egressBytesPerS / MB, 1),
    fixed(r.clients > 0 ? r.egressBytesPerS / r.clients / 1000 : null, 1),
    fixed(cores(r.cpuS, r), 2),
    fixed(r.cpuSPerGB, 2),
    ref ? fixed(ref.cpuSPerGB, 2) : '-',
    mb(r.rssEndBytes),
    mb(r.rssEndBytes - r.ringResidentBytes),
    mb(r.ringResidentBytes),
    mb(rssRingsFull(r, ringMb)),
    kernel,
    `${r.stallEvents}/${r.stalledPlayers}`,
    r.errors === 0 ? '0' : `${r.errors} (${Object.keys(r.errorKinds).join(', ')})`,
    `${fixed(cores(r.playersCpuS, r), 2)} + ${fixed(cores(r.engineCpuS, r), 2)} / ${fixed(r.loopDelayP99Ms, 0)} ms`,
  ];
}

export const GROWTH_HEAD = [
  'series',
  'streams',
  'clients',
  'clients/stream',
  'egress MB/s',
  'kB/s per client',
  'gateway CPU cores',
  'CPU s/GB',
  'reference CPU s/GB',
  'RSS MB',
  'RSS − rings MB',
  'rings written MB',
  'RSS, rings full MB',
  'kernel TCP MB',
  'stalls/players',
  'errors',
  'load CPU: players + engine / loop p99',
];

/** What bounded each point: a saturated load core or server core, clients short of the stream, failures. */
export function pointWarnings(r: GrowthRun, streamBytesPerS: number | null): string[] {
  const at = `${r.clients} clients on ${r.streams} streams`;
  const out: string[] = [];
  const load = loadCores(r);
  if (load !== null && load >= SATURATED_CORES)
    out.push(
      `${at} (${r.system}): the load CPU was saturated (players ${fixed(cores(r.playersCpuS, r), 2)} + engine-sim ${fixed(cores(r.engineCpuS, r), 2)} cores, loop p99 ${fixed(r.loopDelayP99Ms, 0)} ms): the load generator, not the server, bounds this point.`,
    );
  const server = cores(r.cpuS, r);
  if (server !== null && server >= SATURATED_CORES)
    out.push(`${at} (${r.system}): the server's core was saturated (${fixed(server, 2)} cores).`);
  if (
    streamBytesPerS !== null &&
    r.clients > 0 &&
    r.egressBytesPerS / r.clients < streamBytesPerS * SHORT_EGRESS_SHARE
  )
    out.push(
      `${at} (${r.system}): clients received ${fixed(r.egressBytesPerS / r.clients / 1000, 1)} kB/s each, under the stream's ${fixed(streamBytesPerS / 1000, 1)} kB/s: they fell behind.`,
    );
  if (r.joined < r.clients) out.push(`${at} (${r.system}): only ${r.joined} of ${r.clients} clients joined.`);
  if (r.connectedAtEnd < r.joined)
    out.push(
      `${at} (${r.system}): ${r.joined - r.connectedAtEnd} clients were no longer connected at the end.`,
    );
  return out;
}

/** The stream's rate: the median over gateway runs of egress per client (demand-bound at real time). */
export function streamRate(runs: readonly GrowthRun[]): number | null {
  const v = runs
    .filter((r) => r.system === 'shardcast' && r.clients > 0 && r.egressBytesPerS > 0)
    .map((r) => r.egressBytesPerS / r.clients)
    .sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

export function growthSection(g: GrowthResult): Section {
  const { plan } = g;
  const rows: string[][] = [];
  const notes: string[] = [];
  const rate = streamRate(g.runs);
  for (const [label, series] of [
    ['clients', plan.clientSeries],
    ['streams', plan.streamSeries],
  ] as const) {
    for (const p of series) {
      const r = find(g.runs, p, 'shardcast');
      const ref = find(g.runs, p, 'reference');
      if (r) rows.push(row(label, r, ref, plan.ringMb));
      else rows.push([label, String(p.streams), String(p.clients), ...GROWTH_HEAD.slice(3).map(() => '-')]);
    }
  }
  for (const p of plan.referenceAt) {
    const ref = find(g.runs, p, 'reference');
    if (ref) rows.push(row('reference', ref, null, 0));
  }
  for (const r of g.runs) notes.push(...pointWarnings(r, rate));
  for (const e of g.errors) notes.push(`failed: ${e}`);
  const c = plan.clientSeries[0];
  const s = plan.streamSeries[0];
  notes.push(
    `Series "clients": ${plan.clientSeries.map((p) => p.clients).join(' / ')} clients on ${c?.streams ?? '?'} streams. Series "streams": ${plan.streamSeries.map((p) => p.streams).join(' / ')} streams sharing ${s?.clients ?? '?'} clients (round-robin): the total is fixed so egress is the same on every row and any change in CPU s/GB is what the streams themselves cost. A point in both series is one run, shown twice.`,
  );
  notes.push(
    `Each point: a fresh gateway (--shards ${g.shards}, --ring-mb ${plan.ringMb}), one engine-sim at real time for the whole section, one players process (TS, 2 s buffer, validation at join); ramp ${plan.rampS} s, warm-up ${plan.warmUpS} s, then a ${plan.windowS} s window. ${g.pinning}.`,
  );
  notes.push(
    "Columns: egress = bytes the clients received in the window / its seconds; CPU = utime + stime of every gateway thread (/proc) over the window; RSS = VmRSS near the end of the window; rings written = pages of the shared rings written so far (Σ min(bytes in, ring size)), resident once written; RSS, rings full = RSS − rings written + streams × ring size, the memory once every ring has lapped (a stream fills its ring after ring size / stream rate); kernel TCP = growth of the box-wide TCP buffer memory (/proc/net/sockstat) over the idle box, both ends of every loopback connection; stalls = events / players that stalled; load CPU = players + engine-sim on the load CPU, with the players' event-loop p99.",
  );
  return {
    id: 'growth',
    title: 'How cost grows: clients and streams',
    setup: `${uniquePoints(plan).length} gateway points, ${plan.referenceAt.length} reference points; window ${plan.windowS} s each`,
    head: GROWTH_HEAD,
    rows,
    targets: [],
    notes,
    skipped: false,
    seconds: g.seconds,
    data: g,
  };
}

export interface GrowthStep {
  readonly series: 'clients' | 'streams';
  readonly from: GrowthPoint;
  readonly to: GrowthPoint;
  /** Clients added (series "clients") or streams added (series "streams"). */
  readonly added: number;
  readonly coresAdded: number | null;
  /** RSS growth without the rings, bytes. */
  readonly rssAddedBytes: number;
  readonly kernelTcpAddedBytes: number | null;
  readonly cpuPerGbFrom: number | null;
  readonly cpuPerGbTo: number | null;
}

/** The marginal cost of each step of both series, from the gateway's runs. */
export function growthSteps(plan: GrowthPlan, runs: readonly GrowthRun[]): GrowthStep[] {
  const out: GrowthStep[] = [];
  for (const [series, pts] of [
    ['clients', plan.clientSeries],
    ['streams', plan.streamSeries],
  ] as const) {
    for (let i = 1; i < pts.length; i++) {
      const a = find(runs, pts[i - 1]!, 'shardcast');
      const b = find(runs, pts[i]!, 'shardcast');
      if (!a || !b) continue;
      const ka = a.kernelTcpEndBytes !== null && a.kernelTcpIdleBytes !== null;
      const kb = b.kernelTcpEndBytes !== null && b.kernelTcpIdleBytes !== null;
      const ca = cores(a.cpuS, a);
      const cb = cores(b.cpuS, b);
      out.push({
        series,
        from: pts[i - 1]!,
        to: pts[i]!,
        added: series === 'clients' ? b.clients - a.clients : b.streams - a.streams,
        coresAdded: ca !== null && cb !== null ? cb - ca : null,
        rssAddedBytes: b.rssEndBytes - b.ringResidentBytes - (a.rssEndBytes - a.ringResidentBytes),
        kernelTcpAddedBytes:
          ka && kb
            ? b.kernelTcpEndBytes! - b.kernelTcpIdleBytes! - (a.kernelTcpEndBytes! - a.kernelTcpIdleBytes!)
            : null,
        cpuPerGbFrom: a.cpuSPerGB,
        cpuPerGbTo: b.cpuSPerGB,
      });
    }
  }
  return out;
}

export function growthStepsSection(plan: GrowthPlan, runs: readonly GrowthRun[]): Section {
  const steps = growthSteps(plan, runs);
  const rows = steps.map((s) => {
    const per = s.added > 0 ? (s.series === 'clients' ? 1000 / s.added : 1 / s.added) : null;
    const unit = s.series === 'clients' ? 'per 1,000 clients' : 'per stream';
    return [
      s.series,
      `${s.from.clients}@${s.from.streams} → ${s.to.clients}@${s.to.streams}`,
      unit,
      per === null || s.coresAdded === null ? '-' : fixed(s.coresAdded * per, s.series === 'clients' ? 3 : 4),
      per === null
        ? '-'
        : s.series === 'clients'
          ? fixed(s.rssAddedBytes / s.added / KIB, 1)
          : fixed(s.rssAddedBytes / s.added / MB, 2),
      per === null || s.kernelTcpAddedBytes === null
        ? '-'
        : s.series === 'clients'
          ? fixed(s.kernelTcpAddedBytes / s.added / KIB, 1)
          : fixed(s.kernelTcpAddedBytes / s.added / MB, 2),
      `${fixed(s.cpuPerGbFrom, 2)} → ${fixed(s.cpuPerGbTo, 2)}`,
    ];
  });
  return {
    id: 'growth-steps',
    title: 'How cost grows: the marginal cost of each step',
    setup: 'differences between consecutive points of each series (gateway runs)',
    head: [
      'series',
      'step (clients@streams)',
      'unit',
      'CPU cores added',
      'RSS − rings added (KiB/client or MB/stream)',
      'kernel TCP added (KiB/client or MB/stream)',
      'CPU s/GB',
    ],
    rows,
    targets: [],
    notes: [
      'Series "clients": cores and memory added per 1,000 clients (RSS and kernel TCP in KiB per client added); series "streams": per stream added, at the same total clients and egress (RSS and kernel TCP in MB per stream added). RSS here leaves the rings out (they are counted by the rings columns of the table above); each stream also adds its full ring once it has lapped.',
      'Each figure is the difference of two single runs: CPU differences under ~0.02 cores are within the run-to-run noise of this box.',
    ],
    skipped: false,
    seconds: 0,
    data: steps,
  };
}
