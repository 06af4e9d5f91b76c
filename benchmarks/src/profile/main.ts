/**
 * `node benchmarks/bin/cpuprofile.js [--top N] [--skip S] [--lines REGEX] FILE...`: where a thread's time
 * went, from the `.cpuprofile` files `node --cpu-prof` writes (one per thread, workers included): busy
 * time, the gateway's categories, the top self-time functions, and with --lines the ticks per source line
 * of the matching files (e.g. --lines ts-pump to split the pump into its uWS calls and its own work).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { type CpuProfile, GATEWAY_CATEGORIES, summarizeProfile } from './summary.js';

const HELP = `Usage: node benchmarks/bin/cpuprofile.js [--top N] [--skip SECONDS] [--lines REGEX] FILE...\n`;

function main(): void {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: process.argv.slice(2),
      options: {
        top: { type: 'string' },
        skip: { type: 'string' },
        lines: { type: 'string' },
        help: { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${HELP}`);
    process.exitCode = 2;
    return;
  }
  const v = parsed.values as { top?: string; skip?: string; lines?: string; help?: boolean };
  if (v.help || parsed.positionals.length === 0) {
    process.stdout.write(HELP);
    if (!v.help) process.exitCode = 2;
    return;
  }
  const top = Number(v.top ?? 15);
  const skip = Number(v.skip ?? 0);
  if (!Number.isInteger(top) || top < 0 || !Number.isFinite(skip) || skip < 0) {
    process.stderr.write(`--top takes a whole number and --skip seconds ≥ 0.\n`);
    process.exitCode = 2;
    return;
  }
  const linesOf = v.lines ? new RegExp(v.lines) : undefined;
  for (const file of parsed.positionals) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const s = summarizeProfile(p, { skipUs: skip * 1e6, categories: GATEWAY_CATEGORIES, linesOf });
    const pct = (us: number) => `${((100 * us) / Math.max(1, s.busyUs)).toFixed(1).padStart(5)} %`;
    const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
    const out = [
      `${basename(file)}: ${(s.totalUs / 1e6).toFixed(1)} s sampled${skip > 0 ? ` (after the first ${skip} s)` : ''}, busy ${(s.busyUs / 1e6).toFixed(2)} s (${((100 * s.busyUs) / Math.max(1, s.totalUs)).toFixed(1)} % of one core)`,
      '  by category (stack contains):',
      ...s.categories.map((c) => `  ${ms(c.us)} ${pct(c.us)}  ${c.name}`),
      '  self time:',
      ...s.self.slice(0, top).map((f) => `  ${ms(f.us)} ${pct(f.us)}  ${f.name}`),
    ];
    if (linesOf) {
      out.push(`  line ticks (whole profile, of ${s.busyTicks} busy ticks):`);
      for (const l of s.lines.slice(0, top))
        out.push(
          `  ${String(l.ticks).padStart(7)}    ${((100 * l.ticks) / Math.max(1, s.busyTicks)).toFixed(1).padStart(5)} %  ${l.name}:${l.line}`,
        );
    }
    process.stdout.write(`${out.join('\n')}\n\n`);
  }
}

main();
