/**
 * An independent latency probe: one keep-alive connection from a process of its own requesting one URL at
 * a steady interval while a load run is going on. The players' own latency figures include the load
 * generator's event-loop delay when it is busy with thousands of players, and the orchestrator is busy
 * sampling /proc and the API; this one shows what a single client sees from the server under the same load.
 */
import { fork, spawnSync } from 'node:child_process';
import { Agent, request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { type LatencySummary, newHistogram, recordMs, summarize } from '../util/histogram.js';

export interface ProbeResult {
  latency: LatencySummary;
  failures: number;
  /** The probe's own event-loop delay p99 (ms): how much of its latency could be its own. */
  selfDelayP99Ms: number;
  /** The scheduling the probe ran under (see {@link raisePriority}). */
  priority: string;
}

export interface Probe {
  stop(): Promise<ProbeResult>;
}

const CHILD_FLAG = 'SHARDCAST_LATENCY_PROBE_CHILD';
/** How long stop() waits for the child's answer. */
const STOP_DEADLINE_MS = 10_000;

/** Starts a child process requesting `url` every `intervalMs`; stop() returns what it measured. */
export function startLatencyProbe(url: string, intervalMs: number): Probe {
  const child = fork(fileURLToPath(import.meta.url), [url, String(intervalMs)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [],
    env: { ...process.env, [CHILD_FLAG]: '1' },
  });
  const priority = child.pid === undefined ? 'normal' : raisePriority(child.pid);
  const answer = new Promise<ProbeResult | null>((resolve) => {
    child.once('message', (m) => resolve(m as ProbeResult));
    child.once('exit', () => resolve(null));
    child.once('error', () => resolve(null));
  });
  return {
    async stop(): Promise<ProbeResult> {
      if (child.connected) child.send('stop');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
      const r = await answer;
      clearTimeout(timer);
      if (child.connected) child.disconnect();
      child.kill();
      return r
        ? { ...r, priority }
        : {
            latency: { count: 0, p50: 0, p95: 0, p99: 0, max: 0, mean: 0 },
            failures: 1,
            selfDelayP99Ms: 0,
            priority,
          };
    },
  };
}

/**
 * The probe shares its CPU with the load generator, whose bursts of work would otherwise delay the probe's
 * own reads and show up as server latency: it takes the highest nice priority it may (-20 needs root or
 * CAP_SYS_NICE) and says which it got. Not real-time scheduling: with every thread of the probe under
 * SCHED_FIFO (2026-12-06) the load generator on the same CPU was starved (its event-loop delay reached
 * 8 s, 182 players failed, 1,460 stalled), which wrecked the run the probe was there to observe.
 */
function raisePriority(pid: number): string {
  const parts: string[] = [];
  if (spawnSync('renice', ['-n', '-20', '-p', String(pid)], { stdio: 'ignore' }).status === 0)
    parts.push('nice -20');
  if (shortSlice(pid)) parts.push(`slice ${SLICE_NS / 1e6} ms`);
  return parts.length ? parts.join(', ') : 'normal';
}

/** The probe's time slice (ns): the kernel's floor for a custom slice. */
export const SLICE_NS = 100_000;

/**
 * Under EEVDF (Linux 6.6+) a woken task with the default slice (0.7-3 ms) often waits for the running
 * one's slice to end even at nice -20, which the probe then reports as server latency. Since Linux 6.12 a
 * SCHED_OTHER task may ask for a shorter slice (sched_setattr's sched_runtime), and a task with a shorter
 * slice preempts on wakeup; its share of the CPU stays a fair one (nice -20's weight, not real time).
 * Node cannot make that syscall, so a few lines of Python do it for every thread of the probe. False when
 * python3 is missing or the kernel refuses (older kernels ignore or reject the field): the probe then runs
 * with nice alone, and its priority line says so.
 */
export function shortSlice(pid: number): boolean {
  const r = spawnSync('python3', ['-c', SET_SLICE_PY, String(pid), String(SLICE_NS)], {
    stdio: ['ignore', 'pipe', 'ignore'],
    encoding: 'utf8',
  });
  return r.status === 0 && r.stdout.trim() === 'ok';
}

/** sched_setattr(tid, {SCHED_OTHER, nice kept, sched_runtime = slice}) on each thread, read back. */
const SET_SLICE_PY = `
import ctypes, os, platform, struct, sys
SET, GET = {'x86_64': (314, 315), 'aarch64': (274, 275)}.get(platform.machine(), (0, 0))
if not SET: print('refused'); sys.exit()
libc = ctypes.CDLL(None, use_errno=True)
pid, ns = int(sys.argv[1]), int(sys.argv[2])
FMT = 'IIQiIQQQ'
def get(tid):
    buf = ctypes.create_string_buffer(48)
    if libc.syscall(GET, tid, buf, 48, 0) != 0: raise OSError(ctypes.get_errno(), 'sched_getattr')
    return struct.unpack(FMT, buf.raw)
for t in os.listdir(f'/proc/{pid}/task'):
    try: libc.syscall(SET, int(t), struct.pack(FMT, 48, 0, 0, get(int(t))[3], 0, ns, 0, 0), 0)
    except OSError: pass  # a thread that ended meanwhile
print('ok' if get(pid)[5] == ns else 'refused')
`;

if (process.env[CHILD_FLAG] === '1' && process.send) {
  const probe = runProbe(process.argv[2] ?? '', Number(process.argv[3]));
  process.once('message', () => {
    void probe.stop().then((r) => process.send?.(r, () => process.disconnect()));
  });
}

/** Requests `url` every `intervalMs` in this process (one request in flight at most). */
function runProbe(url: string, intervalMs: number): Probe {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const h = newHistogram();
  let failures = 0;
  let stopped = false;
  let inFlight: Promise<void> = Promise.resolve();
  let busy = false;
  const selfDelay = newHistogram();
  let expectedAt = performance.now() + intervalMs;

  const once = (): Promise<void> =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = request(url, { agent, timeout: 5000 }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode === 200) recordMs(h, performance.now() - t0);
          else failures++;
          resolve();
        });
        res.on('error', () => {
          failures++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end();
    });

  const timer = setInterval(() => {
    const now = performance.now();
    recordMs(selfDelay, Math.max(0, now - expectedAt));
    expectedAt = now + intervalMs;
    if (stopped || busy) return;
    busy = true;
    inFlight = once().then(() => {
      busy = false;
    });
  }, intervalMs);

  return {
    async stop(): Promise<ProbeResult> {
      stopped = true;
      clearInterval(timer);
      await inFlight;
      agent.destroy();
      const result = {
        latency: summarize(h),
        failures,
        selfDelayP99Ms: summarize(selfDelay).p99,
        priority: 'normal',
      };
      h.destroy();
      selfDelay.destroy();
      return result;
    },
  };
}
