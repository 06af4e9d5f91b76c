/**
 * Sends a body of known length (HLS segments) with `tryEnd`, resuming from uWS's write offset in
 * `onWritable` under backpressure — the uWS VideoStreamer idiom. The body comes from `pieceAt(offset, max)`
 * so ring bytes are sent straight from shared memory; `stillValid()` is the seqlock check run after every
 * write: once it fails the bytes may be torn and the connection is closed (the length was promised).
 */
import type { HttpResponse } from 'uWebSockets.js';

const MAX_PIECE = 256 * 1024;

export interface KnownLengthBody {
  readonly total: number;
  pieceAt(offset: number, max: number): Uint8Array;
  stillValid(): boolean;
}

export type SendOutcome = 'done' | 'aborted' | 'invalidated';

/** Call inside a cork after the status and headers were written. `onEnd` runs exactly once. */
export function sendKnownLength(
  res: HttpResponse,
  body: KnownLengthBody,
  onEnd: (outcome: SendOutcome) => void,
): void {
  let ended = false;
  const end = (outcome: SendOutcome): void => {
    if (ended) return;
    ended = true;
    onEnd(outcome);
  };
  res.onAborted(() => end('aborted'));

  // A throw here would escape into uWS (and take the shard down): close this one response instead.
  const pump = (offset: number): boolean => {
    try {
      return write(offset);
    } catch {
      res.close();
      end('invalidated');
      return true;
    }
  };
  // Writes from `offset` until done or backpressure; returns true when the write side should stop.
  const write = (offset: number): boolean => {
    while (offset < body.total) {
      const piece = body.pieceAt(offset, MAX_PIECE);
      const [ok, done] = res.tryEnd(piece, body.total);
      if (!body.stillValid()) {
        res.close();
        end('invalidated');
        return true;
      }
      if (done) {
        end('done');
        return true;
      }
      if (!ok) return false; // uWS took part of it; resume from its write offset
      offset += piece.length;
    }
    end('done');
    return true;
  };

  if (body.total === 0) {
    res.end();
    end('done');
    return;
  }
  if (pump(0)) return;
  // `offset` counts body bytes uWS has accepted so far: continue from exactly there. Returning false
  // (backpressure again) keeps uWS calling us back.
  res.onWritable((offset) => (ended ? true : pump(offset)));
}
