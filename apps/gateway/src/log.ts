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

/** As URLSearchParams reads the name (`+` is a space, percent-escapes decoded), is it `token`? */
function isTokenName(name: string): boolean {
  const plain = name.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(plain) === 'token';
  } catch {
    return plain === 'token';
  }
}
