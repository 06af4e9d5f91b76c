/**
 * Stable error codes of the engine client. Never reuse a retired code: callers, dashboards
 * and other threads match on these strings. Every code is documented in ../README.md (a test
 * checks both directions).
 */
export const ENGINE_ERRORS = {
  SC_ERR_ENGINE_CONNECT: { retryable: true, summary: 'could not connect to the engine' },
  SC_ERR_ENGINE_CONNECTION_LOST: {
    retryable: true,
    summary: 'the connection to the engine broke mid-response',
  },
  SC_ERR_ENGINE_TIMEOUT: {
    retryable: true,
    summary: 'the engine call exceeded its deadline',
  },
  SC_ERR_ENGINE_HTTP_STATUS: {
    retryable: false,
    summary: 'the engine answered a non-2xx status',
  },
  SC_ERR_ENGINE_REJECTED: {
    retryable: false,
    summary: 'the engine answered with an error text',
  },
  SC_ERR_ENGINE_NO_RESPONSE: {
    retryable: true,
    summary: 'the engine answered "response": null without an error text',
  },
  SC_ERR_ENGINE_NO_PLAYBACK_URL: {
    retryable: true,
    summary: 'the engine answered an empty or missing playback_url',
  },
  SC_ERR_ENGINE_BAD_RESPONSE: {
    retryable: true,
    summary: 'the engine answered malformed JSON, wrong types or an unsafe URL',
  },
  SC_ERR_ENGINE_SESSION_GONE: {
    retryable: true,
    summary: 'the engine no longer knows the playback session',
  },
  SC_ERR_ENGINE_URL_REFUSED: {
    retryable: false,
    summary: 'the URL does not belong to this engine and was not fetched',
  },
  SC_ERR_ENGINE_TOO_LARGE: {
    retryable: false,
    summary: 'the engine response exceeded its byte limit',
  },
  SC_ERR_ENGINE_ABORTED: { retryable: false, summary: 'the caller aborted the engine call' },
  SC_ERR_ENGINE_BAD_REQUEST: {
    retryable: false,
    summary: 'the call arguments were invalid (key, extra parameters, pid)',
  },
  SC_ERR_ENGINE_CONFIG: { retryable: false, summary: 'the client options were invalid' },
  SC_ERR_ENGINE_INTERNAL: {
    retryable: false,
    summary: 'an unexpected error not raised by the engine client',
  },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

/** One of the stable `SC_ERR_ENGINE_*` codes. */
export type EngineErrorCode = keyof typeof ENGINE_ERRORS;

/** An engine error as plain data: survives `postMessage` and JSON. */
export interface EngineErrorData {
  code: EngineErrorCode;
  message: string;
  retryable: boolean;
  /** Upstream HTTP status, only for `SC_ERR_ENGINE_HTTP_STATUS`. */
  status?: number;
}

/** Engine statuses worth retrying: the engine or something in front of it is busy or failing. */
const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Every failure of the engine client. Discriminate on `code`; `retryable` says whether the
 * same call (to this or another engine) may succeed later.
 */
export class EngineError extends Error {
  override readonly name = 'EngineError';
  readonly code: EngineErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(code: EngineErrorCode, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.status = opts.status;
    this.retryable =
      code === 'SC_ERR_ENGINE_HTTP_STATUS'
        ? RETRYABLE_STATUS.has(opts.status ?? 0)
        : ENGINE_ERRORS[code].retryable;
  }
}

/** True when `err` is an {@link EngineError}, optionally with the given code. */
export function isEngineError(err: unknown, code?: EngineErrorCode): err is EngineError {
  return err instanceof EngineError && (code === undefined || err.code === code);
}

function isKnownCode(code: unknown): code is EngineErrorCode {
  return typeof code === 'string' && Object.hasOwn(ENGINE_ERRORS, code);
}

/** Flattens any thrown value to {@link EngineErrorData}; foreign errors become `SC_ERR_ENGINE_INTERNAL`. */
export function toErrorData(err: unknown): EngineErrorData {
  if (err instanceof EngineError) {
    const data: EngineErrorData = { code: err.code, message: err.message, retryable: err.retryable };
    if (err.status !== undefined) data.status = err.status;
    return data;
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'SC_ERR_ENGINE_INTERNAL', message, retryable: false };
}

/**
 * Rebuilds an {@link EngineError} from data made by {@link toErrorData} (e.g. after crossing a
 * worker boundary, where Node 20 drops custom classes and their `code`).
 */
export function fromErrorData(data: EngineErrorData): EngineError {
  const code = isKnownCode(data?.code) ? data.code : 'SC_ERR_ENGINE_INTERNAL';
  const message = typeof data?.message === 'string' ? data.message : 'engine error';
  const status = typeof data?.status === 'number' ? data.status : undefined;
  return new EngineError(code, message, status === undefined ? {} : { status });
}
