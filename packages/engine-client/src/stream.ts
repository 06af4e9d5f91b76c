import { Deadline } from './deadline.js';
import { destroyBody, type Follow, mapError, send, type Transport } from './http.js';
import type { EngineStream } from './types.js';

export interface StreamParams {
  url: string;
  what: string;
  signal: AbortSignal | undefined;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** Follow redirects (a URL source). */
  follow?: Follow;
}

/**
 * Opens one long-lived GET (the owner pump's `playback_url`). The deadline covers connect and
 * headers only; after that the caller's signal or `close()` ends it. Destroying an unfinished
 * undici body destroys its socket, so `close()` releases the connection at once.
 */
export async function openStream(t: Transport, p: StreamParams): Promise<EngineStream> {
  const deadline = new Deadline(p.headersTimeoutMs, p.signal, p.what);
  let res: Awaited<ReturnType<typeof send>>;
  try {
    res = await send(t, p.url, {
      deadline,
      what: p.what,
      headersTimeoutMs: p.headersTimeoutMs,
      bodyTimeoutMs: p.bodyTimeoutMs,
      ...(p.follow ? { follow: p.follow } : {}),
    });
  } catch (err) {
    deadline.dispose();
    throw mapError(err, deadline, p.what);
  }
  deadline.stopClock();
  const body = res.body;
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    deadline.dispose();
    destroyBody(body);
  };
  async function* chunks(): AsyncGenerator<Uint8Array, void, undefined> {
    try {
      for await (const chunk of body as AsyncIterable<Uint8Array>) yield chunk;
    } catch (err) {
      // After close() the premature-close error is our own doing, not an upstream failure.
      if (!closed) throw mapError(err, deadline, p.what);
    } finally {
      close();
    }
  }
  return { statusCode: res.statusCode, headers: res.headers, body: chunks(), close };
}
