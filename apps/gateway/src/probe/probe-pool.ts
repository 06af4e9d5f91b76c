/**
 * The bounded piscina pool that runs probe jobs off every event loop that matters (shards ingest, main
 * steers). A job gets the ring's handles only. When `maxQueue` jobs already wait, a new one is shed at
 * once and counted: analysis is optional, so it never queues without bound and never slows ingest.
 */
import { Piscina } from 'piscina';
import type { ProbeOutcome, ProbeTask } from './probe-job.js';

const JOB_FILE = new URL('./probe-job.js', import.meta.url).href;
/** One thread: probes are short and rare, and the shards need the cores. */
export const DEFAULT_PROBE_THREADS = 1;
export const DEFAULT_PROBE_QUEUE = 16;
const IDLE_TIMEOUT_MS = 30_000;

export interface ProbePoolOptions {
  readonly maxThreads?: number;
  /**
   * Threads kept alive when idle (default 1: the thread boots with the gateway, not next to a stream's
   * first bytes, and periodic probes never pay a thread start).
   */
  readonly minThreads?: number;
  /** Jobs that may wait for a thread; beyond this they are shed. */
  readonly maxQueue?: number;
}

/** A job that did not run or did not finish: shed (pool full) or error (the job threw or its thread died). */
export type PoolOutcome = ProbeOutcome | { readonly ok: false; readonly reason: 'shed' | 'error' };

export interface ProbePoolStats {
  readonly submitted: number;
  readonly completed: number;
  readonly shed: number;
  readonly errors: number;
  /** Jobs waiting for a thread right now. */
  readonly queued: number;
}

export class ProbePool {
  readonly #pool: Piscina<ProbeTask, ProbeOutcome>;
  readonly #maxQueue: number;
  #submitted = 0;
  #completed = 0;
  #shed = 0;
  #errors = 0;
  #closed = false;

  constructor(opts: ProbePoolOptions = {}) {
    this.#maxQueue = opts.maxQueue ?? DEFAULT_PROBE_QUEUE;
    const maxThreads = opts.maxThreads ?? DEFAULT_PROBE_THREADS;
    this.#pool = new Piscina<ProbeTask, ProbeOutcome>({
      filename: JOB_FILE,
      minThreads: Math.min(opts.minThreads ?? 1, maxThreads),
      maxThreads,
      maxQueue: this.#maxQueue,
      idleTimeout: IDLE_TIMEOUT_MS,
      // Jobs are milliseconds long; per-task timing histograms are not worth their cost.
      recordTiming: false,
    });
  }

  /** Runs a probe, or sheds it when the queue is full. Never rejects. */
  async run(task: ProbeTask): Promise<PoolOutcome> {
    if (this.#closed || this.#pool.queueSize >= this.#maxQueue) {
      this.#shed++;
      return { ok: false, reason: 'shed' };
    }
    this.#submitted++;
    try {
      const out = await this.#pool.run(task);
      this.#completed++;
      return out;
    } catch (err) {
      // Piscina refuses with "Task queue is at limit" when our own check raced a burst.
      if (err instanceof Error && /queue is at limit/i.test(err.message)) {
        this.#submitted--;
        this.#shed++;
        return { ok: false, reason: 'shed' };
      }
      this.#errors++;
      return { ok: false, reason: 'error' };
    }
  }

  get stats(): ProbePoolStats {
    return {
      submitted: this.#submitted,
      completed: this.#completed,
      shed: this.#shed,
      errors: this.#errors,
      queued: this.#closed ? 0 : this.#pool.queueSize,
    };
  }

  /** Stops the threads; jobs still queued resolve as errors. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.destroy();
  }
}
