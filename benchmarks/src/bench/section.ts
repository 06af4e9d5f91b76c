/** One benchmark's outcome: a table, the targets it checks, notes, and the raw data for the JSON file. */

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  /** null: not measured (skipped). */
  readonly met: boolean | null;
  /** How far from the target, in words ("+12 %", "3.1 ms over"). */
  readonly margin: string;
}

export interface Section {
  readonly id: string;
  readonly title: string;
  /** What was run, one line (counts, durations). */
  readonly setup: string;
  readonly head: string[];
  readonly rows: string[][];
  readonly targets: Target[];
  readonly notes: string[];
  readonly skipped: boolean;
  readonly seconds: number;
  readonly data: unknown;
}

export function skippedSection(id: string, title: string, reason: string): Section {
  return {
    id,
    title,
    setup: '',
    head: ['status'],
    rows: [[`skipped: ${reason}`]],
    targets: [],
    notes: [reason],
    skipped: true,
    seconds: 0,
    data: { skipped: reason },
  };
}

/** `value` must be at most `limit`. */
export function atMost(name: string, value: number | null, limit: number, unit: string, digits = 1): Target {
  if (value === null || !Number.isFinite(value)) return notMeasured(name, `< ${limit} ${unit}`);
  const met = value < limit;
  const diff = value - limit;
  return {
    name,
    target: `< ${limit} ${unit}`,
    measured: `${value.toFixed(digits)} ${unit}`,
    met,
    margin: met ? `${Math.abs(diff).toFixed(digits)} ${unit} under` : `${diff.toFixed(digits)} ${unit} over`,
  };
}

/** `value` must be at least `floor` (ratios, shown as %/x by the caller's unit). */
export function atLeast(name: string, value: number | null, floor: number, unit: string, digits = 2): Target {
  if (value === null || !Number.isFinite(value)) return notMeasured(name, `≥ ${floor} ${unit}`);
  const met = value >= floor;
  const diff = value - floor;
  return {
    name,
    target: `≥ ${floor} ${unit}`,
    measured: `${value.toFixed(digits)} ${unit}`,
    met,
    margin: `${diff >= 0 ? '+' : ''}${diff.toFixed(digits)} ${unit}`,
  };
}

export function notMeasured(name: string, target: string): Target {
  return { name, target, measured: 'not measured', met: null, margin: '-' };
}

/** A count that must be zero. */
export function zero(name: string, value: number | null, unit: string): Target {
  if (value === null || !Number.isFinite(value)) return notMeasured(name, `0 ${unit}`);
  return {
    name,
    target: `0 ${unit}`,
    measured: `${value} ${unit}`,
    met: value === 0,
    margin: value === 0 ? 'exact' : `${value} over`,
  };
}
