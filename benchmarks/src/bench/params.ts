/** Counts and durations of the suite, quick and full. */
import { UsageError } from '../util/args.js';

export interface SuiteParams {
  readonly shards: number;
  /** A/B pairs per comparison (Shardcast then its baseline, repeated): each ratio gets a spread. */
  readonly tsPairs: number;
  readonly segPairs: number;
  /** The naive proxy also in the unpaced mode (full only: it is far from the others there, and slow). */
  readonly naiveUnpaced: boolean;
  /** TS fan-out at real time: streams × clients per stream. */
  readonly rtStreams: number;
  readonly rtClientsPerStream: number;
  readonly rtDurationS: number;
  readonly rtRampS: number;
  /** TS fan-out unpaced (engine at "max", players read as fast as they can). */
  readonly maxStreams: number;
  readonly maxClientsPerStream: number;
  readonly maxDurationS: number;
  readonly maxRampS: number;
  /** HLS players (on the warm real-time streams). */
  readonly hlsPlayers: number;
  readonly hlsDurationS: number;
  readonly hlsRampS: number;
  /** Closed-loop segment throughput, gateway vs nginx. */
  readonly segConnections: number;
  readonly segSeconds: number;
  readonly iperfSeconds: number;
  /** Metrics rendering: active streams and shards. */
  readonly metricsStreams: number;
  readonly metricsShards: number;
  readonly metricsRequests: number;
  /** Docker polling bench (seconds per run; null = skipped in this mode). */
  readonly dockerSeconds: number | null;
  readonly dockerEngines: string;
  /** Restart under load: players waiting on the closed port while the gateway starts. */
  readonly restartTsPlayers: number;
  readonly restartHlsPlayers: number;
  readonly restartChannels: number;
  /** Cluster vs one gateway: streams × real-time TS clients, through HAProxy and direct. */
  readonly clusterStreams: number;
  readonly clusterClientsPerStream: number;
  readonly clusterDurationS: number;
  readonly clusterRampS: number;
}

export const QUICK: SuiteParams = {
  shards: 2,
  tsPairs: 2,
  segPairs: 2,
  naiveUnpaced: false,
  rtStreams: 4,
  rtClientsPerStream: 100,
  rtDurationS: 5,
  rtRampS: 1,
  maxStreams: 2,
  maxClientsPerStream: 25,
  maxDurationS: 4,
  maxRampS: 1,
  hlsPlayers: 300,
  hlsDurationS: 8,
  hlsRampS: 2,
  segConnections: 32,
  segSeconds: 2,
  iperfSeconds: 2,
  metricsStreams: 50,
  metricsShards: 2,
  metricsRequests: 20,
  dockerSeconds: null,
  dockerEngines: '0,5',
  restartTsPlayers: 100,
  restartHlsPlayers: 20,
  restartChannels: 10,
  clusterStreams: 6,
  clusterClientsPerStream: 20,
  clusterDurationS: 5,
  clusterRampS: 2,
};

export const FULL: SuiteParams = {
  shards: 2,
  tsPairs: 3,
  segPairs: 3,
  naiveUnpaced: true,
  rtStreams: 8,
  rtClientsPerStream: 250,
  rtDurationS: 40,
  rtRampS: 10,
  maxStreams: 2,
  maxClientsPerStream: 100,
  maxDurationS: 20,
  maxRampS: 2,
  hlsPlayers: 2000,
  hlsDurationS: 40,
  hlsRampS: 8,
  segConnections: 64,
  segSeconds: 10,
  iperfSeconds: 5,
  metricsStreams: 500,
  metricsShards: 8,
  metricsRequests: 50,
  dockerSeconds: 20,
  dockerEngines: '0,5,20',
  restartTsPlayers: 500,
  restartHlsPlayers: 100,
  restartChannels: 50,
  clusterStreams: 40,
  clusterClientsPerStream: 25,
  clusterDurationS: 30,
  clusterRampS: 6,
};

/** The soak's load: the steady-state shape a gateway serves for hours. */
export interface SoakParams {
  readonly minutes: number;
  readonly shards: number;
  readonly streams: number;
  /** TS clients, in lanes that reconnect every churn period (staggered), so players come and go. */
  readonly tsClients: number;
  readonly tsLanes: number;
  readonly churnPeriodS: number;
  readonly hlsPlayers: number;
  readonly ringMb: number;
  /** The churn phase: streams opened (in batches, each held by one TS client) and closed again. */
  readonly churnStreams: number;
  readonly churnBatch: number;
  readonly churnHoldS: number;
  readonly graceSeconds: number;
  /** RSS sample period. */
  readonly sampleMs: number;
}

export const MAX_SOAK_MINUTES = 24 * 60;

/** `--soak N`: minutes, a number from 1 to a day (fractions allowed for quick checks). */
export function parseSoakMinutes(raw: string): number {
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(n) || n < 1 || n > MAX_SOAK_MINUTES)
    throw new UsageError(`--soak takes minutes from 1 to ${MAX_SOAK_MINUTES} (got "${raw}").`);
  return n;
}

export function soakParams(minutes: number): SoakParams {
  return {
    minutes,
    shards: 2,
    streams: 8,
    tsClients: 400,
    tsLanes: 4,
    churnPeriodS: 60,
    hlsPlayers: 100,
    ringMb: 12,
    churnStreams: 200,
    churnBatch: 50,
    churnHoldS: 8,
    graceSeconds: 5,
    sampleMs: 5000,
  };
}
