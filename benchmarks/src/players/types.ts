/** Shared vocabulary of the players: options, per-thread counters and the serializable partial results. */
import type { Histogram } from 'hdr-histogram-js';

export type Pace = 'realtime' | 'none';
export type Validate = 'full' | 'join' | 'off';
export type PlayerKind = 'ts' | 'hls';

/** Resolved options (see options.ts for flags and defaults). */
export interface PlayersOptions {
  readonly baseUrl: string;
  readonly ts: number;
  readonly hls: number;
  readonly ids: readonly string[];
  readonly rampUpS: number;
  /** Seconds after the ramp-up before the measurement window opens (join bursts settle). */
  readonly warmUpS: number;
  readonly durationS: number;
  /** Seconds of media a player buffers before it starts, and after a stall. */
  readonly bufferS: number;
  /** A player stops reading above this many buffered seconds (TCP backpressure, as a real player). */
  readonly maxBufferS: number;
  /** Fixed media bitrate (bit/s) instead of the PCR estimate; 0 = estimate. */
  readonly bitrate: number;
  readonly pace: Pace;
  readonly validate: Validate;
  readonly readTimeoutS: number;
  readonly joinTimeoutS: number;
  readonly tsPath: string;
  readonly hlsPath: string;
  readonly workers: number;
  /** Start one player per stream first and wait for it, so the others join warm streams. */
  readonly prewarm: boolean;
}

/** Where the players connect. */
export interface Target {
  readonly host: string;
  readonly port: number;
  /** Host header value. */
  readonly authority: string;
  /** Path prefix of the base URL, without a trailing slash. */
  readonly prefix: string;
}

export interface PlayerSpec {
  readonly index: number;
  readonly kind: PlayerKind;
  readonly streamId: string;
  /** The first player of its stream (its join opens the stream). */
  readonly cold: boolean;
}

export const HIST_NAMES = [
  'joinWarm',
  'joinCold',
  'startup',
  'playlist',
  'playlistCold',
  'segment',
  'hlsStartup',
] as const;
export type HistName = (typeof HIST_NAMES)[number];
export type Histograms = Record<HistName, Histogram>;

/** Live counters of one thread's players (progress and the final report). */
export interface Counters {
  started: number;
  connected: number;
  joined: number;
  bytes: number;
  stalls: number;
  errors: number;
  segments: number;
  segmentBytes: number;
  playlists: number;
}

export function newCounters(): Counters {
  return {
    started: 0,
    connected: 0,
    joined: 0,
    bytes: 0,
    stalls: 0,
    errors: 0,
    segments: 0,
    segmentBytes: 0,
    playlists: 0,
  };
}

/** Per-player outcomes summed at the end. */
export interface Totals {
  tsPlayers: number;
  hlsPlayers: number;
  stalledPlayers: number;
  /** Stall events by player kind. */
  tsStalls: number;
  hlsStalls: number;
  neverStarted: number;
  stalledMs: number;
  playedMs: number;
  syncErrors: number;
  ccErrors: number;
  psiAtJoinFailed: number;
  keyframeAtJoinFailed: number;
  segmentsInvalid: number;
  connectedAtEnd: number;
}

export function newTotals(): Totals {
  return {
    tsPlayers: 0,
    hlsPlayers: 0,
    stalledPlayers: 0,
    tsStalls: 0,
    hlsStalls: 0,
    neverStarted: 0,
    stalledMs: 0,
    playedMs: 0,
    syncErrors: 0,
    ccErrors: 0,
    psiAtJoinFailed: 0,
    keyframeAtJoinFailed: 0,
    segmentsInvalid: 0,
    connectedAtEnd: 0,
  };
}

/** What one thread hands back (histograms as compressed base64). */
export interface PartialResult {
  counters: Counters;
  totals: Totals;
  errorsByKind: Record<string, number>;
  histograms: Record<HistName, string>;
  /** Bytes received inside the measurement window, and segments completed in it. */
  windowBytes: number;
  windowSegments: number;
  /** Stall events by epoch second. */
  stallsBySecond: Record<string, number>;
  /** When this thread closed its measurement window (epoch ms; later than planned when it was starved). */
  windowClosedMs: number;
  /** This thread's event-loop delay while it ran players, ms. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
}
