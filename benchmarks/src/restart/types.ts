/** What the restart load generator is told, and what it reports (JSON between two processes). */

export interface RestartLoadConfig {
  /** The gateway's port on 127.0.0.1 (nothing listens there yet when the players start). */
  readonly port: number;
  /** Content ids; TS player i and HLS player i watch channel i mod channels. */
  readonly channels: readonly string[];
  readonly tsPlayers: number;
  readonly hlsPlayers: number;
  /** Retry period after a refused connection (and the floor after any failed attempt). */
  readonly retryMs: number;
  /** A Retry-After is honoured up to this long. */
  readonly maxRetryAfterMs: number;
  /** Players keep watching this long after the last one received media (streams stay live meanwhile). */
  readonly holdMs: number;
  /** The run ends at this deadline even if some players never received media. */
  readonly deadlineMs: number;
}

/** One answer other than "media": an HTTP status other than 200, or a failure other than refused. */
export interface Answer {
  /** Epoch ms. */
  readonly atMs: number;
  readonly player: 'ts' | 'hls';
  /** HTTP status, or 0 for a transport failure. */
  readonly status: number;
  /** The JSON error code, the transport error code (ECONNRESET), or what went wrong. */
  readonly code: string;
  readonly retryAfter: boolean;
  /** The player had already received media (a later failure). */
  readonly afterMedia: boolean;
}

export interface RestartLoadReport {
  readonly config: RestartLoadConfig;
  /** Epoch ms: players started, the first TCP connection accepted, the run ended. */
  readonly startedAtMs: number;
  readonly firstConnectAtMs: number | null;
  readonly endedAtMs: number;
  /** Connection attempts refused (nothing listening yet). */
  readonly refused: number;
  /** Epoch ms at which each player first received media (null: never). */
  readonly tsMediaAtMs: ReadonlyArray<number | null>;
  readonly hlsMediaAtMs: ReadonlyArray<number | null>;
  readonly answers: readonly Answer[];
  /** Answers beyond the stored list (counted, not kept). */
  readonly answersDropped: number;
}
