/**
 * Main thread event-loop delay families under prom-client's default names (the Node.js dashboards read
 * them), replacing prom-client's own collector: that one reads the delay histogram's standard deviation
 * at every scrape, which walks the whole HDR array (~0.4 ms, a fifth of a scrape's CPU on main), so
 * `nodejs_eventloop_lag_stddev_seconds` is not exported. Min/max/mean/percentiles are since the last
 * scrape, and `nodejs_eventloop_lag_seconds` is the delay of a setImmediate queued by the previous
 * scrape, as prom-client measured them.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FamilySet } from './prom-family.js';

/** prom-client's default names of its event-loop lag collector (all of them, stddev included). */
export const PROM_CLIENT_LOOP_LAG_NAMES: readonly string[] = [
  'nodejs_eventloop_lag_seconds',
  'nodejs_eventloop_lag_min_seconds',
  'nodejs_eventloop_lag_max_seconds',
  'nodejs_eventloop_lag_mean_seconds',
  'nodejs_eventloop_lag_stddev_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_eventloop_lag_p90_seconds',
  'nodejs_eventloop_lag_p99_seconds',
];

const NS_PER_S = 1e9;
/** Sampling resolution of the delay histogram (prom-client's default). */
const RESOLUTION_MS = 10;

export function declareLoopDelayFamilies(set: FamilySet): void {
  const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  h.enable();
  let immediateLagS = 0;
  // Read once per scrape by the first family, then reset for the next interval.
  let snap = { min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
  const { g } = set.declarers();
  g('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', [], (_s, emit) => {
    const start = process.hrtime.bigint();
    setImmediate(() => {
      immediateLagS = Number(process.hrtime.bigint() - start) / NS_PER_S;
    });
    emit({}, immediateLagS);
    const empty = h.count === 0;
    snap = {
      min: empty ? 0 : h.min / NS_PER_S,
      max: empty ? 0 : h.max / NS_PER_S,
      mean: empty ? 0 : h.mean / NS_PER_S,
      p50: h.percentile(50) / NS_PER_S,
      p90: h.percentile(90) / NS_PER_S,
      p99: h.percentile(99) / NS_PER_S,
    };
    h.reset();
  });
  const one = (name: string, help: string, pick: (s: typeof snap) => number): void =>
    g(name, help, [], (_s, emit) => emit({}, pick(snap)));
  one('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.', (s) => s.min);
  one('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.', (s) => s.max);
  one('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.', (s) => s.mean);
  one(
    'nodejs_eventloop_lag_p50_seconds',
    'The 50th percentile of the recorded event loop delays.',
    (s) => s.p50,
  );
  one(
    'nodejs_eventloop_lag_p90_seconds',
    'The 90th percentile of the recorded event loop delays.',
    (s) => s.p90,
  );
  one(
    'nodejs_eventloop_lag_p99_seconds',
    'The 99th percentile of the recorded event loop delays.',
    (s) => s.p99,
  );
}
