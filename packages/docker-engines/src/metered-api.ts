/**
 * The one gate every Docker API call of the package passes: a token bucket caps the calls per second,
 * counters record calls, throttles and errors by endpoint, and failures come back as data. Stats ticks
 * use `tryAcquire` (no token → skip this sample); discovery calls `acquire` and wait for a token.
 */
import { ApiCounters, type DockerApiCounters, type DockerEndpoint } from './counters.js';
import { type DockerApi, type DockerCallError, toDockerError } from './docker-api.js';
import { TokenBucket } from './token-bucket.js';

export type CallResult<T> = { ok: true; value: T } | { ok: false; error: DockerCallError };

export interface MeteredDockerOptions {
  /** Docker API calls per second, all endpoints together. */
  readonly maxCallsPerSec: number;
  /** Calls that may go at once after a quiet spell (the bucket's size). */
  readonly burst: number;
  readonly now: () => number;
}

export class MeteredDocker {
  readonly api: DockerApi;
  readonly #bucket: TokenBucket;
  readonly #counters = new ApiCounters();
  readonly #now: () => number;

  constructor(api: DockerApi, opts: MeteredDockerOptions) {
    this.api = api;
    this.#now = opts.now;
    this.#bucket = new TokenBucket({ ratePerSec: opts.maxCallsPerSec, burst: opts.burst, nowMs: opts.now() });
  }

  get maxCallsPerSec(): number {
    return this.#bucket.ratePerSec;
  }

  /** Takes a token now or counts the call as throttled. */
  tryAcquire(endpoint: DockerEndpoint): boolean {
    if (this.#bucket.tryTake(this.#now())) return true;
    this.#counters.throttled(endpoint);
    return false;
  }

  /** Waits for a token (counted as throttled once if it had to wait); false if `signal` aborted first. */
  async acquire(endpoint: DockerEndpoint, signal: AbortSignal): Promise<boolean> {
    let waited = false;
    while (!signal.aborted) {
      if (this.#bucket.tryTake(this.#now())) return true;
      if (!waited) this.#counters.throttled(endpoint);
      waited = true;
      await sleep(Math.max(1, this.#bucket.msUntilToken(this.#now())), signal);
    }
    return false;
  }

  /**
   * Sends one call that already holds a token. `timeoutMs` null = no deadline (the events stream);
   * `signal` aborts it on shutdown. Never throws.
   */
  async run<T>(
    endpoint: DockerEndpoint,
    timeoutMs: number | null,
    signal: AbortSignal,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<CallResult<T>> {
    this.#counters.call(endpoint, this.#now());
    if (timeoutMs === null) return this.#settle(endpoint, fn(signal));
    // A per-call controller rather than AbortSignal.any: the stop signal lives for the whole process and
    // must not collect a listener per call.
    const ctl = new AbortController();
    const onStop = () => ctl.abort(signal.reason);
    signal.addEventListener('abort', onStop, { once: true });
    const timer = setTimeout(() => ctl.abort(new DeadlineError(endpoint, timeoutMs)), timeoutMs);
    timer.unref();
    try {
      return await this.#settle(endpoint, fn(ctl.signal));
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
  }

  async #settle<T>(endpoint: DockerEndpoint, p: Promise<T>): Promise<CallResult<T>> {
    try {
      return { ok: true, value: await p };
    } catch (err) {
      this.#counters.error(endpoint);
      return { ok: false, error: toDockerError(err) };
    }
  }

  /** `acquire` then `run`; an abort while waiting for a token is reported as an ABORTED error. */
  async call<T>(
    endpoint: DockerEndpoint,
    timeoutMs: number | null,
    signal: AbortSignal,
    fn: (signal: AbortSignal) => Promise<T>,
  ): Promise<CallResult<T>> {
    if (!(await this.acquire(endpoint, signal))) {
      return { ok: false, error: { status: null, code: 'ABORTED', message: 'stopped' } };
    }
    return this.run(endpoint, timeoutMs, signal, fn);
  }

  /** Counts a stats tick passed over because the concurrency bound was reached. */
  skippedBusy(): void {
    this.#counters.skippedBusy();
  }

  counters(): DockerApiCounters {
    return this.#counters.snapshot(this.#now());
  }
}

/** The reason a call's deadline aborts it with (dockerode rethrows it, or an AbortError naming it). */
class DeadlineError extends Error {
  override readonly name = 'TimeoutError';
  readonly code = 'TIMEOUT';
  constructor(endpoint: DockerEndpoint, ms: number) {
    super(`Docker ${endpoint} call exceeded its ${ms} ms deadline`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal.addEventListener('abort', done, { once: true });
  });
}
