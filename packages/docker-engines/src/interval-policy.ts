/**
 * How often container stats are polled, chosen by the number of Docker engines. A policy is a table of
 * rows `{minEngines, intervalMs}`: the row with the largest `minEngines` not above the engine count wins.
 * `intervalMs: null` means no stats calls at all (only the discovery reconcile runs).
 */

export interface StatsPolicyRow {
  /** Engine count from which this row applies (the first row must be 0). */
  readonly minEngines: number;
  /** Time in which every engine is sampled once, ms; null = no stats calls. */
  readonly intervalMs: number | null;
}

export type StatsPolicy = readonly StatsPolicyRow[];

/** The classic rule: none → no stats, 1–5 engines → 3 s, 6 or more → 2 s. */
export const DEFAULT_STATS_POLICY: StatsPolicy = [
  { minEngines: 0, intervalMs: null },
  { minEngines: 1, intervalMs: 3000 },
  { minEngines: 6, intervalMs: 2000 },
];

/** Shortest stats interval a policy may ask for; below this the daemon's 1 s collection tick dominates. */
export const MIN_POLICY_INTERVAL_MS = 100;

/** Returns null when the policy is valid, else one sentence saying what is wrong. */
export function checkStatsPolicy(policy: StatsPolicy): string | null {
  if (!Array.isArray(policy) || policy.length === 0) return 'statsPolicy must be a non-empty array of rows.';
  if (policy[0]?.minEngines !== 0) return 'statsPolicy must start with a row for minEngines 0.';
  for (let i = 0; i < policy.length; i++) {
    const row = policy[i]!;
    if (!Number.isInteger(row.minEngines) || row.minEngines < 0) {
      return `statsPolicy row ${i}: minEngines must be a non-negative integer.`;
    }
    if (i > 0 && row.minEngines <= policy[i - 1]!.minEngines) {
      return `statsPolicy row ${i}: minEngines must be greater than the previous row's.`;
    }
    if (
      row.intervalMs !== null &&
      (!Number.isFinite(row.intervalMs) || row.intervalMs < MIN_POLICY_INTERVAL_MS)
    ) {
      return `statsPolicy row ${i}: intervalMs must be null or a number of at least ${MIN_POLICY_INTERVAL_MS}.`;
    }
  }
  return null;
}

/** The policy's interval for `engines` engines (null = no stats calls). Assumes a checked policy. */
export function policyIntervalMs(policy: StatsPolicy, engines: number): number | null {
  let chosen: number | null = null;
  for (const row of policy) {
    if (row.minEngines > engines) break;
    chosen = row.intervalMs;
  }
  return engines === 0 ? null : chosen;
}

/** Limits that can stretch the policy's interval so every engine is still sampled once per interval. */
export interface IntervalLimits {
  /** Stats calls per second the rate cap leaves for stats. */
  readonly statsCallsPerSec: number;
  /** Stats calls allowed in flight at once. */
  readonly concurrency: number;
  /** Typical duration of one stats call, ms (a moving average; 0 before the first call). */
  readonly callMs: number;
}

/**
 * The interval actually used: the policy's, stretched when the rate cap or the concurrency bound cannot
 * carry `engines` calls per interval. Stretching keeps calls evenly spread, where skipping would bunch them.
 */
export function effectiveIntervalMs(
  policyMs: number | null,
  engines: number,
  limits: IntervalLimits,
): number | null {
  if (policyMs === null || engines === 0) return null;
  const byRate = (engines * 1000) / limits.statsCallsPerSec;
  const byConcurrency = (engines * limits.callMs) / limits.concurrency;
  return Math.ceil(Math.max(policyMs, byRate, byConcurrency));
}
