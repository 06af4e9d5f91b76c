/** The control plane's answer shape and its JSON / error builders (bodies as in errors.ts). */
import { ERRORS, type ErrorCode } from '../errors.js';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  /**
   * The client's address as the shard derived it (behind a trusted proxy, the player's; see
   * http/forwarded.ts): what the admin key's failure limiter counts by. Absent: one shared unknown address.
   */
  readonly client?: string;
  /** The body's bytes were not UTF-8 (`body` is then absent). */
  readonly bodyNotUtf8?: true;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** A binary body (gzip) sent instead of `body`. */
  readonly bytes?: Uint8Array;
}

const JSON_HEADERS = { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' };

export function json(status: number, value: unknown): ApiResponse {
  return { status, headers: JSON_HEADERS, body: JSON.stringify(value) };
}

export function apiError(code: ErrorCode, message?: string): ApiResponse {
  const spec = ERRORS[code];
  const headers: Record<string, string> = { ...JSON_HEADERS };
  if (spec.status === 503) headers['Retry-After'] = '5';
  return {
    status: spec.status,
    headers,
    body: JSON.stringify({ error: { code, message: message ?? spec.message } }),
  };
}

/**
 * One percent-encoded path segment (a channel, stream or engine id in an admin API path), decoded, or
 * null when an escape is malformed (`%zz`, a lone `%`, escapes that are not UTF-8): the caller answers
 * `400 SC_ERR_BAD_PATH`. Every route that takes an id from its path decodes it here, so `/api/v1/channels/%6Eews`
 * is `/api/v1/channels/news`.
 */
export function decodePathSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
