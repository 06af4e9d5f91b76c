/** The resolved, validated gateway configuration (immutable after start-up). */
export interface GatewayConfig {
  readonly port: number;
  readonly host: string;
  readonly shards: number;
  readonly engines: readonly string[];
  readonly engineMaxStreams: number;
  readonly apiKey: string | undefined;
  /** `*` and/or http(s) origins (see http/cors.ts). */
  readonly corsOrigins: readonly string[];
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly graceSeconds: number;
  readonly openTimeoutSeconds: number;
  readonly maxStreams: number;
  readonly maxClients: number;
  readonly maxClientsPerStream: number;
  readonly ringMb: number;
  readonly upstream: 'auto' | 'ts' | 'hls';
  readonly stallSeconds: number;
  readonly failoverAfter: number;
  readonly failoverSeconds: number;
  readonly clientLagSeconds: number;
  readonly clientStuckSeconds: number;
  readonly nullCapSeconds: number;
  readonly flushMs: number;
  readonly hlsSegmentSeconds: number;
  readonly hlsWindowSeconds: number;
  readonly hlsViewerTimeoutSeconds: number;
  readonly eventsUrl: string | undefined;
  readonly eventsKey: string | undefined;
  readonly docker: 'auto' | 'on' | 'off';
  readonly dockerLabel: string;
  readonly simRate: string;
  readonly allowUwsFallback: boolean;
  readonly config: string | undefined;
}

/** A start-up failure that stops the program with exactly one sentence and exit status 2. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'SC_ERR_CONFIG';
}
