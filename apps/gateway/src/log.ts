/** The root pino logger. Components take child loggers once (fields: shard, stream, engine, client). */
import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(level: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({
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
  });
}
