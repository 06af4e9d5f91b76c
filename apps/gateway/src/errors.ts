/**
 * The registry of stable error codes. Every HTTP error the gateway sends is one of these, as
 * `{"error": {"code", "message"}}` with the listed status. A test checks that each code is documented in
 * the README and that the README lists no code that is missing here. Never reuse a retired code.
 */
export const ERRORS = {
  SC_ERR_MISSING_ID: { status: 400, message: 'Give the stream as ?id=<content id> or ?infohash=<infohash>.' },
  SC_ERR_BAD_ID: { status: 400, message: 'The id or infohash must be 40 hexadecimal characters.' },
  SC_ERR_CONFLICTING_ID: {
    status: 400,
    message: 'The query gives id (or infohash) more than once, with different values.',
  },
  SC_ERR_BAD_PARAM: { status: 400, message: 'A query parameter has an invalid value.' },
  SC_ERR_BAD_REQUEST: {
    status: 400,
    message: 'Malformed request: duplicate or conflicting Content-Length, Transfer-Encoding or Host headers.',
  },
  SC_ERR_BAD_PATH: {
    status: 400,
    message: 'The path has a malformed percent-escape (%zz, a lone %, or not UTF-8).',
  },
  SC_ERR_BAD_WINDOW: {
    status: 400,
    message: 'window must be an integer number of seconds from 1 to 900, or "all".',
  },
  SC_ERR_UNAUTHORIZED: {
    status: 401,
    message: 'This action needs the API key (Authorization: Bearer <key> or X-API-Key).',
  },
  SC_ERR_AUTH_RATE_LIMITED: {
    status: 429,
    message: 'Too many wrong API keys from this address; wait for Retry-After seconds.',
  },
  SC_ERR_ADMIN_DISABLED: {
    status: 403,
    message: 'Admin actions are disabled: start the gateway with --api-key.',
  },
  SC_ERR_NOT_FOUND: { status: 404, message: 'No such route.' },
  SC_ERR_FORBIDDEN_ORIGIN: {
    status: 403,
    message: 'A page on this origin may not open the live feed: list the origin with --cors-origins.',
  },
  SC_ERR_STREAM_NOT_FOUND: { status: 404, message: 'No such stream is open.' },
  SC_ERR_SEGMENT_NOT_FOUND: {
    status: 404,
    message: 'No such segment: it has expired or does not exist yet.',
  },
  SC_ERR_METHOD_NOT_ALLOWED: { status: 405, message: 'Method not allowed on this route.' },
  SC_ERR_BODY_TOO_LARGE: {
    status: 413,
    message: 'The request body is larger than 256 KiB.',
  },
  SC_ERR_RANGE_NOT_SATISFIABLE: {
    status: 416,
    message: 'The range starts past the end of the segment.',
  },
  SC_ERR_INTERNAL: { status: 500, message: 'Internal error.' },
  SC_ERR_UPSTREAM_FAILED: { status: 502, message: 'No engine could start this stream.' },
  SC_ERR_STREAM_LIMIT: { status: 503, message: 'The gateway serves its maximum number of streams.' },
  SC_ERR_CLIENT_LIMIT: { status: 503, message: 'The gateway serves its maximum number of clients.' },
  SC_ERR_STREAM_CLIENT_LIMIT: { status: 503, message: 'This stream serves its maximum number of clients.' },
  SC_ERR_NO_ENGINE: { status: 503, message: 'No healthy engine has room for a new stream.' },
  SC_ERR_NOT_READY: { status: 503, message: 'The stream has no segment yet; retry shortly.' },
  SC_ERR_SHUTTING_DOWN: { status: 503, message: 'The gateway is shutting down.' },
  SC_ERR_OPEN_TIMEOUT: { status: 504, message: 'The stream did not become playable before the deadline.' },
  SC_ERR_CHANNEL_NOT_FOUND: { status: 404, message: 'No such channel in the catalog.' },
  SC_ERR_BAD_CHANNEL: { status: 400, message: 'The channel is not valid.' },
  SC_ERR_NO_CATALOG: {
    status: 409,
    message: 'No channel file is configured: start the gateway with --channels.',
  },
  SC_ERR_CATALOG_READ_ONLY: {
    status: 409,
    message: 'The channel file is an M3U playlist: edit it by hand (the API edits JSON catalogs only).',
  },
  SC_ERR_CATALOG_WRITE: {
    status: 500,
    message: 'Cannot save the channel catalog; the catalog in use is unchanged.',
  },
  SC_ERR_CATALOG_INVALID: {
    status: 409,
    message: 'The channel file changed on disk and is not valid: fix the file, then retry.',
  },
  SC_ERR_CHECK_BUSY: {
    status: 503,
    message: 'Too many channel checks are running; try again in a few seconds.',
  },
  SC_ERR_TOKEN_REQUIRED: { status: 401, message: 'This route needs a valid player token (?token=).' },
  SC_ERR_TOKEN_LIMIT: { status: 403, message: 'This token already has its maximum number of clients.' },
  SC_ERR_TOKEN_FORBIDDEN: { status: 403, message: 'This token may not play this stream.' },
  SC_ERR_NO_EPG: { status: 404, message: 'No guide is configured: start the gateway with --epg.' },
  SC_ERR_EPG_UNAVAILABLE: { status: 503, message: 'The guide could not be loaded yet; retry later.' },
  SC_ERR_TUNER_LIMIT: { status: 503, message: 'Every tuner is in use.' },
  SC_ERR_ENGINE_NOT_FOUND: { status: 404, message: 'No such engine.' },
  SC_ERR_ENGINE_MANAGED: {
    status: 409,
    message:
      'A drained managed engine is being replaced and removed; it cannot be resumed (POST /api/v1/engines {"count": N} keeps more engines).',
  },
  SC_ERR_BAD_COUNT: {
    status: 400,
    message: 'The body must be a JSON object {"count": N} with N an integer from 0 to --provision-max.',
  },
  SC_ERR_PROVISIONING_OFF: {
    status: 409,
    message: 'Engine provisioning is off: start the gateway with --provision on.',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error as it crosses threads and reaches clients. */
export interface ErrorData {
  readonly code: ErrorCode;
  readonly message: string;
}

export function errorData(code: ErrorCode, message?: string): ErrorData {
  return { code, message: message ?? ERRORS[code].message };
}

/** Seconds a client should wait before retrying a 503, by code. */
export function retryAfterSeconds(code: ErrorCode): number | undefined {
  return ERRORS[code].status === 503 ? (code === 'SC_ERR_SHUTTING_DOWN' ? 10 : 5) : undefined;
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  204: '204 No Content',
  206: '206 Partial Content',
  304: '304 Not Modified',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  405: '405 Method Not Allowed',
  409: '409 Conflict',
  416: '416 Range Not Satisfiable',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  502: '502 Bad Gateway',
  503: '503 Service Unavailable',
  504: '504 Gateway Timeout',
};

export function statusLine(status: number): string {
  return STATUS_TEXT[status] ?? `${status} Status`;
}
