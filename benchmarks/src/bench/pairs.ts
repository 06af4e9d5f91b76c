/**
 * A/B pairs: a system and its baseline measured alternately (A, B, A, B, …) in one run, each ratio taken
 * within a pair, so a ratio comes with its spread across pairs instead of one draw of the scheduler.
 */

export interface Spread {
  /** Finite values used. */
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly values: number[];
}

/** Median, min and max of the finite values; null when there is none. */
export function spread(values: ReadonlyArray<number | null | undefined>): Spread | null {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: v.length, median, min: s[0]!, max: s[s.length - 1]!, values: v };
}

/** a[i] / b[i] for every pair where both are finite and b[i] > 0 (pairs with a missing side are dropped). */
export function pairRatios(
  a: ReadonlyArray<number | null | undefined>,
  b: ReadonlyArray<number | null | undefined>,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (typeof x === 'number' && typeof y === 'number' && Number.isFinite(x) && Number.isFinite(y) && y > 0)
      out.push(x / y);
  }
  return out;
}

/** "1.43 (1.38–1.51)" — the median, then the range when there is more than one value; "-" when null. */
export function formatSpread(s: Spread | null, digits: number, scale = 1, unit = ''): string {
  if (!s) return '-';
  const f = (x: number): string => (x * scale).toFixed(digits);
  const u = unit ? ` ${unit}` : '';
  return s.n > 1 ? `${f(s.median)}${u} (${f(s.min)}–${f(s.max)})` : `${f(s.median)}${u}`;
}

/** The run order of `pairs` A/B pairs: A, B, A, B, … */
export function abOrder(pairs: number): Array<{ pair: number; side: 'A' | 'B' }> {
  const out: Array<{ pair: number; side: 'A' | 'B' }> = [];
  for (let i = 0; i < pairs; i++) out.push({ pair: i, side: 'A' }, { pair: i, side: 'B' });
  return out;
}
