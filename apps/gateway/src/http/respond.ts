/**
 * Small response helpers over uWS. Every write outside a handler's synchronous top must be corked, and
 * nothing may touch a response after it was aborted or ended: callers keep that state in a `Reply`.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { ERRORS, type ErrorCode, retryAfterSeconds, statusLine } from '../errors.js';
import type { HeaderList } from './cors.js';

/**
 * What a handler needs to know about its request besides the route: copied from the HttpRequest in the
 * handler's synchronous top (the request object is invalid after it returns).
 */
export interface RequestContext {
  /** A HEAD request: every answer carries the headers GET would send and never a body (RFC 9110 9.3.2). */
  readonly head: boolean;
  /** The CORS headers every answer to this request carries (see cors.ts). */
  readonly cors: HeaderList;
}

/** Responses whose status line is out: from then on an error can only close the connection. */
const started = new WeakSet<HttpResponse>();

/** Records that a response's status and headers were written (streaming responses call this). */
export function markStarted(res: HttpResponse): void {
  started.add(res);
}

export function hasStarted(res: HttpResponse): boolean {
  return started.has(res);
}

/** Tracks one response's life so abort and completion are handled once. */
export class Reply {
  readonly res: HttpResponse;
  readonly ctx: RequestContext;
  done = false;
  #onAbort: (() => void) | undefined;

  constructor(res: HttpResponse, ctx: RequestContext) {
    this.res = res;
    this.ctx = ctx;
    res.onAborted(() => {
      this.done = true;
      const cb = this.#onAbort;
      this.#onAbort = undefined;
      cb?.();
    });
  }

  /** Called once if the client goes away before we finished. */
  onAbort(cb: () => void): void {
    this.#onAbort = cb;
  }

  /**
   * Ends with a small body, or with `null` for a body of unknown length (a HEAD answer for a live
   * stream: no Content-Length; `close` does not apply). A HEAD request gets the headers GET would get,
   * body length included, and no body. `close` ends the connection after the answer. No-op once done.
   */
  end(status: number, headers: HeaderList, body: string | Uint8Array | null, close = false): void {
    if (this.done) return;
    this.done = true;
    this.#onAbort = undefined;
    started.add(this.res);
    this.res.cork(() => writeAnswer(this.res, this.ctx, status, headers, body, close));
  }

  json(status: number, value: unknown, headers: HeaderList = []): void {
    this.end(
      status,
      [['Content-Type', 'application/json'], ['Cache-Control', 'no-store'], ...headers],
      JSON.stringify(value),
    );
  }

  error(code: ErrorCode, message?: string, headers: HeaderList = []): void {
    this.json(status(code), errorBody(code, message), [...retryHeader(code), ...headers]);
  }
}

/**
 * Writes a whole answer (call inside a cork, before anything else was written): status, the request's
 * CORS headers, `headers`, then the body — or for HEAD only the length GET would send.
 */
export function writeAnswer(
  res: HttpResponse,
  ctx: RequestContext,
  status: number,
  headers: HeaderList,
  body: string | Uint8Array | null,
  close = false,
): void {
  res.writeStatus(statusLine(status));
  for (const [k, v] of ctx.cors) res.writeHeader(k, v);
  for (const [k, v] of headers) res.writeHeader(k, v);
  if (body !== null && !ctx.head) {
    res.end(body, close);
    return;
  }
  // Without a body uWS cannot close the connection after the answer: the caller's socket timeout does.
  if (close) res.writeHeader('Connection', 'close');
  endHead(res, body === null ? null : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
}

/**
 * Ends an answer without a body (HEAD): `length` is the Content-Length GET would send, `null` for none.
 * The header is written here: uWS's `endWithoutBody(length)` keeps the response pending, waiting for
 * `length` body bytes that never come, and then drops the connection at its next request.
 */
export function endHead(res: HttpResponse, length: number | null): void {
  if (length !== null) res.writeHeader('Content-Length', String(length));
  // uWS reads any first argument as a length: "no Content-Length" needs the call without arguments.
  res.endWithoutBody();
}

/** The JSON error body for `code`. */
export function errorBody(code: ErrorCode, message?: string): { error: { code: string; message: string } } {
  return { error: { code, message: message ?? ERRORS[code].message } };
}

function status(code: ErrorCode): number {
  return ERRORS[code].status;
}

function retryHeader(code: ErrorCode): HeaderList {
  const retry = retryAfterSeconds(code);
  return retry !== undefined ? [['Retry-After', String(retry)]] : [];
}
