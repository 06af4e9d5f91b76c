/**
 * Runs a whole players session: prewarm (one cold player per stream, in this thread), then the rest in this
 * thread or spread over worker threads, progress callbacks every PROGRESS_MS, and the merged report.
 * Bounded in time: every thread ends at the same deadline, and a worker that does not answer within
 * WORKER_GRACE_MS after it is terminated and counted as an error.
 */
import { Worker } from 'node:worker_threads';
import { playerSpecs, targetOf } from './options.js';
import type { ProgressFrame } from './progress.js';
import { buildReport, type PlayersReport } from './report.js';
import { PlayersRun } from './run.js';
import {
  type Counters,
  HIST_NAMES,
  newCounters,
  newTotals,
  type PartialResult,
  type PlayerSpec,
  type PlayersOptions,
} from './types.js';

const PROGRESS_MS = 250;
const WORKER_GRACE_MS = 10_000;
/** Workers start this long after they are created, so they all begin the ramp on the same clock. */
const WORKER_START_DELAY_MS = 300;

export interface WorkerJob {
  options: PlayersOptions;
  specs: PlayerSpec[];
  startMs: number;
  rampMs: number;
  windowMs: number;
  endMs: number;
}

export type WorkerMessage =
  | { type: 'progress'; counters: Counters }
  | { type: 'done'; result: PartialResult };

export interface RunHooks {
  onProgress?: (frame: ProgressFrame) => void;
  /** Aborting ends the run early; the report covers what ran. */
  signal?: AbortSignal;
}

export async function runPlayers(options: PlayersOptions, hooks: RunHooks = {}): Promise<PlayersReport> {
  const target = targetOf(options.baseUrl);
  const specs = playerSpecs(options);
  const cold = specs.filter((s) => s.cold);
  const warm = specs.filter((s) => !s.cold);
  const main = new PlayersRun(options, target);
  const workerCounters: Counters[] = [];
  const workers: Worker[] = [];
  const onAbort = (): void => {
    main.stop();
    for (const w of workers) w.postMessage({ type: 'stop' });
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });
  const t0 = Date.now();
  let phase: ProgressFrame['phase'] = 'prewarm';
  let startMs = t0;
  const frame = (): ProgressFrame => {
    const c = { ...main.counters };
    for (const w of workerCounters) for (const k of Object.keys(c) as (keyof Counters)[]) c[k] += w[k];
    const now = Date.now();
    if (phase === 'ramp-up' && now >= startMs + options.rampUpS * 1000) phase = 'steady';
    return {
      phase,
      elapsedS: (now - (phase === 'prewarm' ? t0 : startMs)) / 1000,
      totalS: phase === 'prewarm' ? options.joinTimeoutS : options.durationS,
      players: specs.length,
      counters: c,
    };
  };
  const progress = hooks.onProgress ? setInterval(() => hooks.onProgress!(frame()), PROGRESS_MS) : undefined;
  try {
    if (cold.length > 0) await main.prewarm(cold, options.joinTimeoutS * 1000);
    const useWorkers = options.workers > 1 && warm.length > 0;
    startMs = Date.now() + (useWorkers ? WORKER_START_DELAY_MS : 0);
    phase = 'ramp-up';
    const rampMs = options.rampUpS * 1000;
    const windowMs = startMs + rampMs + options.warmUpS * 1000;
    const endMs = startMs + options.durationS * 1000;
    const partials: PartialResult[] = [];
    if (!useWorkers) {
      await main.run(warm, startMs, rampMs, windowMs, endMs);
    } else {
      const shares: PlayerSpec[][] = Array.from({ length: options.workers }, () => []);
      // Round-robin keeps each worker's share spread over the ramp and the streams.
      for (const [i, s] of warm.entries()) shares[i % options.workers]!.push(s);
      const jobs = shares
        .filter((s) => s.length > 0)
        .map((share, i) => {
          workerCounters[i] = newCounters();
          return runWorker({ options, specs: share, startMs, rampMs, windowMs, endMs }, workers, (c) => {
            workerCounters[i] = c;
          });
        });
      const [results] = await Promise.all([
        Promise.all(jobs),
        main.run([], startMs, rampMs, windowMs, endMs),
      ]);
      partials.push(...results);
    }
    partials.unshift(main.finish());
    // A thread that closed its window late counted bytes until then: the window is the latest close.
    const windowEndMs = Math.max(windowMs + 1, ...partials.map((x) => x.windowClosedMs));
    return buildReport(options, partials, { startedAtMs: startMs, windowStartMs: windowMs, windowEndMs });
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    if (progress) clearInterval(progress);
    hooks.onProgress?.(frame());
  }
}

function runWorker(job: WorkerJob, all: Worker[], onProgress: (c: Counters) => void): Promise<PartialResult> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: job });
    all.push(worker);
    let settled = false;
    const failed = (kind: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      void worker.terminate();
      const counters = newCounters();
      counters.errors = 1;
      resolve({
        counters,
        totals: newTotals(),
        errorsByKind: { [kind]: 1 },
        histograms: Object.fromEntries(HIST_NAMES.map((n) => [n, ''])) as PartialResult['histograms'],
        windowBytes: 0,
        windowSegments: 0,
        stallsBySecond: {},
        windowClosedMs: Date.now(),
        loopDelayP99Ms: 0,
        loopDelayMaxMs: 0,
      });
    };
    const deadline = setTimeout(() => failed('worker_timeout'), job.endMs - Date.now() + WORKER_GRACE_MS);
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') onProgress(m.counters);
      else if (!settled) {
        settled = true;
        clearTimeout(deadline);
        resolve(m.result);
        void worker.terminate();
      }
    });
    worker.once('error', () => failed('worker_crashed'));
    worker.once('exit', () => failed('worker_crashed'));
  });
}
