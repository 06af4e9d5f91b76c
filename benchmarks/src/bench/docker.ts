/**
 * Docker stats polling: runs the docker-engines package's own benchmark (calls per minute and
 * stats freshness at several engine counts, against the fixed 2-second polling of the old collector)
 * when a daemon is configured (DOCKER_HOST, see scripts/docker-e2e-setup.sh); otherwise a skip note.
 */
import { existsSync } from 'node:fs';
import { Child } from '../util/child.js';
import { fixed } from '../util/format.js';
import type { SuiteParams } from './params.js';
import { DOCKER_BENCH } from './paths.js';
import { type Section, skippedSection } from './section.js';

interface DockerRow {
  system: string;
  engines: number;
  callsPerMin: number;
  statsPerMin: number;
  listPerMin: number;
  peakPerSec: number;
  freshMeanS: number | null;
  freshP95S: number | null;
  daemonCpuPct: number;
}

const TITLE = 'Docker stats polling';
/** Per run: warm-up (up to ~45 s for the old sequential collector at 20 engines) plus the measured time. */
const PER_RUN_OVERHEAD_S = 60;

export async function dockerBench(p: SuiteParams, log: (m: string) => void): Promise<Section> {
  if (p.dockerSeconds === null)
    return skippedSection(
      'docker',
      TITLE,
      'full mode only (it takes several minutes); run `npm run bench` without --quick',
    );
  if (!process.env.DOCKER_HOST)
    return skippedSection(
      'docker',
      TITLE,
      'DOCKER_HOST is not set; run eval "$(sudo scripts/docker-e2e-setup.sh)" first',
    );
  if (!existsSync(DOCKER_BENCH))
    return skippedSection('docker', TITLE, `${DOCKER_BENCH} is missing (build first)`);
  const t0 = Date.now();
  const counts = p.dockerEngines.split(',').length;
  log(`Docker polling: ${p.dockerEngines} engines, ${p.dockerSeconds} s per run`);
  const child = new Child('docker bench', process.execPath, [DOCKER_BENCH], {
    ...process.env,
    BENCH_SECONDS: String(p.dockerSeconds),
    BENCH_ENGINES: p.dockerEngines,
  });
  const limit = setTimeout(
    () => void child.stop(),
    counts * 3 * (p.dockerSeconds + PER_RUN_OVERHEAD_S) * 1000,
  );
  const code = await child.exit();
  clearTimeout(limit);
  const last = child.stdoutTail.trim().split('\n').pop() ?? '';
  let parsed: { seconds: number; rows: DockerRow[] } | null = null;
  try {
    parsed = JSON.parse(last) as { seconds: number; rows: DockerRow[] };
  } catch {
    parsed = null;
  }
  if (code !== 0 || !parsed)
    return skippedSection(
      'docker',
      TITLE,
      `the docker-engines benchmark failed (exit ${code}): ${child.stderrTail.slice(-300)}`,
    );
  const rows = parsed.rows.map((r) => {
    const old = parsed!.rows.find((b) => b.engines === r.engines && b.system === 'old-sequential');
    return [
      String(r.engines),
      r.system,
      fixed(r.callsPerMin, 1),
      fixed(r.statsPerMin, 1),
      String(r.peakPerSec),
      fixed(r.freshMeanS, 2),
      fixed(r.freshP95S, 2),
      fixed(r.daemonCpuPct, 1),
      old && old.callsPerMin > 0 ? `${fixed(r.callsPerMin / old.callsPerMin, 2)}×` : '-',
    ];
  });
  return {
    id: 'docker',
    title: TITLE,
    setup: `packages/docker-engines/dist/bench/stats-polling.bench.js, ${parsed.seconds} s per run, engines ${p.dockerEngines}, counted at the Docker socket`,
    head: [
      'engines',
      'system',
      'calls/min',
      'stats/min',
      'peak/s',
      'fresh mean s',
      'fresh p95 s',
      'daemon CPU %',
      'calls vs old',
    ],
    rows,
    targets: [],
    notes: [
      'old-sequential / old-burst: the fixed 2-second polling of the system Shardcast replaces (one call after another, or all at once).',
    ],
    skipped: false,
    seconds: (Date.now() - t0) / 1000,
    data: parsed,
  };
}
