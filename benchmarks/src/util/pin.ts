/**
 * CPU pinning of the suite's processes with `taskset`: the server under test on one CPU, the load
 * generator, engine-sim and the bench process itself on the other(s), so a figure does not move with the
 * scheduler's placement. The plan is decided once by the suite (`setPinning`); without one (`null`: one
 * CPU, or no taskset) every command runs unchanged.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export type CpuRole = 'server' | 'load';

export interface PinPlan {
  /** taskset CPU list of the server under test (one CPU). */
  readonly server: string;
  /** taskset CPU list of everything else (load generator, engine-sim, the bench process). */
  readonly load: string;
}

/** `Cpus_allowed_list` syntax ("0-1,4,6-7") to the sorted CPU numbers; throws on anything else. */
export function parseCpuList(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new RangeError(`not a CPU list: "${text}"`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new RangeError(`not a CPU list: "${text}"`);
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}

/** The server gets the first allowed CPU, the rest get the others; null below two CPUs. */
export function planPinning(cpus: readonly number[]): PinPlan | null {
  if (cpus.length < 2) return null;
  return { server: String(cpus[0]), load: cpus.slice(1).join(',') };
}

/** The command line that runs `cmd args` on the CPUs of `role` (unchanged without a plan). */
export function pinCommand(
  plan: PinPlan | null,
  role: CpuRole,
  cmd: string,
  args: readonly string[],
): { cmd: string; args: string[] } {
  if (!plan) return { cmd, args: [...args] };
  return { cmd: 'taskset', args: ['-c', role === 'server' ? plan.server : plan.load, cmd, ...args] };
}

/** One line for the tables. */
export function describePinning(plan: PinPlan | null): string {
  return plan
    ? `pinned with taskset: server under test on CPU ${plan.server}; load generator, engine-sim and the bench process on CPU ${plan.load}`
    : 'not pinned (taskset missing or fewer than two CPUs): every process shares every CPU';
}

let current: PinPlan | null = null;

/** The suite's plan for this machine: null without taskset or with fewer than two allowed CPUs. */
export function detectPinning(): PinPlan | null {
  if (spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status !== 0) return null;
  try {
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? planPinning(parseCpuList(m[1]!)) : null;
  } catch {
    return null;
  }
}

/** Sets the plan for `pinned()` and moves this process (every thread) to the load CPUs. */
export function setPinning(plan: PinPlan | null): void {
  current = plan;
  if (plan) execFileSync('taskset', ['-a', '-p', '-c', plan.load, String(process.pid)], { stdio: 'ignore' });
}

export function pinning(): PinPlan | null {
  return current;
}

/** `cmd args` on the CPUs of `role` under the suite's plan. */
export function pinned(role: CpuRole, cmd: string, args: readonly string[]): { cmd: string; args: string[] } {
  return pinCommand(current, role, cmd, args);
}
