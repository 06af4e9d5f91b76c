import type { ConfigFromOptions } from './schema.js';

/** The resolved, validated gateway configuration (immutable after start-up), derived from the option table. */
export type GatewayConfig = ConfigFromOptions;

/** A start-up failure that stops the program with exactly one sentence and exit status 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'SC_ERR_CONFIG';
}
