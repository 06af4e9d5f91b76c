/** Shared vocabulary of the engine registry. */

export type EngineSource = 'static' | 'embedded' | 'docker';

/** Container statistics, as rates, from the Docker stats scheduler. */
export interface EngineStats {
  /** CPU use in percent of one core (100 = one full core), from two consecutive samples. */
  readonly cpuPercent: number;
  /** Memory in use without page cache, bytes. */
  readonly memoryBytes: number;
  readonly memoryLimitBytes: number;
  readonly netRxBytesPerSec: number;
  readonly netTxBytesPerSec: number;
  readonly blockReadBytesPerSec: number;
  readonly blockWriteBytesPerSec: number;
  /** Wall-clock ms when the sample was taken. */
  readonly atMs: number;
}

export interface EngineInfo {
  /** Stable id: the base URL for static engines, `docker:<container id>` for containers. */
  readonly id: string;
  /** Engine origin, e.g. http://127.0.0.1:6878 */
  readonly url: string;
  readonly source: EngineSource;
  readonly containerId?: string;
  readonly containerName?: string;
}

export interface EngineState extends EngineInfo {
  /** `ready` unless the engine is held out of selection (see EngineRegistry.setLifecycle). */
  readonly lifecycle: 'starting' | 'ready' | 'draining' | 'stopping';
  /** When the registry first listed it (wall-clock ms). */
  readonly addedAtMs?: number;
  readonly healthy: boolean;
  /** Streams currently assigned to this engine by the gateway. */
  readonly streams: number;
  readonly consecutiveFailures: number;
  readonly lastProbeAtMs: number | null;
  readonly lastError: string | null;
  readonly version: string | null;
  readonly stats: EngineStats | null;
}
