import { type Dispatcher, request } from 'undici';
import type { Deadline } from './deadline.js';
import { EngineError } from './errors.js';

/** Upper bound of a control-call JSON answer; real engine answers are well under 4 KiB. */
export const MAX_JSON_BYTES = 256 * 1024;
/** A non-2xx body is read (up to this) so the keep-alive socket can be reused, else destroyed. */
const DUMP_LIMIT_BYTES = 16 * 1024;

/** What every upstream request needs. */
export interface Transport {
  dispatcher: Dispatcher;
  headers: Record<string, string>;
}

export interface SendOptions {
  deadline: Deadline;
  /** Label used in error messages, e.g. `engine http://h:6878 stat`. */
  what: string;
  headersTimeoutMs: number;
  /** 0 disables undici's gap timer between body chunks. */
  bodyTimeoutMs: number;
  /** Follow redirects (a URL source); absent, a 3xx is a status error like any non-2xx. */
  follow?: Follow;
}

/** Redirects followed by a URL source's fetch: at most MAX_REDIRECTS hops, each target checked. */
export interface Follow {
  /** Resolves a `Location` against the URL that answered it; throws when that target is refused. */
  to(location: string, from: string): string;
  /** Set by `send`: the URL that answered (the last one after redirects). */
  at?: string;
  /** Redirects already followed on the way to this request (another connection path's), out of the 5. */
  spent?: number;
}

/** Redirects followed at most, per request (what browsers and players bound at 5 to 20). */
export const MAX_REDIRECTS = 5;
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** The `Location` of a redirect answer, if it is one with a single Location. */
export function redirectLocation(
  status: number,
  headers: Record<string, string | string[] | undefined>,
): string | undefined {
  const location = headers.location;
  return REDIRECT_STATUSES.has(status) && typeof location === 'string' && location !== ''
    ? location
    : undefined;
}

/** A URL source sent the fetch round more than MAX_REDIRECTS times (a loop, or a chain too long). */
export function tooManyRedirects(what: string, status: number): EngineError {
  return new EngineError('SC_ERR_ENGINE_HTTP_STATUS', `${what}: more than ${MAX_REDIRECTS} redirects`, {
    status,
  });
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const LOST_CODES = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ERR_STREAM_PREMATURE_CLOSE',
]);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const CLOSED_CODES = new Set(['UND_ERR_DESTROYED', 'UND_ERR_CLOSED']);

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Happy-eyeballs connects fail with an AggregateError whose members carry the code.
  const first = (err as { errors?: unknown[] }).errors?.[0];
  return first === undefined ? undefined : errorCode(first);
}

/**
 * Maps whatever a request threw to an {@link EngineError}. A fired deadline wins: undici may
 * surface an abort as a socket error, and the caller must see the cause, not the symptom.
 */
export function mapError(err: unknown, deadline: Deadline, what: string): EngineError {
  const fired = deadline.reason;
  if (fired) return fired;
  if (err instanceof EngineError) return err;
  const code = errorCode(err) ?? '';
  const detail = err instanceof Error ? err.message : String(err);
  if (CONNECT_CODES.has(code)) {
    return new EngineError('SC_ERR_ENGINE_CONNECT', `${what}: cannot connect (${code})`, { cause: err });
  }
  if (TIMEOUT_CODES.has(code)) {
    return new EngineError('SC_ERR_ENGINE_TIMEOUT', `${what}: ${detail} (${code})`, { cause: err });
  }
  if (LOST_CODES.has(code)) {
    return new EngineError('SC_ERR_ENGINE_CONNECTION_LOST', `${what}: connection lost (${code})`, {
      cause: err,
    });
  }
  // A response head over undici's 16 KiB (a huge Location or cookie), as byte-stream.ts judges its own.
  if (code.startsWith('HPE_') || code === 'UND_ERR_HEADERS_OVERFLOW') {
    return new EngineError('SC_ERR_ENGINE_BAD_RESPONSE', `${what}: invalid HTTP (${code})`, { cause: err });
  }
  if (CLOSED_CODES.has(code)) {
    return new EngineError('SC_ERR_ENGINE_ABORTED', `${what}: engine client is closed`, { cause: err });
  }
  return new EngineError('SC_ERR_ENGINE_INTERNAL', `${what}: ${detail}`, { cause: err });
}

/**
 * Destroys an unfinished undici body, which also destroys its socket. undici emits an abort
 * error on a destroyed body; with nobody iterating it that would be an uncaught exception.
 */
export function destroyBody(body: Dispatcher.ResponseData['body']): void {
  body.on('error', noop);
  body.destroy();
}

function noop(): void {}

/** Sends a GET; resolves with a 2xx response, else throws `SC_ERR_ENGINE_HTTP_STATUS`. */
export async function send(t: Transport, first: string, o: SendOptions): Promise<Dispatcher.ResponseData> {
  let url = first;
  for (let hops = 0; ; hops++) {
    const res = await request(url, {
      dispatcher: t.dispatcher,
      method: 'GET',
      headers: t.headers,
      signal: o.deadline.signal,
      headersTimeout: o.headersTimeoutMs,
      bodyTimeout: o.bodyTimeoutMs,
    });
    if (res.statusCode >= 200 && res.statusCode < 300) {
      if (o.follow) o.follow.at = url;
      return res;
    }
    await res.body.dump({ limit: DUMP_LIMIT_BYTES }).catch(() => undefined);
    const location = o.follow ? redirectLocation(res.statusCode, res.headers) : undefined;
    if (o.follow === undefined || location === undefined) throw statusError(o.what, res.statusCode);
    if (hops + (o.follow.spent ?? 0) >= MAX_REDIRECTS) throw tooManyRedirects(o.what, res.statusCode);
    url = o.follow.to(location, url);
  }
}

function statusError(what: string, status: number): EngineError {
  return new EngineError('SC_ERR_ENGINE_HTTP_STATUS', `${what}: HTTP ${status}`, { status });
}

/** Reads a whole body into one freshly allocated (transferable) array, at most `maxBytes`. */
export async function readBody(
  res: Dispatcher.ResponseData,
  maxBytes: number,
  what: string,
): Promise<Uint8Array> {
  const tooLarge = () => {
    destroyBody(res.body);
    return new EngineError('SC_ERR_ENGINE_TOO_LARGE', `${what}: body exceeds ${maxBytes} bytes`);
  };
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength;
    if (total > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/** GET + bounded read + `JSON.parse`; non-JSON → `SC_ERR_ENGINE_BAD_RESPONSE`. */
export async function getJson(t: Transport, url: string, o: SendOptions): Promise<unknown> {
  const res = await send(t, url, o);
  const bytes = await readBody(res, MAX_JSON_BYTES, o.what);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new EngineError('SC_ERR_ENGINE_BAD_RESPONSE', `${o.what}: answer is not JSON`);
  }
}
