/**
 * One Prometheus family on a prom-client registry whose samples are computed at scrape time: the
 * `collect` hook resets the family and refills it from main's state, so nothing is updated on a hot path.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { MetricsSources } from './metrics-sources.js';

type Labels = Record<string, string | number>;
export type Emit = (labels: Labels, value: number) => void;
export type Fill = (s: MetricsSources, emit: Emit, now: number) => void;
/** Declares a family: name, help, label names, and how to fill it. */
export type Declare = (name: string, help: string, labels: readonly string[], fill: Fill) => void;

/** Declares a family whose samples are produced by `fill` at each scrape. */
export function family(
  reg: Registry,
  sources: MetricsSources,
  kind: 'gauge' | 'counter',
  name: string,
  help: string,
  labelNames: readonly string[],
  fill: Fill,
): void {
  if (kind === 'gauge') {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [reg],
      collect() {
        this.reset();
        fill(sources, (l, v) => this.set(l, v), Date.now());
      },
    });
  } else {
    new Counter({
      name,
      help,
      labelNames,
      registers: [reg],
      collect() {
        this.reset();
        fill(sources, (l, v) => this.inc(l, v), Date.now());
      },
    });
  }
}

/** Gauge and counter declarers bound to a registry and sources. */
export function declarers(reg: Registry, s: MetricsSources): { g: Declare; c: Declare } {
  return {
    g: (name, help, labels, fill) => family(reg, s, 'gauge', name, help, labels, fill),
    c: (name, help, labels, fill) => family(reg, s, 'counter', name, help, labels, fill),
  };
}
