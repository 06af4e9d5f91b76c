// Worker-thread entry of the players: runs its share of the players and posts progress and the result.
import { parentPort, workerData } from 'node:worker_threads';
import { targetOf } from './options.js';
import { PlayersRun } from './run.js';
import type { WorkerJob, WorkerMessage } from './runner.js';

const PROGRESS_MS = 250;

const job = workerData as WorkerJob;
const run = new PlayersRun(job.options, targetOf(job.options.baseUrl));
const post = (m: WorkerMessage): void => parentPort!.postMessage(m);
parentPort!.on('message', (m: { type: string }) => {
  if (m.type === 'stop') run.stop();
});
const progress = setInterval(() => post({ type: 'progress', counters: { ...run.counters } }), PROGRESS_MS);
await run.run(job.specs, job.startMs, job.rampMs, job.windowMs, job.endMs);
clearInterval(progress);
post({ type: 'done', result: run.finish() });
parentPort!.removeAllListeners('message');
