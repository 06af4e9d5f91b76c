/**
 * `npm run bench [-- --quick] [-- --only ts,hls] [-- --restart]`: the whole suite in one command;
 * `npm run bench -- --soak N` runs the N-minute memory soak alone (benchmarks/results/<date>-soak.json). Each benchmark runs
 * against its baseline in the same run; the table is printed and written to
 * benchmarks/results/<date>[-quick].json and .md. Exit 0 when the suite ran (targets missed are results,
 * not failures), 1 when it could not run, 2 on a usage error.
 */
import { boolFlag, parseFlags, stringFlag, UsageError } from '../util/args.js';
import { killAllChildrenNow, stopAllChildren } from '../util/child.js';
import { describeMachine } from '../util/machine.js';
import { describePinning, detectPinning, setPinning } from '../util/pin.js';
import { clusterBench } from './cluster.js';
import { dockerBench } from './docker.js';
import { growthRun } from './growth.js';
import { growthPlan, growthSection, growthStepsSection } from './growth-table.js';
import { hlsBench, hlsUpstreamRun, withHlsUpstream } from './hls.js';
import { type LoopbackResult, loopbackLimit } from './loopback.js';
import { type Availability, metricsBench, probeMetrics } from './metrics.js';
import { FULL, parseSoakMinutes, QUICK, soakParams } from './params.js';
import { RESULTS_DIR } from './paths.js';
import { restartBench } from './restart.js';
import { benchCommand, renderText, type SuiteResult, writeResults } from './results.js';
import { type Section, skippedSection } from './section.js';
import { soakRun, soakSection } from './soak.js';
import { type ModeResult, RING_MB, runTsMode, tsPairsSection, tsSection } from './ts-fanout.js';

const SECTIONS = ['loopback', 'ts', 'hls', 'metrics', 'docker', 'restart', 'cluster', 'growth'] as const;
type SectionId = (typeof SECTIONS)[number];
/**
 * What a plain `npm run bench` runs: everything but the growth table, which adds about six minutes to the
 * full run (a dozen fresh gateways and loads up to 4,000 clients) and is a sizing table, not a target.
 */
const DEFAULT_SECTIONS: readonly SectionId[] = SECTIONS.filter((s) => s !== 'growth');

const HELP = `Usage: npm run bench [-- options]

  --quick         small counts and durations (under two minutes)
  --only LIST     comma-separated subset of: ${SECTIONS.join(', ')}
                  (growth runs only when named: about 6 minutes, 1 with --quick; --only growth alone
                  writes <date>[-quick]-growth.json and .md)
  --restart       only the restart-under-load section (same as --only restart; results file <date>-restart)
  --out DIR       results directory (default benchmarks/results)
  --no-write      print the table only
  --no-pin        do not pin processes to CPUs (default: server under test on the first allowed CPU,
                  load generator, engine-sim and the bench process on the others, with taskset)
  --soak MIN      run only the memory soak for MIN minutes (steady load, then 200 streams opened and
                  closed): RSS slope and RSS after the streams closed
`;

function log(m: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    restart: { type: 'boolean' },
    out: { type: 'string' },
    'no-write': { type: 'boolean' },
    'no-pin': { type: 'boolean' },
    soak: { type: 'string' },
    help: { type: 'boolean' },
  });
  if (boolFlag(f, 'help')) {
    process.stdout.write(HELP);
    return;
  }
  // The machine before pinning: pinned, this process sees only the load CPUs.
  const machine = describeMachine();
  const plan = boolFlag(f, 'no-pin') ? null : detectPinning();
  setPinning(plan);
  log(describePinning(plan));
  const soakRaw = stringFlag(f, 'soak');
  if (soakRaw !== undefined) {
    if (boolFlag(f, 'quick') || stringFlag(f, 'only') !== undefined)
      throw new UsageError('--soak runs alone: drop --quick and --only.');
    await soak(parseSoakMinutes(soakRaw), f, describePinning(plan), machine);
    return;
  }
  const quick = boolFlag(f, 'quick');
  const restartOnly = boolFlag(f, 'restart');
  if (restartOnly && stringFlag(f, 'only') !== undefined)
    throw new UsageError('--restart is a shorthand for --only restart: give one of them.');
  const onlyRaw = restartOnly ? 'restart' : stringFlag(f, 'only');
  const only = new Set<SectionId>(
    onlyRaw === undefined
      ? DEFAULT_SECTIONS
      : onlyRaw.split(',').map((s) => {
          if (!(SECTIONS as readonly string[]).includes(s))
            throw new UsageError(`--only takes ${SECTIONS.join(', ')} (got "${s}").`);
          return s as SectionId;
        }),
  );
  const p = quick ? QUICK : FULL;
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  log(
    `${quick ? 'quick' : 'full'} suite on ${machine.cpuModel} (${machine.cores} cores), load ${machine.loadAverage1m.toFixed(2)}`,
  );

  // Docker first: it shares a daemon with the Docker e2e suite, so it runs while that daemon is quiet, and
  // its polling load is light enough not to disturb what follows.
  const docker = only.has('docker') ? await dockerBench(p, log) : null;
  let loop: { section: Section; result: LoopbackResult | null } | null = null;
  if (only.has('loopback')) {
    log('loopback limit (iperf3)');
    loop = await loopbackLimit(p.iperfSeconds);
  }
  const tsResults: ModeResult[] = [];
  let tsSeconds = 0;
  let hls: Section | null = null;
  let avail: Availability | null = null;
  if (only.has('ts') || only.has('hls') || only.has('metrics')) {
    const tTs = Date.now();
    // The real-time gateway also hosts the HLS run (its streams are warm) and the metrics probe.
    const rt = await runTsMode('realtime', p, log, async (gateway, engine) => {
      avail = await probeMetrics(gateway.url);
      if (only.has('hls')) hls = await hlsBench(gateway, engine, p, log);
    });
    if (only.has('ts')) {
      tsResults.push(rt);
      tsResults.push(await runTsMode('max', p, log));
    }
    if (only.has('ts')) {
      tsSeconds = (Date.now() - tTs) / 1000;
      log(`TS fan-out done in ${tsSeconds.toFixed(0)} s`);
    }
  }
  const sections: Section[] = [];
  if (loop) sections.push(loop.section);
  if (only.has('ts'))
    sections.push(tsSection(tsResults, loop?.result ?? null, tsSeconds), tsPairsSection(tsResults));
  if (only.has('hls')) {
    const base = hls ?? skippedSection('hls', 'HLS players and segments', 'the gateway did not start');
    // The HLS-upstream run needs fresh streams to warm up for a while: full mode only.
    sections.push(hls && !quick ? withHlsUpstream(base, await hlsUpstreamRun(p, log)) : base);
  }
  if (only.has('metrics')) sections.push(await metricsBench(avail, p, log));
  if (docker) sections.push(docker);
  // Last: it starts a gateway of its own under a reconnect storm, nothing else running.
  if (only.has('restart')) sections.push(await restartBench(p, log));
  if (only.has('cluster')) sections.push(await clusterBench(p, log));
  if (only.has('growth')) {
    const g = await growthRun(growthPlan(quick, RING_MB), p.shards, log);
    sections.push(growthSection(g), growthStepsSection(g.plan, g.runs));
  }

  const result: SuiteResult = {
    version: 1,
    mode: quick ? 'quick' : 'full',
    startedAt,
    seconds: (Date.now() - t0) / 1000,
    command: restartOnly
      ? `npm run bench -- --restart${quick ? ' --quick' : ''}`
      : benchCommand(quick, onlyRaw),
    machine,
    pinning: describePinning(plan),
    sections,
  };
  process.stdout.write(`\n${renderText(result)}\n`);
  if (!boolFlag(f, 'no-write')) {
    const suffix = restartOnly ? '-restart' : onlyRaw === 'growth' ? '-growth' : '';
    const files = writeResults(stringFlag(f, 'out') ?? RESULTS_DIR, result, suffix);
    process.stdout.write(`\nwrote ${files.json}\n      ${files.md}\n`);
  }
}

async function soak(
  minutes: number,
  f: ReturnType<typeof parseFlags>,
  pinning: string,
  machine: ReturnType<typeof describeMachine>,
): Promise<void> {
  const startedAt = new Date().toISOString();
  const t0 = Date.now();
  log(`soak on ${machine.cpuModel} (${machine.cores} cores), load ${machine.loadAverage1m.toFixed(2)}`);
  const r = await soakRun(soakParams(minutes), log);
  const seconds = (Date.now() - t0) / 1000;
  const result: SuiteResult = {
    version: 1,
    mode: 'soak',
    startedAt,
    seconds,
    command: `npm run bench -- --soak ${minutes}`,
    machine,
    pinning,
    sections: [soakSection(r, seconds)],
  };
  process.stdout.write(`\n${renderText(result)}\n`);
  if (!boolFlag(f, 'no-write')) {
    const files = writeResults(stringFlag(f, 'out') ?? RESULTS_DIR, result);
    process.stdout.write(`\nwrote ${files.json}\n      ${files.md}\n`);
  }
}

process.once('SIGINT', () => {
  log('interrupted: stopping what the suite started');
  void stopAllChildren().then(() => process.exit(130));
});
process.once('exit', killAllChildrenNow);

main().catch(async (err: unknown) => {
  if (err instanceof UsageError) {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  }
  await stopAllChildren();
});
