/** Shared vocabulary of Docker discovery and stats. */

/**
 * The logger Docker discovery writes to: a pino logger fits as is (fields first, message second).
 * Lines are rare by design: one per outage, one per recovery, one per misconfigured container.
 */
export interface DockerLogger {
  info(fields: Record<string, unknown>, msg: string): void;
  warn(fields: Record<string, unknown>, msg: string): void;
  error(fields: Record<string, unknown>, msg: string): void;
}
