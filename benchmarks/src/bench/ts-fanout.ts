/**
 * TS fan-out: S streams × C clients through the gateway, the raw-uWS reference server (the
 * ceiling: same bytes from memory) and the naive one-upstream-per-viewer proxy, at real time and unpaced.
 */
import { fixed, KIB, MB } from '../util/format.js';
import { describePinning, pinning } from '../util/pin.js';
import type { LoopbackResult } from './loopback.js';
import { type Measured, measure } from './measure.js';
import { abOrder, formatSpread, pairRatios, type Spread, spread } from './pairs.js';
import type { SuiteParams } from './params.js';
import { type Service, startEngineSim, startGateway, startNaive, startReference } from './procs.js';
import { atLeast, atMost, type Section, type Target, zero } from './section.js';

export type Mode = 'realtime' | 'max';

/** The gateway's ring size in the suite (its default), needed to correct RSS for ring pages. */
export const RING_MB = 48;
/** Long enough that streams survive between the TS and HLS runs on one gateway. */
export const GRACE_SECONDS = 30;
/**
 * Unpaced runs lift the slow-client lag rule: it counts media seconds (15 by default), which an unpaced
 * source produces in milliseconds, so every client would skip every tick and the run would measure the
 * skip policy, not fan-out. The ring's lap margin still applies (the gateway's slow-client tests do the same).
 */
const UNPACED_LAG_SECONDS = 600;

export interface ModeResult {
  mode: Mode;
  streams: number;
  perStream: number;
  /** The first pair's runs (the main table's rows). */
  gateway: Measured | null;
  reference: Measured | null;
  naive: Measured | null;
  /** Every A/B pair, in run order: gateway (A) then reference (B), each on a freshly started server. */
  pairs: Array<{ gateway: Measured | null; reference: Measured | null }>;
  errors: string[];
}

export function playerArgs(mode: Mode, p: SuiteParams, validate: 'full' | 'join'): string[] {
  const rt = mode === 'realtime';
  const streams = rt ? p.rtStreams : p.maxStreams;
  const clients = streams * (rt ? p.rtClientsPerStream : p.maxClientsPerStream);
  const args = [
    '--ts',
    String(clients),
    '--streams',
    String(streams),
    '--duration',
    String(rt ? p.rtDurationS : p.maxDurationS),
    '--ramp-up',
    String(rt ? p.rtRampS : p.maxRampS),
  ];
  if (rt) args.push('--buffer', '2', '--validate', validate);
  else args.push('--pace', 'none', '--validate', 'join');
  return args;
}

/**
 * Runs one mode against the three systems. `withGateway` runs extra benchmarks on the gateway while it
 * (and its warm streams) still exist.
 */
export async function runTsMode(
  mode: Mode,
  p: SuiteParams,
  log: (m: string) => void,
  withGateway?: (gateway: Service, engine: Service) => Promise<void>,
): Promise<ModeResult> {
  const rt = mode === 'realtime';
  const out: ModeResult = {
    mode,
    streams: rt ? p.rtStreams : p.maxStreams,
    perStream: rt ? p.rtClientsPerStream : p.maxClientsPerStream,
    gateway: null,
    reference: null,
    naive: null,
    pairs: [],
    errors: [],
  };
  const rate = rt ? '1' : 'max';
  const engine = await startEngineSim(rate);
  try {
    // A/B/A/B: the gateway (A) and the reference (B) alternate, each started fresh for its run, so slow
    // drifts of the machine (other work, thermal, page cache) fall on both sides of every pair.
    for (const { pair, side } of abOrder(p.tsPairs)) {
      if (side === 'A') out.pairs.push({ gateway: null, reference: null });
      const slot = out.pairs[pair]!;
      const tag = `pair ${pair + 1}/${p.tsPairs}`;
      if (side === 'A') {
        log(`TS ${mode}: gateway (${tag})`);
        const gateway = await startGateway({
          shards: p.shards,
          engines: [engine.url],
          extra: [
            '--ring-mb',
            String(RING_MB),
            '--grace-seconds',
            String(GRACE_SECONDS),
            ...(rt ? [] : ['--client-lag-seconds', String(UNPACED_LAG_SECONDS)]),
          ],
        });
        try {
          slot.gateway = await measure({
            system: 'shardcast',
            server: gateway,
            engine,
            gatewayApi: { url: gateway.url, ringBytes: RING_MB * 1024 * 1024 },
            playerArgs: playerArgs(mode, p, 'full'),
          });
          if (pair === 0 && withGateway) await withGateway(gateway, engine);
        } catch (err) {
          out.errors.push(`gateway (${tag}): ${(err as Error).message}`);
        } finally {
          await gateway.child.stop();
        }
      } else {
        log(`TS ${mode}: reference (raw uWS) (${tag})`);
        const ref = await startReference(mode, p.shards);
        try {
          slot.reference = await measure({
            system: 'reference',
            server: ref,
            playerArgs: playerArgs(mode, p, 'join'),
          });
        } catch (err) {
          out.errors.push(`reference (${tag}): ${(err as Error).message}`);
        } finally {
          await ref.child.stop();
        }
      }
    }
    out.gateway = out.pairs[0]?.gateway ?? null;
    out.reference = out.pairs[0]?.reference ?? null;
    if (rt || p.naiveUnpaced) {
      log(`TS ${mode}: naive proxy`);
      const naive = await startNaive(engine.url);
      try {
        out.naive = await measure({
          system: 'naive',
          server: naive,
          engine,
          playerArgs: playerArgs(mode, p, 'full'),
        });
      } catch (err) {
        out.errors.push(`naive: ${(err as Error).message}`);
      } finally {
        await naive.child.stop();
      }
    }
  } finally {
    await engine.child.stop();
  }
  return out;
}

const SYSTEM_LABEL: Record<string, string> = {
  shardcast: 'Shardcast gateway',
  reference: 'reference (raw uWS, from memory)',
  naive: 'naive proxy (1 upstream/viewer)',
};

function row(m: Measured, mode: Mode, ceiling: Measured | null): string[] {
  const r = m.report;
  const ratio = ceiling && ceiling.egressBytesPerS > 0 ? m.egressBytesPerS / ceiling.egressBytesPerS : null;
  const v = r.validation;
  return [
    mode === 'realtime' ? 'real time' : 'unpaced',
    SYSTEM_LABEL[m.system] ?? m.system,
    `${m.clients}`,
    fixed(m.egressBytesPerS / MB, 1),
    ratio === null ? '-' : `${fixed(ratio * 100, 0)} %`,
    fixed(m.wallS > 0 ? m.cpuS / m.wallS : null, 2),
    fixed(m.cpuSPerGB, 2),
    m.rssPerClientBytes === null
      ? '-'
      : m.rssPerClientBytes <= 0
        ? '≈0'
        : fixed(m.rssPerClientBytes / KIB, 1),
    fixed(r.latencyMs.joinWarm.p50, 1),
    fixed(r.latencyMs.joinWarm.p99, 1),
    m.skips === null ? '-' : `${m.skips}/${m.drops}`,
    mode === 'realtime' ? `${r.stalls.events}` : '-',
    `${v.ccErrors}/${v.syncErrors}`,
    m.upstream ? `${m.upstream.connections}` : '-',
    fixed(m.engineCpuS !== null && m.wallS > 0 ? m.engineCpuS / m.wallS : null, 2),
    m.ingestBytesPerS === null ? '-' : fixed(m.ingestBytesPerS / MB, 1),
    `${fixed(m.playersCpuS !== null && m.wallS > 0 ? m.playersCpuS / m.wallS : null, 2)} / ${fixed(r.generator?.loopDelayP99Ms, 0)} ms`,
    r.errors.total === 0 ? '0' : `${r.errors.total} (${Object.keys(r.errors.byKind).join(', ')})`,
  ];
}

export function tsSection(results: ModeResult[], loopback: LoopbackResult | null, seconds: number): Section {
  const rows: string[][] = [];
  const targets: Target[] = [];
  const notes: string[] = [];
  const data: Record<string, unknown> = {};
  for (const res of results) {
    for (const m of [res.gateway, res.reference, res.naive])
      if (m) rows.push(row(m, res.mode, res.reference));
    for (const e of res.errors) notes.push(`${res.mode}: ${e}`);
    data[res.mode] = {
      streams: res.streams,
      perStream: res.perStream,
      systems: [res.gateway, res.reference, res.naive].filter(Boolean).map((m) => summarizeMeasured(m!)),
      pairs: res.pairs.map((x) => ({
        gateway: x.gateway ? summarizeMeasured(x.gateway) : null,
        reference: x.reference ? summarizeMeasured(x.reference) : null,
      })),
      pairFigures: pairFigures(res),
      errors: res.errors,
    };
  }
  if (loopback) {
    const cells = ['limit', 'loopback TCP (iperf3, 2 streams)', '-', fixed(loopback.dualBytesPerS / MB, 0)];
    rows.push([...cells, ...Array.from({ length: 14 }, () => '-')]);
  }
  const rt = results.find((r) => r.mode === 'realtime');
  const mx = results.find((r) => r.mode === 'max');
  const rtPairs = rt ? pairFigures(rt) : null;
  const mxPairs = mx ? pairFigures(mx) : null;
  targets.push(
    withSpread(
      atLeast(
        'TS egress vs raw-uWS ceiling (unpaced)',
        mxPairs?.egressRatio ? mxPairs.egressRatio.median * 100 : null,
        80,
        '%',
        0,
      ),
      mxPairs?.egressRatio ?? null,
      0,
      100,
    ),
  );
  for (const [label, f] of [
    ['real time', rtPairs],
    ['unpaced', mxPairs],
  ] as const) {
    targets.push(
      withSpread(
        atMost(`TS CPU s/GB vs raw-uWS reference (${label})`, f?.cpuPerGbRatio?.median ?? null, 1.15, '×', 2),
        f?.cpuPerGbRatio ?? null,
        2,
        1,
      ),
    );
  }
  const g = rt?.gateway;
  targets.push(
    atMost('TS join p99, warm stream (real time)', g ? g.report.latencyMs.joinWarm.p99 : null, 50, 'ms'),
  );
  targets.push(
    atMost(
      'gateway RSS per connected client',
      g?.rssPerClientBytes != null ? g.rssPerClientBytes / KIB : null,
      64,
      'KiB',
    ),
  );
  targets.push(
    zero(
      'skips + drops for clients that keep up (real time)',
      g && g.skips !== null ? g.skips + (g.drops ?? 0) : null,
      'events',
    ),
  );
  if (g) {
    notes.push(
      `real time: ${rt!.streams} streams × ${rt!.perStream} clients; gateway used ${g.upstream?.connections ?? '?'} upstream connection(s), the naive proxy ${rt!.naive?.upstream?.connections ?? '?'}; engine-sim CPU during the window: gateway run ${fixed(g.engineCpuS, 1)} s, naive run ${fixed(rt!.naive?.engineCpuS, 1)} s.`,
    );
    notes.push(
      `RSS per client = (RSS at the end of the window − RSS when the ramp began − ring pages written meanwhile, ${fixed(g.ringGrowthBytes / MB, 1)} MB) / clients added.`,
    );
  }
  if (mx && !mx.naive) notes.push('unpaced: the naive proxy runs in full mode only.');
  if (mx) {
    notes.push(
      `unpaced: ${mx.streams} streams × ${mx.perStream} clients, engine-sim at --rate max, players read as fast as they can (--pace none --validate join), gateway with --client-lag-seconds ${UNPACED_LAG_SECONDS}; skips remain (no client keeps up with an unpaced source: the ring laps it). The gateway also ingests and parses every stream at full speed (ingest column) and engine-sim produces them, on the same cores: the reference pays neither.`,
    );
  }
  notes.push(
    'engine CPU = engine-sim process (cores) while it feeds that system; players CPU = the load generator process: on 2 cores, the server gets what these two leave.',
  );
  notes.push(
    'Columns: CPU = server process CPU seconds per wall second (cores); CPU s/GB over the egress; join = request to first body byte; skips/drops from the gateway API; cc/sync = continuity and sync errors seen by players.',
  );
  return {
    id: 'ts-fanout',
    title: 'TS fan-out',
    setup: `${rt ? `${rt.streams}×${rt.perStream} real time for ${rt.gateway?.report.options.durationS ?? '?'} s; ` : ''}${mx ? `${mx.streams}×${mx.perStream} unpaced; ` : ''}rows: the first A/B pair (all pairs in the next table); ${describePinning(pinning())}`,
    head: [
      'mode',
      'system',
      'clients',
      'egress MB/s',
      'vs ceiling',
      'CPU cores',
      'CPU s/GB',
      'RSS/client KiB',
      'join p50 ms',
      'join p99 ms',
      'skips/drops',
      'stalls',
      'cc/sync err',
      'upstream conns',
      'engine CPU',
      'ingest MB/s',
      'players CPU / loop p99',
      'errors',
    ],
    rows,
    targets,
    notes,
    skipped: false,
    seconds,
    data,
  };
}

export function summarizeMeasured(m: Measured): Record<string, unknown> {
  const { report, ...rest } = m;
  return {
    ...rest,
    players: report.players,
    latencyMs: report.latencyMs,
    egress: report.egress,
    hls: report.hls,
    stalls: report.stalls,
    validation: report.validation,
    errors: report.errors,
    window: { startMs: report.windowStartMs, endMs: report.windowEndMs },
  };
}

/** The pairs' figures: each system's spread, and the ratio taken within each pair. */
export interface PairFigures {
  pairs: number;
  gatewayEgress: Spread | null;
  referenceEgress: Spread | null;
  egressRatio: Spread | null;
  gatewayCpuPerGb: Spread | null;
  referenceCpuPerGb: Spread | null;
  cpuPerGbRatio: Spread | null;
  gatewayCores: Spread | null;
  referenceCores: Spread | null;
  gatewaySysShare: Spread | null;
  referenceSysShare: Spread | null;
}

export function pairFigures(res: ModeResult): PairFigures {
  const g = res.pairs.map((x) => x.gateway);
  const r = res.pairs.map((x) => x.reference);
  const egress = (m: Measured | null) => m?.egressBytesPerS ?? null;
  const perGb = (m: Measured | null) => m?.cpuSPerGB ?? null;
  const cores = (m: Measured | null) => (m && m.wallS > 0 ? m.cpuS / m.wallS : null);
  const sys = (m: Measured | null) => (m && m.cpuS > 0 ? m.cpuSysS / m.cpuS : null);
  return {
    pairs: res.pairs.filter((x) => x.gateway && x.reference).length,
    gatewayEgress: spread(g.map(egress)),
    referenceEgress: spread(r.map(egress)),
    egressRatio: spread(pairRatios(g.map(egress), r.map(egress))),
    gatewayCpuPerGb: spread(g.map(perGb)),
    referenceCpuPerGb: spread(r.map(perGb)),
    cpuPerGbRatio: spread(pairRatios(g.map(perGb), r.map(perGb))),
    gatewayCores: spread(g.map(cores)),
    referenceCores: spread(r.map(cores)),
    gatewaySysShare: spread(g.map(sys)),
    referenceSysShare: spread(r.map(sys)),
  };
}

/** A target whose measured figure is a median over pairs: the range goes next to it. */
function withSpread(t: Target, s: Spread | null, digits: number, scale: number): Target {
  if (!s || s.n < 2) return s ? { ...t, measured: `${t.measured} (1 pair)` } : t;
  return {
    ...t,
    measured: `${t.measured} (${(s.min * scale).toFixed(digits)}–${(s.max * scale).toFixed(digits)}, ${s.n} pairs)`,
  };
}

/** The A/B table: per mode, Shardcast and the reference over every pair, and the within-pair ratios. */
export function tsPairsSection(results: ModeResult[]): Section {
  const rows: string[][] = [];
  const notes: string[] = [];
  const data: Record<string, unknown> = {};
  for (const res of results) {
    const f = pairFigures(res);
    const mode = res.mode === 'realtime' ? 'real time' : 'unpaced';
    const n = `${f.pairs}`;
    rows.push(
      [
        mode,
        'egress MB/s',
        formatSpread(f.gatewayEgress, 1, 1 / MB),
        formatSpread(f.referenceEgress, 1, 1 / MB),
        formatSpread(f.egressRatio, 0, 100, '%'),
        n,
      ],
      [
        mode,
        'CPU s/GB',
        formatSpread(f.gatewayCpuPerGb, 2),
        formatSpread(f.referenceCpuPerGb, 2),
        formatSpread(f.cpuPerGbRatio, 2, 1, '×'),
        n,
      ],
      [mode, 'CPU cores', formatSpread(f.gatewayCores, 2), formatSpread(f.referenceCores, 2), '-', n],
      [
        mode,
        'kernel share of CPU',
        formatSpread(f.gatewaySysShare, 0, 100, '%'),
        formatSpread(f.referenceSysShare, 0, 100, '%'),
        '-',
        n,
      ],
    );
    if (f.cpuPerGbRatio)
      notes.push(
        `${mode}: CPU s/GB ratio per pair, in run order: ${f.cpuPerGbRatio.values.map((v) => v.toFixed(2)).join(', ')}; egress ratio: ${f.egressRatio?.values.map((v) => `${(v * 100).toFixed(0)} %`).join(', ') ?? '-'}.`,
      );
    data[res.mode] = f;
  }
  notes.push(
    'Each pair: the gateway (A), then the reference (B), each a freshly started process under the same players run; A, B, A, B, … so drifts of the machine fall on both sides. Figures: median (min–max) over the pairs; a ratio is taken within each pair, then its median and range. Kernel share = system CPU time / all CPU time of the server process.',
  );
  notes.push(describePinning(pinning()));
  return {
    id: 'ts-pairs',
    title: 'TS fan-out, A/B pairs (Shardcast vs raw-uWS reference)',
    setup: describePinning(pinning()),
    head: [
      'mode',
      'figure',
      'Shardcast median (min–max)',
      'reference median (min–max)',
      'ratio median (min–max)',
      'pairs',
    ],
    rows,
    targets: [],
    notes,
    skipped: false,
    seconds: 0,
    data,
  };
}
