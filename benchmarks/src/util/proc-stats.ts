/**
 * Process accounting from the outside: CPU seconds from /proc/<pid>/stat (utime + stime of every thread of
 * the process, so shard workers are included) and resident memory from /proc/<pid>/status (VmRSS). The
 * gateway never reports on itself here.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

// proc(5): fields after "(comm)" start at field 3 (state); utime is field 14, stime field 15.
const UTIME_INDEX = 14 - 3;
const STIME_INDEX = 15 - 3;
const FALLBACK_CLK_TCK = 100;

let clkTck: number | undefined;

function ticksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || FALLBACK_CLK_TCK;
    } catch {
      clkTck = FALLBACK_CLK_TCK;
    }
  }
  return clkTck;
}

export interface ProcSample {
  /** Date.now() when sampled. */
  atMs: number;
  /** user + system CPU seconds since the process started. */
  cpuS: number;
  /** The system (kernel) part of cpuS. */
  sysS: number;
  /** Resident set size, bytes. */
  rssBytes: number;
}

// proc(5) field 4 (ppid), after "(comm)".
const PPID_INDEX = 4 - 3;

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm may contain spaces and parentheses: split after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** One sample, or null when the process is gone. */
export function sampleProc(pid: number): ProcSample | null {
  try {
    const fields = statFields(pid);
    const sys = Number(fields[STIME_INDEX]);
    const ticks = Number(fields[UTIME_INDEX]) + sys;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    return {
      atMs: Date.now(),
      cpuS: ticks / ticksPerSecond(),
      sysS: sys / ticksPerSecond(),
      rssBytes: m ? Number(m[1]) * 1024 : 0,
    };
  } catch {
    return null;
  }
}

/** A process and its direct children summed (nginx: master plus workers), or null when it is gone. */
export function sampleTree(pid: number): ProcSample | null {
  const own = sampleProc(pid);
  if (!own) return null;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === pid) continue;
    try {
      if (Number(statFields(Number(name))[PPID_INDEX]) !== pid) continue;
    } catch {
      continue;
    }
    const child = sampleProc(Number(name));
    if (child) {
      own.cpuS += child.cpuS;
      own.sysS += child.sysS;
      own.rssBytes += child.rssBytes;
    }
  }
  return own;
}

/** Samples a process on a timer; `between()` answers CPU and RSS over a window of the series. */
export class ProcSampler {
  readonly #pid: number;
  readonly #samples: ProcSample[] = [];
  readonly #timer: NodeJS.Timeout;

  readonly #sample: (pid: number) => ProcSample | null;

  /** `tree`: include direct children (multi-process servers such as nginx). */
  constructor(pid: number, everyMs = 200, tree = false) {
    this.#pid = pid;
    this.#sample = tree ? sampleTree : sampleProc;
    this.#take();
    this.#timer = setInterval(() => this.#take(), everyMs);
    this.#timer.unref();
  }

  #take(): void {
    const s = this.#sample(this.#pid);
    if (s) this.#samples.push(s);
  }

  stop(): void {
    this.#take();
    clearInterval(this.#timer);
  }

  /** The sample closest to `atMs`. */
  at(atMs: number): ProcSample | undefined {
    let best: ProcSample | undefined;
    for (const s of this.#samples)
      if (!best || Math.abs(s.atMs - atMs) < Math.abs(best.atMs - atMs)) best = s;
    return best;
  }

  /** CPU seconds used between two instants (nearest samples) and the largest RSS seen in between. */
  between(fromMs: number, toMs: number): { cpuS: number; sysS: number; wallS: number; maxRssBytes: number } {
    const a = this.at(fromMs);
    const b = this.at(toMs);
    if (!a || !b || b.atMs <= a.atMs) return { cpuS: 0, sysS: 0, wallS: 0, maxRssBytes: 0 };
    let maxRss = 0;
    for (const s of this.#samples)
      if (s.atMs >= a.atMs && s.atMs <= b.atMs) maxRss = Math.max(maxRss, s.rssBytes);
    return {
      cpuS: b.cpuS - a.cpuS,
      sysS: b.sysS - a.sysS,
      wallS: (b.atMs - a.atMs) / 1000,
      maxRssBytes: maxRss,
    };
  }
}

/** Pages of TCP buffer memory in a /proc/net/sockstat text ("TCP: inuse 5 orphan 0 tw 0 alloc 7 mem 3"), or null. */
export function parseSockstatTcpPages(text: string): number | null {
  const m = /^TCP:.*\bmem (\d+)\b/m.exec(text);
  return m ? Number(m[1]) : null;
}

let pageSize: number | undefined;

/** Box-wide (this network namespace) kernel TCP buffer memory in bytes, or null when it cannot be read. */
export function kernelTcpBytes(): number | null {
  if (pageSize === undefined) {
    try {
      pageSize = Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).trim()) || 4096;
    } catch {
      pageSize = 4096;
    }
  }
  try {
    const pages = parseSockstatTcpPages(readFileSync('/proc/net/sockstat', 'utf8'));
    return pages === null ? null : pages * pageSize;
  } catch {
    return null;
  }
}
