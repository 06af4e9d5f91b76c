/**
 * The option table: every setting the gateway accepts, its flag, environment variable, JSON file key,
 * default and validator. Validation happens once, at start-up; a bad value produces exactly one sentence
 * (see `describeError`), which the CLI prints before exiting with status 2.
 */
import { availableParallelism } from 'node:os';

export type OptionKind =
  | 'int'
  | 'number'
  | 'string'
  | 'url'
  | 'url-list'
  | 'origin-list'
  | 'cidr-list'
  | 'enum'
  | 'bool'
  | 'path';

/** Kinds whose flag repeats and whose environment value is comma-separated. */
export function isListKind(kind: OptionKind): boolean {
  return kind === 'url-list' || kind === 'origin-list' || kind === 'cidr-list';
}

/** The value's name in `--help` and the README table (`--engine <url>`). */
export function valueName(o: OptionSpec): string {
  return o.kind === 'url-list'
    ? 'url'
    : o.kind === 'origin-list'
      ? 'origin'
      : o.kind === 'cidr-list'
        ? 'cidr'
        : o.kind;
}

export interface OptionSpec {
  /** Camel-case key in the resolved config and in the JSON config file. */
  readonly key: string;
  /** Long flag without the dashes. */
  readonly flag: string;
  readonly env: string;
  readonly kind: OptionKind;
  readonly help: string;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  /** Default value, or a function evaluated at load time. */
  readonly def?: unknown;
  /** Flag takes no value (booleans only). */
  readonly switch?: boolean;
  /** Value is secret: never echoed in messages or logs. */
  readonly secret?: boolean;
  /** A rule beyond the kind's (strings only): the expected form when `value` breaks it, else null. */
  readonly check?: (value: string) => string | null;
}

/**
 * The option table. `as const` keeps each entry's literal key, kind and choices, from which
 * {@link ConfigFromOptions} derives the resolved configuration's type: a new option cannot drift from its
 * type, because the type is the table.
 */
export const OPTIONS = [
  {
    key: 'port',
    flag: 'port',
    env: 'SHARDCAST_PORT',
    kind: 'int',
    min: 0,
    max: 65535,
    def: 8000,
    help: 'Public HTTP port (0 = any free port).',
  },
  {
    key: 'host',
    flag: 'host',
    env: 'SHARDCAST_HOST',
    kind: 'string',
    def: '0.0.0.0',
    help: 'Address to listen on.',
  },
  {
    key: 'shards',
    flag: 'shards',
    env: 'SHARDCAST_SHARDS',
    kind: 'int',
    min: 1,
    max: 64,
    def: () => availableParallelism(),
    help: 'Worker-thread shards (default: number of cores).',
  },
  {
    key: 'engines',
    flag: 'engine',
    env: 'SHARDCAST_ENGINES',
    kind: 'url-list',
    def: [],
    help: 'AceStream engine base URL, repeatable (env: comma-separated). None: the embedded engine simulator is started.',
  },
  {
    key: 'engineMaxStreams',
    flag: 'engine-max-streams',
    env: 'SHARDCAST_ENGINE_MAX_STREAMS',
    kind: 'int',
    min: 1,
    max: 10000,
    def: 100,
    help: 'Streams one engine may carry (default 100; 3 with --provision on).',
  },
  {
    key: 'apiKey',
    flag: 'api-key',
    env: 'SHARDCAST_API_KEY',
    kind: 'string',
    secret: true,
    help: 'Key for admin actions (Authorization: Bearer or X-API-Key). Unset: admin actions are refused.',
  },
  {
    key: 'apiKeyFile',
    flag: 'api-key-file',
    env: 'SHARDCAST_API_KEY_FILE',
    kind: 'path',
    help: 'File holding the admin API key (first line), so the key is not visible in ps like --api-key. Reloaded on SIGHUP and when it changes.',
  },
  {
    key: 'metricsPort',
    flag: 'metrics-port',
    env: 'SHARDCAST_METRICS_PORT',
    kind: 'int',
    min: 0,
    max: 65535,
    help: 'Also serve /metrics, /metrics/performance, /ready and /health from the main thread on this port (0 = any free port), so scrapes never wait behind a busy shard. Unset: off.',
  },
  {
    key: 'corsOrigins',
    flag: 'cors-origins',
    env: 'SHARDCAST_CORS_ORIGINS',
    kind: 'origin-list',
    def: ['*'],
    help: 'Origins browsers may call from, repeatable (env: comma-separated): an http(s) origin, or * for any. Player routes and /health allow the origins listed (default any); the admin API (/api, /metrics, /ready) only origins listed by name, never *.',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'SHARDCAST_LOG_LEVEL',
    kind: 'enum',
    choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    def: 'info',
    help: 'Log level.',
  },
  {
    key: 'logFormat',
    flag: 'log-format',
    env: 'SHARDCAST_LOG_FORMAT',
    kind: 'enum',
    choices: ['auto', 'json', 'pretty'],
    def: 'auto',
    help: 'Log lines: json, pretty (readable, same fields), or auto (pretty when stdout is a terminal).',
  },
  {
    key: 'graceSeconds',
    flag: 'grace-seconds',
    env: 'SHARDCAST_GRACE_SECONDS',
    kind: 'number',
    min: 0,
    max: 3600,
    def: 5,
    help: 'Keep a stream this long after its last viewer leaves.',
  },
  {
    key: 'openTimeoutSeconds',
    flag: 'open-timeout-seconds',
    env: 'SHARDCAST_OPEN_TIMEOUT_SECONDS',
    kind: 'number',
    min: 1,
    max: 600,
    def: 30,
    help: 'Deadline for a new stream to become playable.',
  },
  {
    key: 'maxStreams',
    flag: 'max-streams',
    env: 'SHARDCAST_MAX_STREAMS',
    kind: 'int',
    min: 1,
    max: 100000,
    def: 500,
    help: 'Concurrent streams; more answer 503.',
  },
  {
    key: 'maxClients',
    flag: 'max-clients',
    env: 'SHARDCAST_MAX_CLIENTS',
    kind: 'int',
    min: 1,
    max: 1000000,
    def: 20000,
    help: 'Concurrent MPEG-TS clients per shard; more answer 503.',
  },
  {
    key: 'maxClientsPerStream',
    flag: 'max-clients-per-stream',
    env: 'SHARDCAST_MAX_CLIENTS_PER_STREAM',
    kind: 'int',
    min: 1,
    max: 1000000,
    def: 10000,
    help: 'Concurrent MPEG-TS clients of one stream; more answer 503.',
  },
  {
    key: 'ringMb',
    flag: 'ring-mb',
    env: 'SHARDCAST_RING_MB',
    kind: 'number',
    min: 1,
    max: 4096,
    def: 48,
    help: 'Shared ring per stream, in MiB (bounds HLS retention and slow-client lag).',
  },
  {
    key: 'upstream',
    flag: 'upstream',
    env: 'SHARDCAST_UPSTREAM',
    kind: 'enum',
    choices: ['auto', 'ts', 'hls'],
    def: 'auto',
    help: 'Upstream protocol: ts, hls, or auto (ts, falling back to hls when the engine offers only HLS).',
  },
  {
    key: 'stallSeconds',
    flag: 'stall-seconds',
    env: 'SHARDCAST_STALL_SECONDS',
    kind: 'number',
    min: 1,
    max: 3600,
    def: 15,
    help: 'Upstream silence before the owner reconnects.',
  },
  {
    key: 'failoverAfter',
    flag: 'failover-after',
    env: 'SHARDCAST_FAILOVER_AFTER',
    kind: 'int',
    min: 1,
    max: 100,
    def: 3,
    help: 'Consecutive upstream failures before switching engine.',
  },
  {
    key: 'failoverSeconds',
    flag: 'failover-seconds',
    env: 'SHARDCAST_FAILOVER_SECONDS',
    kind: 'number',
    min: 1,
    max: 3600,
    def: 20,
    help: 'Seconds without upstream data before switching engine.',
  },
  {
    key: 'clientLagSeconds',
    flag: 'client-lag-seconds',
    env: 'SHARDCAST_CLIENT_LAG_SECONDS',
    kind: 'number',
    min: 1,
    max: 600,
    def: 15,
    help: 'A TS client this far behind live skips to the newest keyframe.',
  },
  {
    key: 'clientStuckSeconds',
    flag: 'client-stuck-seconds',
    env: 'SHARDCAST_CLIENT_STUCK_SECONDS',
    kind: 'number',
    min: 1,
    max: 9,
    def: 8,
    help: 'A TS client that accepts no bytes this long is closed (counted); at most 9, as uWS itself drops a socket that cannot drain for 10 s.',
  },
  {
    key: 'nullCapSeconds',
    flag: 'null-cap-seconds',
    env: 'SHARDCAST_NULL_CAP_SECONDS',
    kind: 'number',
    min: 0,
    max: 3600,
    def: 60,
    help: 'Keep-alive null packets during an upstream stall stop after this long.',
  },
  {
    key: 'flushMs',
    flag: 'flush-ms',
    env: 'SHARDCAST_FLUSH_MS',
    kind: 'int',
    min: 1,
    max: 1000,
    def: 20,
    help: 'Client pump period.',
  },
  {
    key: 'hlsSegmentSeconds',
    flag: 'hls-segment-seconds',
    env: 'SHARDCAST_HLS_SEGMENT_SECONDS',
    kind: 'number',
    min: 1,
    max: 30,
    def: 4,
    help: 'HLS target segment length (cut at the next keyframe).',
  },
  {
    key: 'hlsWindowSeconds',
    flag: 'hls-window-seconds',
    env: 'SHARDCAST_HLS_WINDOW_SECONDS',
    kind: 'number',
    min: 6,
    max: 600,
    def: 30,
    help: 'HLS live playlist window.',
  },
  {
    key: 'hlsViewerTimeoutSeconds',
    flag: 'hls-viewer-timeout-seconds',
    env: 'SHARDCAST_HLS_VIEWER_TIMEOUT_SECONDS',
    kind: 'number',
    min: 1,
    max: 3600,
    def: 30,
    help: 'An HLS player that has not requested a playlist or segment for this long stops counting as a viewer (keep it above 2 x the target duration).',
  },
  {
    key: 'hlsSessionsPerAddress',
    flag: 'hls-sessions-per-address',
    env: 'SHARDCAST_HLS_SESSIONS_PER_ADDRESS',
    kind: 'int',
    min: 1,
    max: 100000,
    def: 64,
    help: 'HLS viewer sessions counted per client address and shard; more players from one address still play, uncounted.',
  },
  {
    key: 'eventsUrl',
    flag: 'events-url',
    env: 'SHARDCAST_EVENTS_URL',
    kind: 'url',
    help: 'Orchestrator base URL for lifecycle events (POST /events/...).',
  },
  {
    key: 'eventsKey',
    flag: 'events-key',
    env: 'SHARDCAST_EVENTS_KEY',
    kind: 'string',
    secret: true,
    help: 'Bearer key sent with lifecycle events.',
  },
  {
    key: 'docker',
    flag: 'docker',
    env: 'SHARDCAST_DOCKER',
    kind: 'enum',
    choices: ['auto', 'on', 'off'],
    def: 'auto',
    help: 'Docker engine discovery: auto (on when the socket is reachable), on, off.',
  },
  {
    key: 'dockerLabel',
    flag: 'docker-label',
    env: 'SHARDCAST_DOCKER_LABEL',
    kind: 'string',
    def: 'shardcast.engine=true',
    check: (v) => (/^[A-Za-z0-9._\-/]+(=[^=]*)?$/.test(v) ? null : 'a label as key or key=value'),
    help: 'Label selecting engine containers.',
  },
  {
    key: 'provision',
    flag: 'provision',
    env: 'SHARDCAST_PROVISION',
    kind: 'enum',
    choices: ['on', 'off'],
    def: 'off',
    help: 'Engine provisioning: on = the gateway creates, scales, heals and removes its own engine containers from --provision-template (see Provisioning).',
  },
  {
    key: 'provisionTemplate',
    flag: 'provision-template',
    env: 'SHARDCAST_PROVISION_TEMPLATE',
    kind: 'path',
    help: 'Engine container template: a Docker create-container body (JSON) with {port} and {name} placeholders.',
  },
  {
    key: 'provisionId',
    flag: 'provision-id',
    env: 'SHARDCAST_PROVISION_ID',
    kind: 'string',
    def: 'shardcast',
    check: (v) =>
      /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(v) ? null : 'letters, digits, _ . - (at most 63)',
    help: 'This gateway’s id in the shardcast.managed label: it owns (and adopts after a restart) only containers with its id.',
  },
  {
    key: 'provisionPorts',
    flag: 'provision-ports',
    env: 'SHARDCAST_PROVISION_PORTS',
    kind: 'string',
    def: '19000-19999',
    check: (v) => {
      const m = /^(\d{1,5})-(\d{1,5})$/.exec(v);
      return m && Number(m[1]) >= 1 && Number(m[2]) <= 65535 && Number(m[1]) <= Number(m[2])
        ? null
        : 'a port range first-last within 1-65535';
    },
    help: 'Engine HTTP ports the gateway allocates to its containers ({port} in the template).',
  },
  {
    key: 'provisionMin',
    flag: 'provision-min',
    env: 'SHARDCAST_PROVISION_MIN',
    kind: 'int',
    min: 0,
    max: 1000,
    def: 1,
    help: 'Managed engines kept even when idle.',
  },
  {
    key: 'provisionMinFree',
    flag: 'provision-min-free',
    env: 'SHARDCAST_PROVISION_MIN_FREE',
    kind: 'int',
    min: 0,
    max: 1000,
    def: 1,
    help: 'Idle engines kept ready beside the busy ones.',
  },
  {
    key: 'provisionMax',
    flag: 'provision-max',
    env: 'SHARDCAST_PROVISION_MAX',
    kind: 'int',
    min: 1,
    max: 1000,
    def: 4,
    help: 'Managed engines at most; past it a stream with no room answers 503 SC_ERR_NO_ENGINE at once.',
  },
  {
    key: 'provisionStartupSeconds',
    flag: 'provision-startup-seconds',
    env: 'SHARDCAST_PROVISION_STARTUP_SECONDS',
    kind: 'number',
    min: 1,
    max: 3600,
    def: 60,
    help: 'A new engine must answer get_status (polled every 250 ms) within this; else it is removed and counted as a failure.',
  },
  {
    key: 'provisionIdleSeconds',
    flag: 'provision-idle-seconds',
    env: 'SHARDCAST_PROVISION_IDLE_SECONDS',
    kind: 'number',
    min: 1,
    max: 86400,
    def: 300,
    help: 'A managed engine with no stream this long, above the desired count, is removed.',
  },
  {
    key: 'provisionUnhealthySeconds',
    flag: 'provision-unhealthy-seconds',
    env: 'SHARDCAST_PROVISION_UNHEALTHY_SECONDS',
    kind: 'number',
    min: 1,
    max: 86400,
    def: 60,
    help: 'A managed engine unhealthy this long is drained (its streams move) and replaced.',
  },
  {
    key: 'provisionMaxAgeHours',
    flag: 'provision-max-age-hours',
    env: 'SHARDCAST_PROVISION_MAX_AGE_HOURS',
    kind: 'number',
    min: 0.001,
    max: 8760,
    help: 'Drain and replace managed engines older than this (their cache and memory grow). Unset: never.',
  },
  {
    key: 'provisionStopOnExit',
    flag: 'provision-stop-on-exit',
    env: 'SHARDCAST_PROVISION_STOP_ON_EXIT',
    kind: 'bool',
    switch: true,
    def: false,
    help: 'Remove the managed engine containers at shutdown (default: leave them for the next start to adopt).',
  },
  {
    key: 'simRate',
    flag: 'sim-rate',
    env: 'SHARDCAST_SIM_RATE',
    kind: 'string',
    def: '1',
    check: (v) =>
      v === 'max' || (Number(v) > 0 && Number(v) <= 100)
        ? null
        : 'a factor above 0 and at most 100, or "max"',
    help: 'Pace of the embedded engine simulator (a factor like 1 or 0.8, or "max").',
  },
  {
    key: 'allowUwsFallback',
    flag: 'allow-uws-fallback',
    env: 'SHARDCAST_ALLOW_UWS_FALLBACK',
    kind: 'bool',
    switch: true,
    def: false,
    help: 'Start even when the uWebSockets.js native binary does not load (slow pure-JS server).',
  },
  {
    key: 'channels',
    flag: 'channels',
    env: 'SHARDCAST_CHANNELS',
    kind: 'path',
    help: 'Channel catalog: a JSON file or an M3U / M3U Plus playlist (see Channels). Reloaded on SIGHUP and when it changes.',
  },
  {
    key: 'sourcePenaltySeconds',
    flag: 'source-penalty-seconds',
    env: 'SHARDCAST_SOURCE_PENALTY_SECONDS',
    kind: 'number',
    min: 0,
    max: 86400,
    def: 600,
    help: 'A channel source that failed is tried last for this long.',
  },
  {
    key: 'publicUrl',
    flag: 'public-url',
    env: 'SHARDCAST_PUBLIC_URL',
    kind: 'url',
    help: "Base URL players reach the gateway at, for the absolute URLs of /playlist.m3u and the HDHomeRun routes. Unset: the request's Host.",
  },
  {
    key: 'trustedProxies',
    flag: 'trusted-proxies',
    env: 'SHARDCAST_TRUSTED_PROXIES',
    kind: 'cidr-list',
    def: [],
    help: "Reverse proxies whose X-Forwarded-For, -Proto and -Host are believed, repeatable (env: comma-separated): an address or CIDR (10.0.0.0/8, ::1). From them the player's address is the nearest untrusted X-Forwarded-For hop (per-address bounds, client lists) and the exports' URLs use -Proto and -Host; from anyone else those headers are ignored.",
  },
  {
    key: 'tunerCount',
    flag: 'tuner-count',
    env: 'SHARDCAST_TUNER_COUNT',
    kind: 'int',
    min: 1,
    max: 10000,
    help: 'Tuners the HDHomeRun emulation announces; a channel opened beyond them answers 503. Unset: --max-streams.',
  },
  {
    key: 'tokens',
    flag: 'tokens',
    env: 'SHARDCAST_TOKENS',
    kind: 'path',
    help: 'Player tokens file (see Tokens). Set: every player route needs ?token=. Unset: player routes are open. Reloaded on SIGHUP and when it changes.',
  },
  {
    key: 'epg',
    flag: 'epg',
    env: 'SHARDCAST_EPG',
    kind: 'string',
    // Any other scheme would be read as a file name that never exists.
    check: (v) =>
      /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(v) && !/^https?:\/\//i.test(v) ? 'a file or an http(s) URL' : null,
    help: "XMLTV guide (a file, or an http(s) URL fetched every 6 h; .gz accepted) served at /epg.xml, reduced to the catalog's tvg_ids.",
  },
  {
    key: 'config',
    flag: 'config',
    env: 'SHARDCAST_CONFIG',
    kind: 'path',
    help: 'JSON file with any of these settings (keys as in the table; flags and environment win).',
  },
] as const satisfies readonly OptionSpec[];

type Spec = (typeof OPTIONS)[number];

/** The value type an option's kind validates to. */
type ValueOf<S> = S extends { readonly kind: 'int' | 'number' }
  ? number
  : S extends { readonly kind: 'bool' }
    ? boolean
    : S extends { readonly kind: 'url-list' | 'origin-list' | 'cidr-list' }
      ? readonly string[]
      : S extends { readonly kind: 'enum'; readonly choices: readonly (infer C)[] }
        ? C
        : string;

/** The resolved configuration: one readonly field per option, `undefined` allowed where there is no default. */
export type ConfigFromOptions = {
  readonly [S in Spec as S['key']]: S extends { readonly def: unknown } ? ValueOf<S> : ValueOf<S> | undefined;
};

/** The table as plain specs, for code that walks every option. */
export const OPTION_SPECS: readonly OptionSpec[] = OPTIONS;

export const OPTION_BY_FLAG: ReadonlyMap<string, OptionSpec> = new Map(OPTIONS.map((o) => [o.flag, o]));
export const OPTION_BY_KEY: ReadonlyMap<string, OptionSpec> = new Map(OPTIONS.map((o) => [o.key, o]));
