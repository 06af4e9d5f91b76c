/**
 * The streams this shard owns (ingests), keyed by stream id, and one engine HTTP client per engine.
 */
import { EngineClient } from '@shardcast/engine-client';
import type { Recorder } from '@shardcast/metrics';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { EngineRef, MainToShard, OwnerStats, SourceRef } from '../protocol.js';
import type { ControlChannel } from './control.js';
import { OwnedStream, STOP_TIMEOUT_MS } from './owner/owner.js';

export class OwnerSet {
  readonly #config: GatewayConfig;
  readonly #log: Logger;
  readonly #control: ControlChannel;
  readonly #recorder: Recorder;
  readonly #owned = new Map<number, OwnedStream>();
  readonly #clients = new Map<string, EngineClient>();
  readonly #clientSource = {
    get: (url: string): EngineClient => this.#client(url),
    source: (url: string): EngineClient => this.#client(new URL(url).origin, true),
  };

  constructor(config: GatewayConfig, log: Logger, control: ControlChannel, recorder: Recorder) {
    this.#config = config;
    this.#log = log.child({ component: 'owner' });
    this.#control = control;
    this.#recorder = recorder;
  }

  own(msg: Extract<MainToShard, { type: 'own' }>): void {
    if (this.#owned.has(msg.streamId)) return;
    this.#owned.set(
      msg.streamId,
      new OwnedStream(msg, this.#config, this.#log, this.#control, this.#recorder, this.#clientSource),
    );
  }

  disown(streamId: number, reason: string): void {
    const o = this.#owned.get(streamId);
    if (!o) return;
    this.#owned.delete(streamId);
    void o.stop(reason);
  }

  engine(streamId: number, engine: EngineRef | null, source?: SourceRef): void {
    this.#owned.get(streamId)?.engine(engine, source);
  }

  engineLost(streamId: number, running: boolean): void {
    this.#owned.get(streamId)?.engineLost(running);
  }

  stats(): OwnerStats[] {
    return [...this.#owned.values()].map((o) => o.stats());
  }

  /**
   * Shutdown: stop every pump and engine session, bounded by the engine client's deadlines. A session start
   * the stop cut short (or one abandoned earlier) runs on to its answer and its session is stopped, within
   * the same {@link STOP_TIMEOUT_MS} as the owners' own stops; closing the clients then cuts what is left.
   */
  async stopAll(reason: string): Promise<void> {
    const owned = [...this.#owned.values()];
    this.#owned.clear();
    // Each stop aborts its owner's start synchronously, so the clients know every abandoned start by now.
    const stops = owned.map((o) => o.stop(reason));
    const settled = [...this.#clients.values()].map((c) => c.settle(STOP_TIMEOUT_MS));
    await Promise.allSettled([...stops, ...settled]);
    await this.#closeClients();
  }

  /** Crash path: abort without engine calls. */
  abortAll(): void {
    for (const o of this.#owned.values()) o.abort();
    this.#owned.clear();
    void this.#closeClients();
  }

  /** The client of an engine, or (`source`) of the URL sources on origin `url`: never the same one. */
  #client(url: string, source = false): EngineClient {
    const key = source ? `source ${url}` : url;
    let c = this.#clients.get(key);
    if (!c) {
      c = new EngineClient({ baseUrl: url, ...(source ? { source: true } : {}) });
      this.#clients.set(key, c);
    }
    return c;
  }

  async #closeClients(): Promise<void> {
    const clients = [...this.#clients.values()];
    this.#clients.clear();
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}
