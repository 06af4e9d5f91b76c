/**
 * The root pino logger. Components take child loggers once (fields: shard, stream, engine, client).
 * JSON lines for machines (stdout is a pipe or a file); the same records as readable lines for a person
 * at a terminal (pino-pretty, written synchronously: no transport thread per shard).
 */
import { type Logger, pino } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/** `auto` is resolved once, by the process that owns stdout: pretty when it is a terminal. */
export function resolveLogFormat(format: 'auto' | 'json' | 'pretty', isTty: boolean): 'json' | 'pretty' {
  return format === 'auto' ? (isTty ? 'pretty' : 'json') : format;
}

export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  format: 'json' | 'pretty' = 'json',
): Logger {
  const stream =
    format === 'pretty'
      ? pretty({ colorize: false, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' })
      : undefined;
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      // Keys never reach the log, whichever component logs a config or a request.
      redact: {
        paths: [
          'apiKey',
          'eventsKey',
          '*.apiKey',
          '*.eventsKey',
          'headers.authorization',
          'headers["x-api-key"]',
        ],
        censor: '[redacted]',
      },
    },
    stream,
  );
}

/** What stands in for a player token in a logged path or query. */
export const REDACTED_TOKEN = '<redacted>';

/**
 * A request path or URL as it may be logged: player tokens are taken out, both the `/hdhr/<token>/` path
 * segment and any `token` query parameter (`/hdhr/<redacted>/lineup.json`, `?token=<redacted>`).
 */
export function redactTokens(pathOrUrl: string): string {
  const q = pathOrUrl.indexOf('?');
  const path = q < 0 ? pathOrUrl : pathOrUrl.slice(0, q);
  const redacted = path.replace(/(^|\/)hdhr\/[^/]+/gi, `$1hdhr/${REDACTED_TOKEN}`);
  return q < 0 ? redacted : `${redacted}?${redactQuery(pathOrUrl.slice(q + 1))}`;
}

/** A query string (without `?`) with the value of every `token` parameter redacted. */
export function redactQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      return isTokenName(name) ? `${name}=${REDACTED_TOKEN}` : part;
    })
    .join('&');
}

/**
 * Free text (an error's message or stack) with player tokens redacted wherever they appear: every
 * `/hdhr/<token>` path segment and the value of every `token` parameter (`?token=`, `&token=`, or a
 * `token=` standing alone). For the error path only: it scans the whole text.
 */
export function redactText(text: string): string {
  return text
    .replace(/(\/hdhr\/)[^/\s?#"'<>]+/gi, `$1${REDACTED_TOKEN}`)
    .replace(/(^|[?&;\s"'(])([^=&;\s"'()?#]+)=([^&;\s"'()#]*)/g, (all, lead: string, name: string) =>
      isTokenName(name) ? `${lead}${name}=${REDACTED_TOKEN}` : all,
    );
}

/**
 * An error from a failed request as it may be logged: a copy whose message, stack and string fields (a
 * URL error's `input`, say) have player tokens redacted, its `cause` and fields that are errors likewise;
 * the type is kept, so pino logs the same `err` shape. Past a few levels an error is only its redacted
 * `name: message`. Anything but an Error is returned as it is (a string redacted).
 */
export function redactError(err: unknown, depth = 0): unknown {
  if (typeof err === 'string') return redactText(err);
  if (!(err instanceof Error)) return err;
  if (depth > 3) return redactText(`${err.name}: ${err.message}`);
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Record<string, unknown>;
  for (const [k, v] of Object.entries(err))
    copy[k] = typeof v === 'string' || v instanceof Error ? redactError(v, depth + 1) : v;
  copy.message = redactText(err.message);
  if (typeof err.stack === 'string') copy.stack = redactText(err.stack);
  if (err.cause !== undefined) copy.cause = redactError(err.cause, depth + 1);
  return copy;
}

/** As URLSearchParams reads the name (`+` is a space, percent-escapes decoded), is it `token`? */
function isTokenName(name: string): boolean {
  const plain = name.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plain) === 'token';
  } catch {
    return plain === 'token';
  }
}
