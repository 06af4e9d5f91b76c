/**
 * Counters of every Docker API call the package makes, by endpoint, for Prometheus, plus a sliding
 * one-minute call count for status. Pure: time is passed in.
 */

/** Docker API endpoints the package calls. */
export const DOCKER_ENDPOINTS = ['version', 'list', 'inspect', 'stats', 'events'] as const;
export type DockerEndpoint = (typeof DOCKER_ENDPOINTS)[number];

export type EndpointCounts = Readonly<Record<DockerEndpoint, number>>;

/** A snapshot of the counters (monotonic since start, except `callsLastMinute`). */
export interface DockerApiCounters {
  /** Calls sent to the daemon. */
  readonly calls: EndpointCounts;
  /** Calls the rate cap refused (stats: skipped; others: delayed until a token came). */
  readonly throttled: EndpointCounts;
  /** Calls that failed (transport error, timeout, non-2xx). */
  readonly errors: EndpointCounts;
  /** Stats ticks passed over because `concurrency` calls were already in flight. */
  readonly statsSkippedBusy: number;
  /** Calls sent in the last 60 s. */
  readonly callsLastMinute: number;
}

/** Seconds the sliding window covers. */
const WINDOW_S = 60;

function zero(): Record<DockerEndpoint, number> {
  return { version: 0, list: 0, inspect: 0, stats: 0, events: 0 };
}

/** Calls per second over the last minute in a ring of 60 one-second buckets. */
export class RateWindow {
  readonly #buckets = new Float64Array(WINDOW_S);
  #headSec = 0;

  add(nowMs: number, n = 1): void {
    this.#advance(Math.floor(nowMs / 1000));
    this.#buckets[this.#headSec % WINDOW_S]! += n;
  }

  /** Events in the last 60 s (the current second included). */
  total(nowMs: number): number {
    this.#advance(Math.floor(nowMs / 1000));
    let sum = 0;
    for (const v of this.#buckets) sum += v;
    return sum;
  }

  #advance(sec: number): void {
    if (sec <= this.#headSec) return;
    const gap = Math.min(WINDOW_S, sec - this.#headSec);
    for (let i = 1; i <= gap; i++) this.#buckets[(this.#headSec + i) % WINDOW_S] = 0;
    this.#headSec = sec;
  }
}

export class ApiCounters {
  readonly #calls = zero();
  readonly #throttled = zero();
  readonly #errors = zero();
  readonly #window = new RateWindow();
  #skippedBusy = 0;

  call(endpoint: DockerEndpoint, nowMs: number): void {
    this.#calls[endpoint]++;
    this.#window.add(nowMs);
  }

  throttled(endpoint: DockerEndpoint): void {
    this.#throttled[endpoint]++;
  }

  error(endpoint: DockerEndpoint): void {
    this.#errors[endpoint]++;
  }

  skippedBusy(): void {
    this.#skippedBusy++;
  }

  snapshot(nowMs: number): DockerApiCounters {
    return {
      calls: { ...this.#calls },
      throttled: { ...this.#throttled },
      errors: { ...this.#errors },
      statsSkippedBusy: this.#skippedBusy,
      callsLastMinute: this.#window.total(nowMs),
    };
  }
}
