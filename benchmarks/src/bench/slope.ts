/** Least-squares trend of a sampled series (RSS over time): pure, so it is unit-tested. */

export interface TimedSample {
  /** Seconds since the series began. */
  readonly tS: number;
  readonly value: number;
}

/**
 * Slope of the least-squares line through the samples at or after `fromS`, in value units per second;
 * null with fewer than two such samples or when they all share one time.
 */
export function leastSquaresSlope(samples: readonly TimedSample[], fromS = 0): number | null {
  let n = 0;
  let sumT = 0;
  let sumV = 0;
  for (const s of samples) {
    if (s.tS < fromS) continue;
    n++;
    sumT += s.tS;
    sumV += s.value;
  }
  if (n < 2) return null;
  const meanT = sumT / n;
  const meanV = sumV / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    if (s.tS < fromS) continue;
    const dt = s.tS - meanT;
    num += dt * (s.value - meanV);
    den += dt * dt;
  }
  return den > 0 ? num / den : null;
}

/** The warm-up a soak's slope ignores: 20 % of the run, but at least two minutes (rings fill first). */
export function warmupSeconds(totalS: number): number {
  return Math.min(totalS, Math.max(0.2 * totalS, 120));
}

/**
 * The slope over each third of the samples after the warm-up, per minute, for the soak's notes: a curve that flattens (memory
 * reaching a plateau) reads differently from a steady climb with the same whole-window slope. The target
 * stays the whole window's slope.
 */
export function thirdsSlopes(samples: readonly TimedSample[], warmupS: number): (number | null)[] {
  const last = samples.at(-1)?.tS ?? 0;
  const span = last - warmupS;
  if (span <= 0) return [null, null, null];
  return [0, 1, 2].map((i) => {
    const from = warmupS + (i * span) / 3;
    const to = warmupS + ((i + 1) * span) / 3;
    const slope = leastSquaresSlope(
      samples.filter((x) => x.tS <= to + 1e-9),
      from,
    );
    return slope === null ? null : slope * 60;
  });
}
