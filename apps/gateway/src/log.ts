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
