/** Writes the run's JSON and markdown files, and renders the terminal table. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixed, markdownTable, textTable } from '../util/format.js';
import type { MachineInfo } from '../util/machine.js';
import type { Section } from './section.js';

export interface SuiteResult {
  version: 1;
  mode: 'quick' | 'full' | 'soak';
  startedAt: string;
  seconds: number;
  command: string;
  machine: MachineInfo;
  /** How the processes were placed on CPUs (taskset), one line. */
  pinning?: string;
  sections: Section[];
}

/** The command line that reproduces a run, as a reader would type it (flags after npm's `--`). */
export function benchCommand(quick: boolean, only: string | undefined): string {
  const flags = [...(quick ? ['--quick'] : []), ...(only ? ['--only', only] : [])];
  return flags.length > 0 ? `npm run bench -- ${flags.join(' ')}` : 'npm run bench';
}

function machineLine(m: MachineInfo): string {
  return `${m.cpuModel}, ${m.cores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB RAM, Linux ${m.kernel}, Node ${m.node}; load average at start ${fixed(m.loadAverage1m, 2)}`;
}

function targetRows(sections: Section[]): string[][] {
  const rows: string[][] = [];
  for (const s of sections) {
    for (const t of s.targets) {
      rows.push([t.name, t.target, t.measured, t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED', t.margin]);
    }
  }
  return rows;
}

const TARGET_HEAD = ['target', 'wanted', 'measured', 'status', 'margin'];

export function renderText(r: SuiteResult): string {
  const out = [`Shardcast benchmarks (${r.mode}), ${r.startedAt}`, `machine: ${machineLine(r.machine)}`];
  if (r.pinning) out.push(`CPUs: ${r.pinning}`);
  out.push('');
  for (const s of r.sections) {
    out.push(`## ${s.title}${s.setup ? ` — ${s.setup}` : ''}`);
    out.push(textTable(s.head, s.rows));
    for (const n of s.notes) out.push(`  note: ${n}`);
    out.push('');
  }
  const t = targetRows(r.sections);
  if (t.length > 0) out.push('## Targets', textTable(TARGET_HEAD, t), '');
  out.push(`total ${fixed(r.seconds, 0)} s`);
  return out.join('\n');
}

export function renderMarkdown(r: SuiteResult): string {
  const out = [
    `# Shardcast benchmarks — ${r.startedAt} (${r.mode})`,
    '',
    `Machine: ${machineLine(r.machine)}.`,
    '',
    ...(r.pinning ? [`CPUs: ${r.pinning}.`, ''] : []),
    `Command: \`${r.command}\` (${fixed(r.seconds, 0)} s). The load generator, the gateway, the baselines and the engine simulator share this machine's cores; every ratio compares two systems measured in the same run under the same load generator.`,
    '',
  ];
  const t = targetRows(r.sections);
  if (t.length > 0) out.push('## Targets', '', markdownTable(TARGET_HEAD, t), '');
  for (const s of r.sections) {
    out.push(`## ${s.title}`, '');
    if (s.setup) out.push(s.setup, '');
    out.push(markdownTable(s.head, s.rows), '');
    for (const n of s.notes) out.push(`- ${n}`);
    if (s.notes.length > 0) out.push('');
  }
  return out.join('\n');
}

/** Writes `<date>[-quick|-soak][suffix].json` and `.md`; returns their paths. */
export function writeResults(dir: string, r: SuiteResult, suffix = ''): { json: string; md: string } {
  mkdirSync(dir, { recursive: true });
  const base = `${r.startedAt.slice(0, 10)}${r.mode === 'full' ? '' : `-${r.mode}`}${suffix}`;
  const json = join(dir, `${base}.json`);
  const md = join(dir, `${base}.md`);
  writeFileSync(json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(md, `${renderMarkdown(r)}\n`);
  return { json, md };
}
