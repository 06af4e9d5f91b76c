/**
 * Before/after of a hot-path change: two gateway builds (A = before, B = after) under the same TS fan-out
 * load, alternately (A, B, A, B, …), each a fresh process pinned like the suite's, with one engine-sim.
 * Prints each side's CPU s/GB and egress over the pairs and the within-pair ratio B/A.
 *
 *   node benchmarks/bin/ab-gateway.js --a <before>/apps/gateway/bin/shardcast.js [--b <after CLI>]
 *     [--mode realtime|max] [--streams 8] [--clients 250] [--duration 30] [--ramp 5] [--pairs 3] [--json FILE]
 *
 * The "before" build is a copy of the gateway's compiled output made before the change (for example
 * `cp -r apps/gateway/dist tmp/before/apps/gateway/dist` plus a bin file importing it); --b defaults to
 * this checkout's build.
 */
import { writeFileSync } from 'node:fs';
import { boolFlag, choiceFlag, numberFlag, parseFlags, stringFlag, UsageError } from '../util/args.js';
import { killAllChildrenNow, stopAllChildren } from '../util/child.js';
import { describeMachine } from '../util/machine.js';
import { describePinning, detectPinning, setPinning } from '../util/pin.js';
import { type Measured, measure } from './measure.js';
import { abOrder, formatSpread, pairRatios, spread } from './pairs.js';
import { GATEWAY_CLI } from './paths.js';
import { startEngineSim, startGateway } from './procs.js';
import { GRACE_SECONDS, RING_MB } from './ts-fanout.js';

const HELP = `Usage: node benchmarks/bin/ab-gateway.js --a CLI [--b CLI] [--mode realtime|max] [--streams N]
  [--clients N per stream] [--duration S] [--ramp S] [--pairs N] [--shards N] [--no-pin] [--json FILE]
`;

function log(m: string): void {
  process.stderr.write(`[ab-gateway ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
}

async function main(): Promise<void> {
  const f = parseFlags(process.argv.slice(2), {
    a: { type: 'string' },
    b: { type: 'string' },
    mode: { type: 'string' },
    streams: { type: 'string' },
    clients: { type: 'string' },
    duration: { type: 'string' },
    ramp: { type: 'string' },
    pairs: { type: 'string' },
    shards: { type: 'string' },
    json: { type: 'string' },
    'no-pin': { type: 'boolean' },
    help: { type: 'boolean' },
  });
  if (boolFlag(f, 'help')) {
    process.stdout.write(HELP);
    return;
  }
  const a = stringFlag(f, 'a');
  if (!a) throw new UsageError('--a (the "before" gateway CLI) is required; see --help.');
  const b = stringFlag(f, 'b') ?? GATEWAY_CLI;
  const mode = choiceFlag(f, 'mode', 'realtime', ['realtime', 'max'] as const);
  const rt = mode === 'realtime';
  const streams = numberFlag(f, 'streams', rt ? 8 : 2, 1, 1000, true);
  const perStream = numberFlag(f, 'clients', rt ? 250 : 100, 1, 10_000, true);
  const duration = numberFlag(f, 'duration', rt ? 30 : 20, 3, 3600);
  const ramp = numberFlag(f, 'ramp', rt ? 5 : 2, 0, 600);
  const pairs = numberFlag(f, 'pairs', 3, 1, 50, true);
  const shards = numberFlag(f, 'shards', 2, 1, 64, true);
  const machine = describeMachine();
  const plan = boolFlag(f, 'no-pin') ? null : detectPinning();
  setPinning(plan);
  log(`${describePinning(plan)}; load average ${machine.loadAverage1m.toFixed(2)}`);
  const players = [
    '--ts',
    String(streams * perStream),
    '--streams',
    String(streams),
    '--duration',
    String(duration),
    '--ramp-up',
    String(ramp),
    ...(rt ? ['--buffer', '2', '--validate', 'full'] : ['--pace', 'none', '--validate', 'join']),
  ];
  const engine = await startEngineSim(rt ? '1' : 'max');
  const runs: Record<'A' | 'B', Array<Measured | null>> = { A: [], B: [] };
  try {
    for (const { pair, side } of abOrder(pairs)) {
      log(`pair ${pair + 1}/${pairs}: ${side} (${side === 'A' ? a : b})`);
      const gw = await startGateway({
        shards,
        engines: [engine.url],
        cli: side === 'A' ? a : b,
        extra: [
          '--ring-mb',
          String(RING_MB),
          '--grace-seconds',
          String(GRACE_SECONDS),
          // One engine-sim carries every stream (the default limit of 100 per engine refused the rest).
          '--engine-max-streams',
          String(Math.max(100, streams)),
          ...(rt ? [] : ['--client-lag-seconds', '600']),
        ],
      });
      try {
        runs[side].push(
          await measure({
            system: side,
            server: gw,
            engine,
            gatewayApi: { url: gw.url, ringBytes: RING_MB * 1024 * 1024 },
            playerArgs: players,
          }),
        );
      } catch (err) {
        log(`${side} failed: ${(err as Error).message}`);
        runs[side].push(null);
      } finally {
        await gw.child.stop();
      }
    }
  } finally {
    await engine.child.stop();
  }
  const perGb = (m: Measured | null) => m?.cpuSPerGB ?? null;
  const egress = (m: Measured | null) => (m ? m.egressBytesPerS / 1e6 : null);
  const cores = (m: Measured | null) => (m && m.wallS > 0 ? m.cpuS / m.wallS : null);
  const ratio = spread(pairRatios(runs.B.map(perGb), runs.A.map(perGb)));
  const lines = [
    `A/B of two gateway builds, ${mode}, ${streams}×${perStream} clients, ${duration} s (ramp ${ramp} s), ${pairs} pairs; ${describePinning(plan)}; load average at start ${machine.loadAverage1m.toFixed(2)}`,
    `  A (before) ${a}`,
    `  B (after)  ${b}`,
    `  CPU s/GB  A ${formatSpread(spread(runs.A.map(perGb)), 3)}   B ${formatSpread(spread(runs.B.map(perGb)), 3)}`,
    `  CPU cores A ${formatSpread(spread(runs.A.map(cores)), 3)}   B ${formatSpread(spread(runs.B.map(cores)), 3)}`,
    `  egress MB/s A ${formatSpread(spread(runs.A.map(egress)), 1)}   B ${formatSpread(spread(runs.B.map(egress)), 1)}`,
    `  errors/stalls A ${runs.A.map((m) => (m ? `${m.report.errors.total}/${m.report.stalls.events}` : 'failed')).join(', ')}   B ${runs.B.map((m) => (m ? `${m.report.errors.total}/${m.report.stalls.events}` : 'failed')).join(', ')}`,
    `  CPU s/GB ratio B/A per pair: ${ratio?.values.map((v) => v.toFixed(3)).join(', ') ?? '-'}; median ${formatSpread(ratio, 3, 1, '×')}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const json = stringFlag(f, 'json');
  if (json)
    writeFileSync(
      json,
      `${JSON.stringify(
        {
          machine,
          pinning: describePinning(plan),
          options: { a, b, mode, streams, perStream, duration, ramp, pairs, shards },
          runs: Object.fromEntries(
            (['A', 'B'] as const).map((k) => [
              k,
              runs[k].map((m) =>
                m
                  ? {
                      cpuS: m.cpuS,
                      cpuSysS: m.cpuSysS,
                      wallS: m.wallS,
                      cpuSPerGB: m.cpuSPerGB,
                      egressBytesPerS: m.egressBytesPerS,
                      errors: m.report.errors.total,
                      stalls: m.report.stalls.events,
                    }
                  : null,
              ),
            ]),
          ),
          cpuPerGbRatio: ratio,
        },
        null,
        2,
      )}\n`,
    );
}

process.once('SIGINT', () => {
  void stopAllChildren().then(() => process.exit(130));
});
process.once('exit', killAllChildrenNow);

main().catch(async (err: unknown) => {
  process.stderr.write(
    `${err instanceof UsageError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exitCode = err instanceof UsageError ? 2 : 1;
  await stopAllChildren();
});
