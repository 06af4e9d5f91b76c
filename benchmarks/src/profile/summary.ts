/**
 * Reading a V8 `.cpuprofile` (what `node --cpu-prof` writes, one file per thread): busy time, self time per
 * function, time per category (a sample belongs to the first category whose pattern matches a frame of its
 * stack, leaf to root), and line ticks of chosen files. A native call made from JavaScript (uWS's cork and
 * write, the system calls under them) is counted on the JavaScript frame that made it, so line ticks split
 * a function into its native calls and its own work.
 */

export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based. */
  lineNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
  positionTicks?: Array<{ line: number; ticks: number }>;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  /** Microseconds before each sample. */
  timeDeltas: number[];
}

export interface Category {
  readonly name: string;
  /** Tested against each frame's url and function name. */
  readonly pattern: RegExp;
}

export interface ProfileSummary {
  /** Sampled time after the skipped start, microseconds. */
  totalUs: number;
  idleUs: number;
  busyUs: number;
  /** Self time per function ("name url:line"), largest first. */
  self: Array<{ name: string; us: number }>;
  /** Busy time per category, largest first ("garbage collector" and "other" included). */
  categories: Array<{ name: string; us: number }>;
  /** Ticks per line of the functions whose url matches `linesOf` (whole profile), largest first. */
  lines: Array<{ name: string; line: number; ticks: number }>;
  /** All busy ticks of the whole profile (the denominator for `lines`). */
  busyTicks: number;
}

export interface SummaryOptions {
  /** Leave out the first `skipUs` of samples (start-up: module loading, JIT warm-up). */
  skipUs?: number;
  categories?: readonly Category[];
  linesOf?: RegExp;
}

export const IDLE = '(idle)';
export const GC = '(garbage collector)';

/** Categories for the gateway's shard threads. */
export const GATEWAY_CATEGORIES: readonly Category[] = [
  { name: 'client pump (ts-pump, ts-client, ring reads)', pattern: /shard\/ts-(pump|client)\.js/ },
  {
    name: 'ingest (upstream socket, demux, ring write)',
    pattern: /owner\/|mpegts\/|ring\/dist\/src\/writer|undici|engine-client/,
  },
  { name: 'HLS (playlists, segments)', pattern: /hls-service|packages\/hls\// },
  { name: 'joins (ts-route, http)', pattern: /ts-route|\/http\// },
  { name: 'timers', pattern: /node:internal\/timers/ },
];

function shortUrl(url: string): string {
  return url.replace(/^.*\/(apps|packages|node_modules|benchmarks)\//, '$1/');
}

export function frameName(f: CallFrame): string {
  return `${f.functionName || '(anonymous)'} ${shortUrl(f.url)}:${f.lineNumber + 1}`;
}

export function summarizeProfile(p: CpuProfile, o: SummaryOptions = {}): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const categories = o.categories ?? [];
  const categoryOf = new Map<number, string>();
  const classify = (id: number): string => {
    const known = categoryOf.get(id);
    if (known !== undefined) return known;
    let name = 'other';
    if (byId.get(id)?.callFrame.functionName === GC) name = 'garbage collector';
    else
      outer: for (const c of categories) {
        for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
          const f = byId.get(cur)!.callFrame;
          if (c.pattern.test(f.url) || c.pattern.test(f.functionName)) {
            name = c.name;
            break outer;
          }
        }
      }
    categoryOf.set(id, name);
    return name;
  };
  const self = new Map<string, number>();
  const cats = new Map<string, number>();
  let t = 0;
  let total = 0;
  let idle = 0;
  let busyTicks = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const d = p.timeDeltas[i] ?? 0;
    t += d;
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    const isIdle = node.callFrame.functionName === IDLE;
    if (!isIdle) busyTicks++;
    if (t < (o.skipUs ?? 0)) continue;
    total += d;
    if (isIdle) {
      idle += d;
      continue;
    }
    const k = frameName(node.callFrame);
    self.set(k, (self.get(k) ?? 0) + d);
    const c = classify(node.id);
    cats.set(c, (cats.get(c) ?? 0) + d);
  }
  const lines = new Map<string, { name: string; line: number; ticks: number }>();
  if (o.linesOf) {
    for (const n of p.nodes) {
      if (!o.linesOf.test(n.callFrame.url)) continue;
      for (const pt of n.positionTicks ?? []) {
        const key = `${n.callFrame.functionName}\u0000${n.callFrame.url}\u0000${pt.line}`;
        const e = lines.get(key) ?? {
          name: `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}`,
          line: pt.line,
          ticks: 0,
        };
        e.ticks += pt.ticks;
        lines.set(key, e);
      }
    }
  }
  const sorted = (m: Map<string, number>) =>
    [...m].map(([name, us]) => ({ name, us })).sort((a, b) => b.us - a.us);
  return {
    totalUs: total,
    idleUs: idle,
    busyUs: total - idle,
    self: sorted(self),
    categories: sorted(cats),
    lines: [...lines.values()].sort((a, b) => b.ticks - a.ticks),
    busyTicks,
  };
}
