import type { Dispatcher } from 'undici';
import { EngineError } from './errors.js';
import type { EngineClientOptions } from './types.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_START_TIMEOUT_MS = 30_000;
export const DEFAULT_USER_AGENT = 'shardcast-engine-client/0.1';
const MAX_TIMEOUT_MS = 600_000;
/** RFC 9110 §5.1 field-name token. */
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f]/;
/** Headers that belong to the connection, not to the operator. */
const RESERVED_HEADERS = new Set([
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'content-length',
  'transfer-encoding',
  'expect',
]);

/** Options after validation. */
export interface ClientConfig {
  origin: URL;
  timeoutMs: number;
  startTimeoutMs: number;
  headers: Record<string, string>;
  dispatcher: Dispatcher | undefined;
  source: boolean;
}

function fail(sentence: string): never {
  throw new EngineError('SC_ERR_ENGINE_CONFIG', sentence);
}

function timeout(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_TIMEOUT_MS) {
    fail(`${name} must be an integer from 1 to ${MAX_TIMEOUT_MS}.`);
  }
  return value;
}

function origin(raw: unknown): URL {
  let url: URL | undefined;
  try {
    url = typeof raw === 'string' ? new URL(raw) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    fail('baseUrl must be an absolute http:// or https:// URL.');
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    fail('baseUrl must be an origin only, without credentials, path, query or fragment.');
  }
  return url;
}

function headers(raw: unknown, userAgent: unknown): Record<string, string> {
  const out: Record<string, string> = { 'user-agent': DEFAULT_USER_AGENT };
  if (raw !== undefined) {
    if (typeof raw !== 'object' || raw === null)
      fail('headers must be an object of header names to strings.');
    for (const [name, value] of Object.entries(raw)) {
      if (!TOKEN_RE.test(name) || typeof value !== 'string' || CONTROL_RE.test(value)) {
        fail('headers must map valid header names to strings without control characters.');
      }
      const lower = name.toLowerCase();
      if (RESERVED_HEADERS.has(lower)) {
        fail(
          'headers must not set host, connection, keep-alive, upgrade, content-length, transfer-encoding or expect.',
        );
      }
      out[lower] = value;
    }
  }
  if (userAgent !== undefined) {
    if (typeof userAgent !== 'string' || userAgent === '' || CONTROL_RE.test(userAgent)) {
      fail('userAgent must be a non-empty string without control characters.');
    }
    out['user-agent'] = userAgent;
  }
  return out;
}

/** Validates client options once; each failure is one exact sentence (`SC_ERR_ENGINE_CONFIG`). */
export function validateOptions(opts: EngineClientOptions): ClientConfig {
  const o = (opts ?? {}) as Partial<EngineClientOptions>;
  const dispatcher = o.dispatcher;
  if (dispatcher !== undefined && typeof (dispatcher as { dispatch?: unknown }).dispatch !== 'function') {
    fail('dispatcher must be an undici Dispatcher.');
  }
  return {
    origin: origin(o.baseUrl),
    timeoutMs: timeout(o.timeoutMs, 'timeoutMs', DEFAULT_TIMEOUT_MS),
    startTimeoutMs: timeout(o.startTimeoutMs, 'startTimeoutMs', DEFAULT_START_TIMEOUT_MS),
    headers: headers(o.headers, o.userAgent),
    dispatcher,
    source: o.source === true,
  };
}
