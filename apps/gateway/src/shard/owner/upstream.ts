/**
 * What the owner's reconnect/backoff/failover loop drives: one upstream session, whatever its protocol.
 * An upstream pulls bytes from the engine and hands them, in order, to a sink; it says when the next bytes
 * do not continue the previous ones. The loop (owner.ts) decides when to retry, reopen or fail over.
 *
 *   run() ──► sink.discontinuity()? ──► sink.data(chunk)… ──► resolves (clean end, bytes) | rejects (error, stall)
 *   run() again on the same object = reopen the same engine session (TS: a new connection; HLS: keep polling)
 */

/** Where an upstream delivers. Called synchronously from the upstream's loop, never concurrently. */
export interface UpstreamSink {
  /**
   * Upstream MPEG-TS bytes in order, any size and alignment. Returns true when they carried media progress
   * of the program (packets of its elementary streams); bytes without it (lost sync, an error page, only
   * null packets or an unlisted PID) are no progress, so they never hold off the stall watchdog.
   */
  data(chunk: Uint8Array, nowMs: number): boolean;
  /**
   * The next bytes do not continue the previous ones (a new connection, a lost segment, an upstream
   * discontinuity): the sink starts a new ring generation, unless nothing was ingested yet.
   */
  discontinuity(): void;
  /**
   * How long to wait before reading more (0: read on). Non-zero only for an upstream that delivers faster
   * than real time and is more than a quarter ring ahead of the slowest client still reading: reading on would
   * overwrite bytes that clients have not read yet.
   */
  holdMs?(nowMs: number): number;
  /**
   * True once the stream has played (it had media and players were told it is ready). Before that, a TS
   * upstream checks the first bytes of each connection for packet sync (see {@link UpstreamNotTs}).
   * Absent: treated as playing (no check).
   */
  playing?(): boolean;
}

/** The protocol of an upstream session. */
export type UpstreamKind = 'ts' | 'hls';

/** One engine session's data path. */
export interface Upstream {
  readonly kind: UpstreamKind;
  /**
   * Pulls until the upstream ends cleanly (resolves with the bytes received by this run) or fails
   * (rejects: an EngineError, an {@link UpstreamStall}, or an {@link UpstreamUnsupported}).
   */
  run(signal: AbortSignal): Promise<number>;
}

/** No media progress for the stall limit (silence or bytes that are no media): the loop reopens the same session. */
export class UpstreamStall extends Error {
  override readonly name = 'UpstreamStall';
}

/**
 * The engine serves something the gateway cannot ingest (an encrypted or fMP4 HLS playlist, byte-range
 * segments, non-TS segments). Not retryable on this engine: the loop fails over at once.
 */
export class UpstreamUnsupported extends Error {
  override readonly name: string = 'UpstreamUnsupported';
  readonly retryable = false;
}

/**
 * The first bytes of a connection of a stream that has not played yet carry no MPEG-TS packet sync (a JSON
 * or HTML error answered with 200, any other non-TS body): that connection failed, and the loop fails over
 * at once instead of waiting out `failoverSeconds` of bytes that will never be media.
 */
export class UpstreamNotTs extends UpstreamUnsupported {
  override readonly name = 'UpstreamNotTs';
}
