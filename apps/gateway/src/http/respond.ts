/**
 * Small response helpers over uWS. Every write outside a handler's synchronous top must be corked, and
 * nothing may touch a response after it was aborted or ended: callers keep that state in a `Reply`.
 */
import type { HttpResponse } from 'uWebSockets.js';
import { ERRORS, type ErrorCode, retryAfterSeconds, statusLine } from '../errors.js';

export const CORS_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ['Access-Control-Allow-Origin', '*'],
  ['Access-Control-Expose-Headers', 'Content-Length, Content-Type, Retry-After'],
];

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
  done = false;
  #onAbort: (() => void) | undefined;

  constructor(res: HttpResponse) {
    this.res = res;
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

  /** Ends with a small body. No-op once done. */
  end(
    status: number,
    headers: ReadonlyArray<readonly [string, string]>,
    body: string | Uint8Array,
    head = false,
  ): void {
    if (this.done) return;
    this.done = true;
    this.#onAbort = undefined;
    started.add(this.res);
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status));
      for (const [k, v] of CORS_HEADERS) this.res.writeHeader(k, v);
      for (const [k, v] of headers) this.res.writeHeader(k, v);
      if (head) this.res.endWithoutBody(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
      else this.res.end(body);
    });
  }

  json(
    status: number,
    value: unknown,
    headers: ReadonlyArray<readonly [string, string]> = [],
    head = false,
  ): void {
    this.end(
      status,
      [['Content-Type', 'application/json'], ['Cache-Control', 'no-store'], ...headers],
      JSON.stringify(value),
      head,
    );
  }

  error(code: ErrorCode, message?: string, head = false): void {
    const spec = ERRORS[code];
    const retry = retryAfterSeconds(code);
    const headers: Array<[string, string]> = retry !== undefined ? [['Retry-After', String(retry)]] : [];
    this.json(spec.status, { error: { code, message: message ?? spec.message } }, headers, head);
  }
}

/** `OPTIONS` preflight answer for any path. */
export function preflight(res: HttpResponse, methods: string): void {
  res.writeStatus('204 No Content');
  for (const [k, v] of CORS_HEADERS) res.writeHeader(k, v);
  res.writeHeader('Access-Control-Allow-Methods', methods);
  res.writeHeader('Access-Control-Allow-Headers', 'Range, Authorization, X-API-Key, Content-Type');
  res.writeHeader('Access-Control-Max-Age', '86400');
  res.endWithoutBody(0);
}
