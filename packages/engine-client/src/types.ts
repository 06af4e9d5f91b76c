import type { Dispatcher } from 'undici';
import type { EngineErrorData } from './errors.js';

/** Client options; validated once by the constructor. */
export interface EngineClientOptions {
  /** Engine origin, e.g. `http://127.0.0.1:6878` (no path, query or credentials). */
  baseUrl: string;
  /** Default deadline of control calls (stat, stop, status, version, fetches), ms. Default 10 000. */
  timeoutMs?: number;
  /** Deadline of `startSession` (engines search the swarm for tens of seconds), ms. Default 30 000. */
  startTimeoutMs?: number;
  /** Shared undici dispatcher; default: one keep-alive Agent owned (and closed) by the client. */
  dispatcher?: Dispatcher;
  /** `User-Agent` sent upstream. */
  userAgent?: string;
  /** Operator-controlled headers sent on every upstream request. */
  headers?: Record<string, string>;
  /**
   * An operator-listed URL source on `baseUrl`'s origin rather than an engine: any http(s) URL may be
   * fetched (redirects, segments and variants on other hosts, a CDN), redirects are followed (at most 5),
   * and a target on an internal address is refused unless the source's own host is one (see address.ts).
   * The address check of names needs the client's own Agent (no `dispatcher`).
   */
  source?: boolean;
}

/** How a stream is named to the engine. Both forms are 40 hex digits. */
export interface StreamKey {
  kind: 'id' | 'infohash';
  value: string;
}

export type SessionFormat = 'ts' | 'hls';

export interface StartSessionOptions {
  key: StreamKey;
  format: SessionFormat;
  /** Player id that keeps sessions on one engine apart; default a fresh UUID per call. */
  pid?: string;
  /** Allow-listed AceStream parameters only: `file_indexes`, `seekback`. */
  extra?: Record<string, string>;
  /**
   * Ends the caller's wait (`SC_ERR_ENGINE_ABORTED` at once), not the request: that runs on to the engine's
   * answer and a session it yields is stopped (see EngineClient.settle).
   */
  signal?: AbortSignal;
}

/** A started engine session. Every URL is http(s) and on the engine's configured origin. */
export interface EngineSession {
  /** MPEG-TS stream (format `ts`) or HLS media playlist (format `hls`). */
  playbackUrl: string;
  statUrl: string;
  commandUrl: string;
  playbackSessionId: string;
  isLive: boolean;
  /** Bitrate as the engine reports it, bytes per second. */
  bitrate?: number;
  infohash?: string;
  pid: string;
  format: SessionFormat;
  /** The configured engine origin (`baseUrl`). */
  engine: string;
  /** True when the engine answered URLs on another host (Docker/NAT) and they were moved to `engine`. */
  rebased: boolean;
  /** The origin the engine used in its answer, when it differed from `engine`. */
  advertisedOrigin?: string;
}

/** Engine `livepos`, Unix seconds as numbers (the engine sends strings). */
export interface EngineLivePos {
  pos?: number;
  liveFirst?: number;
  liveLast?: number;
  first?: number;
  last?: number;
  firstTs?: number;
  lastTs?: number;
  bufferPieces?: number;
  isLive?: boolean;
}

/** Normalised `stat_url` answer. */
export interface EngineStat {
  /** Engine status word, e.g. `prebuf`, `dl`, `check`. */
  status: string;
  peers: number;
  /** KB/s, from `speed_down` or `speedDown`. */
  speedDownKBps: number;
  /** KB/s, from `speed_up` or `speedUp`. */
  speedUpKBps: number;
  downloadedBytes: number;
  uploadedBytes: number;
  totalProgress?: number;
  livepos?: EngineLivePos;
}

/** Health probe result; never thrown. */
export type EngineHealth =
  | { healthy: true; speedDownKBps?: number; speedUpKBps?: number; peers?: number }
  | { healthy: false; error: EngineErrorData };

export interface EngineVersion {
  version: string;
  platform?: string;
  code?: number;
}

/** Per-call options shared by control calls. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
}

export interface StopOptions extends CallOptions {
  /** Throw the {@link EngineError} instead of returning it. Default false (best effort). */
  throwOnError?: boolean;
}

export type StopResult = { ok: true; status: number } | { ok: false; error: EngineErrorData };

export interface OpenStreamOptions {
  signal?: AbortSignal;
  /** Deadline until response headers arrive, ms. Default the client's `timeoutMs`. */
  headersTimeoutMs?: number;
  /** Longest gap between body chunks, ms; default 0 = off (the caller detects stalls). */
  bodyTimeoutMs?: number;
}

export interface OpenByteStreamOptions {
  signal?: AbortSignal;
  /** Deadline until response headers arrive, ms. Default the client's `timeoutMs`. */
  headersTimeoutMs?: number;
}

/** An open upstream response. `close()` is idempotent and releases the socket at once. */
export interface EngineStream {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** Response bytes; ends quietly after `close()`, throws {@link EngineError} on upstream failure. */
  body: AsyncIterable<Uint8Array>;
  close(): void;
}

export interface FetchOptions {
  signal?: AbortSignal;
  /** Abort and throw `SC_ERR_ENGINE_TOO_LARGE` beyond this many bytes. */
  maxBytes?: number;
  /** Deadline for headers and body together, ms. Default the client's `timeoutMs`. */
  timeoutMs?: number;
}

/** A URL checked against the engine's origin. */
export interface ResolvedUrl {
  url: string;
  rebased: boolean;
}
