/**
 * Container stats from two consecutive samples of our own (one-shot stats carry no usable `precpu_stats`).
 * CPU % is container CPU time over elapsed time, 100 = one full core; memory excludes the page cache;
 * network and block IO are byte rates. Pure.
 */

import type { EngineStats } from '@shardcast/engines';
import type { StatsJson } from './docker-api.js';

/** One stats answer reduced to the counters we difference. */
export interface RawSample {
  /** Our clock when the answer arrived, ms. */
  readonly atMs: number;
  /** The daemon's sample time (`read`), ms with sub-ms precision; null when absent. */
  readonly readMs: number | null;
  /** Cumulative container CPU time, ns. */
  readonly cpuTotalNs: number;
  /** Cumulative host CPU time over all cores, ns (`system_cpu_usage`); null when absent (cgroup v2 rootless, Windows). */
  readonly systemNs: number | null;
  readonly onlineCpus: number;
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number;
  readonly netRxBytes: number;
  readonly netTxBytes: number;
  readonly blockReadBytes: number;
  readonly blockWriteBytes: number;
}

const NS_PER_MS = 1e6;

/** Reduces a stats answer to a sample. */
export function toSample(json: StatsJson, atMs: number): RawSample {
  const cpu = json.cpu_stats ?? {};
  const percpu = cpu.cpu_usage?.percpu_usage?.length ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(json.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let rd = 0;
  let wr = 0;
  for (const e of json.blkio_stats?.io_service_bytes_recursive ?? []) {
    // cgroup v1 spells ops `Read`/`Write`, v2 `read`/`write`.
    const op = (e.op ?? '').toLowerCase();
    if (op === 'read') rd += e.value ?? 0;
    else if (op === 'write') wr += e.value ?? 0;
  }
  return {
    atMs,
    readMs: parseDockerTime(json.read),
    cpuTotalNs: cpu.cpu_usage?.total_usage ?? 0,
    systemNs:
      typeof cpu.system_cpu_usage === 'number' && cpu.system_cpu_usage > 0 ? cpu.system_cpu_usage : null,
    onlineCpus: cpu.online_cpus && cpu.online_cpus > 0 ? cpu.online_cpus : Math.max(1, percpu),
    memoryBytes: memoryWithoutCache(json.memory_stats),
    memoryLimitBytes: json.memory_stats?.limit ?? 0,
    netRxBytes: rx,
    netTxBytes: tx,
    blockReadBytes: rd,
    blockWriteBytes: wr,
  };
}

/** Memory in use minus the page cache: cgroup v1 reports `cache`, cgroup v2 `inactive_file`. */
export function memoryWithoutCache(mem: StatsJson['memory_stats']): number {
  const usage = mem?.usage ?? 0;
  const s = mem?.stats ?? {};
  const cache = s['cache'] ?? s['inactive_file'] ?? 0;
  return Math.max(0, usage - cache);
}

/**
 * Stats from two consecutive samples of one container; null when they cannot be compared (no time
 * passed between them). A counter that went backwards (the container restarted) counts as zero.
 */
export function computeStats(prev: RawSample, cur: RawSample): EngineStats | null {
  const elapsedMs = elapsedBetween(prev, cur);
  if (elapsedMs === null) return null;
  const cpuWallNs = cpuWallNsBetween(prev, cur) ?? elapsedMs * NS_PER_MS;
  const cpuDelta = Math.max(0, cur.cpuTotalNs - prev.cpuTotalNs);
  // Sampling jitter can push the ratio a hair over the machine; the cap keeps dashboards honest.
  const cpuPercent = Math.min((cpuDelta / cpuWallNs) * 100, cur.onlineCpus * 100);
  const perSec = (a: number, b: number) => (Math.max(0, b - a) * 1000) / elapsedMs;
  return {
    cpuPercent,
    memoryBytes: cur.memoryBytes,
    memoryLimitBytes: cur.memoryLimitBytes,
    netRxBytesPerSec: perSec(prev.netRxBytes, cur.netRxBytes),
    netTxBytesPerSec: perSec(prev.netTxBytes, cur.netTxBytes),
    blockReadBytesPerSec: perSec(prev.blockReadBytes, cur.blockReadBytes),
    blockWriteBytesPerSec: perSec(prev.blockWriteBytes, cur.blockWriteBytes),
    atMs: cur.atMs,
  };
}

/** Elapsed time between samples: the daemon's own timestamps when both have one, else our clock. */
function elapsedBetween(prev: RawSample, cur: RawSample): number | null {
  const daemon = prev.readMs !== null && cur.readMs !== null ? cur.readMs - prev.readMs : null;
  const ms = daemon !== null && daemon > 0 ? daemon : cur.atMs - prev.atMs;
  return ms > 0 ? ms : null;
}

/**
 * Wall time between samples as the host's CPU clock saw it (Δsystem / cores), read by the daemon in the
 * same instant as the container's counter, so the two deltas line up better than any clock of ours.
 */
function cpuWallNsBetween(prev: RawSample, cur: RawSample): number | null {
  if (prev.systemNs === null || cur.systemNs === null) return null;
  const delta = cur.systemNs - prev.systemNs;
  return delta > 0 ? delta / cur.onlineCpus : null;
}

/**
 * Parses Docker's RFC 3339 timestamps with nanoseconds (`2026-01-05T10:00:00.123456789Z`) to ms, keeping
 * sub-millisecond digits that `Date.parse` would drop. The zero time (`0001-01-01T00:00:00Z`) is null.
 */
export function parseDockerTime(text: string | undefined): number | null {
  if (!text) return null;
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return null;
  const whole = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(whole) || whole <= 0) return null;
  const frac = m[2] ? Number(`0.${m[2]}`) * 1000 : 0;
  return whole + frac;
}
