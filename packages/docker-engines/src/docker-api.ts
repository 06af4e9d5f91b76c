/**
 * The slice of the Docker Engine API the package uses (API 1.41, Docker 20.10), as a port: the dockerode
 * adapter implements it for real, tests substitute fakes. Only the JSON fields we read are typed; all are
 * optional because daemons differ (cgroup v1/v2, host vs bridge networking, older API versions).
 */

/** Label / type / event filters in the Docker API's `filters` shape. */
export type DockerFilters = Readonly<Record<string, readonly string[]>>;

/** `GET /version` */
export interface DockerVersionJson {
  Version?: string;
  ApiVersion?: string;
}

interface NetworkEndpointJson {
  IPAddress?: string;
}

/** One entry of `GET /containers/json`. */
export interface ContainerSummaryJson {
  Id: string;
  Names?: string[];
  /** Creation time, Unix seconds. */
  Created?: number;
  Labels?: Record<string, string> | null;
  State?: string;
  Ports?: { IP?: string; PrivatePort: number; PublicPort?: number; Type?: string }[] | null;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, NetworkEndpointJson> | null } | null;
}

/** `GET /containers/{id}/json` */
export interface ContainerInspectJson {
  Id: string;
  Name?: string;
  State?: { Running?: boolean; Status?: string };
  Config?: { Labels?: Record<string, string> | null; ExposedPorts?: Record<string, unknown> | null };
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: {
    IPAddress?: string;
    Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
    Networks?: Record<string, NetworkEndpointJson> | null;
  };
}

interface BlkioEntryJson {
  op?: string;
  value?: number;
}

/** `GET /containers/{id}/stats?stream=false` (one sample). */
export interface StatsJson {
  read?: string;
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }> | null;
  blkio_stats?: { io_service_bytes_recursive?: BlkioEntryJson[] | null };
}

/** One line of `GET /events`. */
export interface DockerEventJson {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
  timeNano?: number;
}

/** Every call takes an AbortSignal: the caller owns deadlines and shutdown. */
export interface DockerApi {
  /** Where the daemon is, for log lines, e.g. `unix:///var/run/docker.sock`. */
  readonly endpoint: string;
  version(signal: AbortSignal): Promise<DockerVersionJson>;
  listContainers(filters: DockerFilters, signal: AbortSignal): Promise<ContainerSummaryJson[]>;
  inspectContainer(id: string, signal: AbortSignal): Promise<ContainerInspectJson>;
  /** One stats sample; `oneShot` asks the daemon not to wait for a second sample (API ≥ 1.41). */
  containerStats(id: string, oneShot: boolean, signal: AbortSignal): Promise<StatsJson>;
  /** The events stream as raw bytes (newline-delimited JSON); ends or throws when the connection drops. */
  events(filters: DockerFilters, signal: AbortSignal): Promise<AsyncIterable<Uint8Array | string>>;
}

/** A failed Docker call as data: HTTP status when the daemon answered, else a transport error code. */
export interface DockerCallError {
  readonly status: number | null;
  readonly code: string;
  readonly message: string;
}

/** Normalises whatever dockerode or the socket threw into a {@link DockerCallError}. */
export function toDockerError(err: unknown): DockerCallError {
  if (!err || typeof err !== 'object')
    return { status: null, code: 'UNKNOWN', message: oneLine(String(err)) };
  const e = err as {
    statusCode?: unknown;
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  // An aborted request names its reason in `cause`: our deadline, or shutdown.
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') {
    const cause = e.cause as { name?: unknown; message?: unknown } | undefined;
    if (cause?.name === 'TimeoutError')
      return { status: null, code: 'TIMEOUT', message: oneLine(String(cause.message)) };
    return { status: null, code: 'ABORTED', message: 'the call was aborted' };
  }
  if (e.name === 'TimeoutError')
    return { status: null, code: 'TIMEOUT', message: oneLine(String(e.message)) };
  const status = typeof e.statusCode === 'number' ? e.statusCode : null;
  const code = typeof e.code === 'string' ? e.code : status !== null ? `HTTP_${status}` : 'UNKNOWN';
  return { status, code, message: oneLine(typeof e.message === 'string' ? e.message : String(err)) };
}

/** Error texts reach log lines and the API: one line, bounded. */
const MAX_ERROR_TEXT = 300;

function oneLine(s: string): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > MAX_ERROR_TEXT ? `${flat.slice(0, MAX_ERROR_TEXT)}…` : flat;
}
