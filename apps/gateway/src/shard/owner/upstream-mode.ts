/**
 * Which session format to ask an engine for. `--upstream ts` and `--upstream hls` are taken as given;
 * `auto` asks for MPEG-TS and, when an engine answers `getstream` in a way that means "HLS only", asks
 * that engine for its HLS playlist instead and remembers it for the rest of the stream's life.
 */
import { isEngineError, type SessionFormat } from '@shardcast/engine-client';
import type { GatewayConfig } from '../../config/types.js';

/** Statuses an engine without a `getstream` route answers (engine-sim `hlsOnly` answers 404). */
const NO_ROUTE_STATUSES = new Set([404, 405, 501]);
/** An engine error text that names HLS as the way to go, e.g. "this engine serves HLS only". */
const HLS_ONLY_TEXT = /\bhls\b/i;

/** True when a failed TS session start means the engine offers only HLS. */
export function offersOnlyHls(err: unknown): boolean {
  if (!isEngineError(err)) return false;
  if (err.code === 'SC_ERR_ENGINE_HTTP_STATUS') return NO_ROUTE_STATUSES.has(err.status ?? 0);
  return err.code === 'SC_ERR_ENGINE_REJECTED' && HLS_ONLY_TEXT.test(err.message);
}

/** Per-stream memory of the format each engine gets. */
export class UpstreamModes {
  readonly #mode: GatewayConfig['upstream'];
  readonly #hlsOnly = new Set<string>();

  constructor(mode: GatewayConfig['upstream']) {
    this.#mode = mode;
  }

  /** The format of the next session on engine `engineId`. */
  formatFor(engineId: string): SessionFormat {
    if (this.#mode === 'auto') return this.#hlsOnly.has(engineId) ? 'hls' : 'ts';
    return this.#mode;
  }

  /** After a failed TS start: true (and remembered) when auto mode should retry this engine with HLS. */
  fallBack(engineId: string, err: unknown): boolean {
    if (this.#mode !== 'auto' || this.#hlsOnly.has(engineId) || !offersOnlyHls(err)) return false;
    this.#hlsOnly.add(engineId);
    return true;
  }
}
