/**
 * One progressive MPEG-TS client: its uWS response, its cursor in the stream's ring, and its lease.
 * `finish()` is the single idempotent end for every path (client abort, stream detach, slow-client close,
 * shutdown): it releases the lease exactly once and never touches the response after it ended.
 */
import type { HttpResponse } from 'uWebSockets.js';
import type { LocalStream } from './streams.js';

/** `revoked`: a reload of the tokens file took the client's token away (or its stream, or its place). */
export type FinishReason = 'aborted' | 'detached' | 'stuck' | 'lapped' | 'shutdown' | 'revoked';

export class TsClient {
  readonly res: HttpResponse;
  readonly stream: LocalStream;
  /** Next ring byte to send. */
  cursor: number;
  /** A write returned false: uWS holds the rest until `onWritable`. */
  blocked = false;
  blockedSinceMs = 0;
  /** When this client was last written ring bytes (batching). */
  lastWriteMs = 0;
  /** When this client last got keep-alive null packets. */
  lastNullMs = 0;
  bytesOut = 0;
  finished = false;
  /** Set by the pump: resumes writing as soon as uWS drained this client. */
  onDrain: (() => void) | null = null;
  readonly #onFinish: (client: TsClient, reason: FinishReason) => void;

  constructor(
    res: HttpResponse,
    stream: LocalStream,
    cursor: number,
    onFinish: (client: TsClient, reason: FinishReason) => void,
  ) {
    this.res = res;
    this.stream = stream;
    this.cursor = cursor;
    this.#onFinish = onFinish;
    // uWS drained what it held for us: continue at once. Failure (blocked again) is reported as such.
    res.onWritable(() => {
      this.blocked = false;
      this.onDrain?.();
      return !this.blocked;
    });
  }

  /**
   * Ends the client. `aborted`: the socket is already gone, only bookkeeping. `detached`/`shutdown`/
   * `revoked`: a graceful end of the chunked body. `stuck`/`lapped`: close the socket at once.
   */
  finish(reason: FinishReason): void {
    if (this.finished) return;
    this.finished = true;
    this.stream.control.release();
    if (reason !== 'aborted') {
      const res = this.res;
      try {
        if (reason === 'stuck' || reason === 'lapped') res.close();
        else res.cork(() => res.end());
      } catch {
        // The socket went away in the same tick (abort not yet delivered): nothing left to end.
      }
    }
    this.#onFinish(this, reason);
  }
}
