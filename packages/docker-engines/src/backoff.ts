/** Reconnect delays: doubling from `initialMs` up to `maxMs`, with ±20 % jitter so gateways do not sync up. */

export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
}

const JITTER = 0.2;

/** Delay before retry number `attempt` (0-based); `random` in [0, 1). */
export function backoffDelayMs(attempt: number, opts: BackoffOptions, random: number): number {
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 - JITTER + 2 * JITTER * random));
}
