/**
 * The gateway's own gauge and counter families, computed at scrape time and written straight to
 * exposition text (format 0.0.4). Each family's `fill` reads main's state and emits its samples; nothing
 * is updated on a hot path. prom-client keeps the registry of the process metrics; these families skip
 * its per-series bookkeeping (reset, label hashing, a value object per series, then formatting), which
 * was most of a scrape's CPU on main.
 */
import { escapeHelp, escapeLabelValue, formatNumber, isLabelName, isMetricName } from '@shardcast/metrics';
import type { MetricsSources } from './metrics-sources.js';

type Labels = Record<string, string | number>;
export type Emit = (labels: Labels, value: number) => void;
export type Fill = (s: MetricsSources, emit: Emit, now: number) => void;
/** Declares a family: name, help, label names, and how to fill it. */
export type Declare = (name: string, help: string, labels: readonly string[], fill: Fill) => void;

interface FamilyDef {
  readonly kind: 'gauge' | 'counter';
  readonly name: string;
  /** `# HELP` and `# TYPE` lines, with their newlines. */
  readonly head: string;
  readonly labels: readonly string[];
  readonly fill: Fill;
}

/** An ordered set of scrape-time families. */
export class FamilySet {
  readonly #defs: FamilyDef[] = [];
  readonly #names = new Set<string>();

  /** Declares a family; throws a TypeError for an invalid or repeated name (a programming error). */
  declare(
    kind: 'gauge' | 'counter',
    name: string,
    help: string,
    labels: readonly string[],
    fill: Fill,
  ): void {
    if (!isMetricName(name)) throw new TypeError(`Metric name "${name}" is not a valid Prometheus name.`);
    if (this.#names.has(name)) throw new TypeError(`Metric "${name}" is declared twice.`);
    for (const l of labels) {
      if (!isLabelName(l))
        throw new TypeError(`Label name "${l}" of "${name}" is not a valid Prometheus label name.`);
    }
    this.#names.add(name);
    this.#defs.push({
      kind,
      name,
      head: `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${kind}\n`,
      labels,
      fill,
    });
  }

  /** Gauge and counter declarers bound to this set. */
  declarers(): { g: Declare; c: Declare } {
    return {
      g: (name, help, labels, fill) => this.declare('gauge', name, help, labels, fill),
      c: (name, help, labels, fill) => this.declare('counter', name, help, labels, fill),
    };
  }

  /**
   * Every family's text. A sample whose labels are not exactly the declared ones is a programming error
   * and throws a TypeError (the first test that scrapes finds it); the same label set emitted twice
   * keeps the last value (a gauge) or adds up (a counter), as prom-client's set/inc did.
   */
  render(src: MetricsSources, now: number): string {
    let out = '';
    for (const d of this.#defs) {
      const samples = new Map<string, number>();
      d.fill(
        src,
        (labels, value) => {
          const key = labelText(d, labels);
          const prev = samples.get(key);
          samples.set(key, d.kind === 'counter' && prev !== undefined ? prev + value : value);
        },
        now,
      );
      out += d.head;
      for (const [key, value] of samples) out += `${d.name}${key} ${formatNumber(value)}\n`;
    }
    return out;
  }
}

function labelText(d: FamilyDef, labels: Labels): string {
  const n = d.labels.length;
  let count = 0;
  for (const k in labels) {
    if (Object.hasOwn(labels, k)) count++;
  }
  if (count !== n) {
    throw new TypeError(
      `Metric "${d.name}" takes labels [${d.labels.join(', ')}], got [${Object.keys(labels).join(', ')}].`,
    );
  }
  if (n === 0) return '';
  let out = '{';
  for (let i = 0; i < n; i++) {
    const k = d.labels[i]!;
    const v = labels[k];
    if (v === undefined) throw new TypeError(`Metric "${d.name}" is missing label "${k}".`);
    out += `${i === 0 ? '' : ','}${k}="${escapeLabelValue(v)}"`;
  }
  return `${out}}`;
}
