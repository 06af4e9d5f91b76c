/**
 * An independent latency probe: one keep-alive connection from the (otherwise idle) orchestrator process
 * requesting one URL at a steady interval while a load run is going on. The players' own latency figures
 * include the load generator's event-loop delay when it is busy with thousands of players; this one shows
 * what a single client sees from the server under the same load.
 */
import { Agent, request } from 'node:http';
import { type LatencySummary, newHistogram, recordMs, summarize } from '../util/histogram.js';

export interface ProbeResult {
  latency: LatencySummary;
  failures: number;
  /** The probe's own event-loop delay p99 (ms): how much of its latency could be its own. */
  selfDelayP99Ms: number;
}

export interface Probe {
  stop(): Promise<ProbeResult>;
}

/** Starts requesting `url` every `intervalMs` (one request in flight at most). */
export function startLatencyProbe(url: string, intervalMs: number): Probe {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const h = newHistogram();
  let failures = 0;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;
  const selfDelay = newHistogram();
  let expectedAt = performance.now() + intervalMs;

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = request(url, { agent, timeout: 5000 }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode === 200) recordMs(h, performance.now() - t0);
          else failures++;
          resolve();
        });
        res.on('error', () => {
          failures++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end();
    });

  const timer = setInterval(() => {
    const now = performance.now();
    recordMs(selfDelay, Math.max(0, now - expectedAt));
    expectedAt = now + intervalMs;
    if (stopped || busy) return;
    busy = true;
    inFlight = once().then(() => {
      busy = false;
    });
  }, intervalMs);

  return {
    async stop(): Promise<ProbeResult> {
      stopped = true;
      clearInterval(timer);
      await inFlight;
      agent.destroy();
      const result = {
        latency: summarize(h),
        failures,
        selfDelayP99Ms: summarize(selfDelay).p99,
      };
      h.destroy();
      selfDelay.destroy();
      return result;
    },
  };
}
