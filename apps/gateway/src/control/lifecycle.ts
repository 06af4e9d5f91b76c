/**
 * Turns stream directory events and owner/shard reports into lifecycle events on the bus, and counts
 * them for Prometheus (streams opened, closed by reason, failed over, failed to open). Also times
 * `stream_open` on main: first request (directory `opened`) → ring ready (`ready`), a failure when the
 * open times out or the owner gives up before the stream ever played.
 */
import { DOCKER_ID_PREFIX } from '@shardcast/docker-engines';
import type { EngineInfo, EngineRegistry } from '@shardcast/engines';
import type { Recorder } from '@shardcast/metrics';
import type { Logger } from '../log.js';
import type { ClientEvent, EngineRef, EngineSessionRef } from '../protocol.js';
import type { StreamDirectory, StreamEntry } from './directory.js';
import type { EngineBrief, EventBus, SessionBrief } from './event-bus.js';

/** Lifetime counters of stream lifecycles on this gateway. */
export interface LifecycleCounts {
  readonly opened: number;
  readonly ready: number;
  readonly failovers: number;
  readonly openFailures: number;
  readonly closed: ReadonlyMap<string, number>;
  readonly clientEventsDropped: number;
}

export class Lifecycle {
  readonly #bus: EventBus;
  readonly #registry: EngineRegistry;
  readonly #recorder: Recorder;
  readonly #log: Logger | null;
  #opened = 0;
  #ready = 0;
  #failovers = 0;
  #openFailures = 0;
  #clientEventsDropped = 0;
  readonly #closed = new Map<string, number>();

  constructor(bus: EventBus, registry: EngineRegistry, recorder: Recorder, log: Logger | null) {
    this.#bus = bus;
    this.#registry = registry;
    this.#recorder = recorder;
    this.#log = log;
  }

  /** Subscribes to the directory. Every handler is guarded: a bug here must never break an open or close. */
  attach(directory: StreamDirectory): void {
    directory.on('opened', (e) => this.#guard(() => this.#onOpened(e)));
    directory.on('ready', (e, openMs) => this.#guard(() => this.#onReady(e, openMs)));
    directory.on('failed', (e) => this.#guard(() => this.#onFailed(e)));
    directory.on('failover', (e, from, to) => this.#guard(() => this.#onFailover(e, from, to)));
    directory.on('closed', (e, reason) => this.#guard(() => this.#onClosed(e, reason)));
  }

  /** The owner started an engine session for the stream (ShardToMain `ownerSession`). */
  session(entry: StreamEntry, engine: EngineRef, s: EngineSessionRef): void {
    const session: SessionBrief = {
      playbackSessionId: s.playbackSessionId,
      statUrl: s.statUrl,
      commandUrl: s.commandUrl,
      isLive: s.isLive,
    };
    this.#bus.publish({ ...this.#base(entry), type: 'stream.session', engine: this.#brief(engine), session });
  }

  /** A batch of client events from one shard's `stats`. */
  clients(
    shardId: number,
    events: readonly ClientEvent[],
    dropped: number,
    tokenOf: (id: number) => string | null,
  ): void {
    this.#clientEventsDropped += dropped;
    for (const c of events) {
      const stream = tokenOf(c.streamId);
      if (stream === null) continue;
      this.#bus.publish({
        type: c.event === 'joined' ? 'client.joined' : 'client.left',
        streamId: c.streamId,
        stream,
        shard: shardId,
        protocol: c.protocol,
        reason: c.reason,
        atMs: c.atMs,
      });
    }
  }

  get counts(): LifecycleCounts {
    return {
      opened: this.#opened,
      ready: this.#ready,
      failovers: this.#failovers,
      openFailures: this.#openFailures,
      closed: this.#closed,
      clientEventsDropped: this.#clientEventsDropped,
    };
  }

  #onOpened(e: StreamEntry): void {
    this.#opened++;
    this.#bus.publish({
      ...this.#base(e),
      type: 'stream.opened',
      engine: this.#brief(e.engine),
      owner: e.owner,
    });
  }

  #onReady(e: StreamEntry, openMs: number): void {
    this.#ready++;
    this.#recorder.recordMs('stream_open', openMs, true);
    this.#bus.publish({ ...this.#base(e), type: 'stream.ready', engine: this.#brief(e.engine), openMs });
  }

  #onFailed(e: StreamEntry): void {
    // A live stream that fails later is not a failed open.
    if (e.readyAtMs !== null) return;
    this.#openFailures++;
    this.#recorder.recordMs('stream_open', Date.now() - e.openedAtMs, false);
  }

  #onFailover(e: StreamEntry, from: EngineInfo, to: EngineInfo): void {
    this.#failovers++;
    this.#bus.publish({
      ...this.#base(e),
      type: 'stream.failover',
      from: this.#brief(from),
      to: this.#brief(to),
    });
  }

  #onClosed(e: StreamEntry, reason: string): void {
    this.#closed.set(reason, (this.#closed.get(reason) ?? 0) + 1);
    this.#bus.publish({
      ...this.#base(e),
      type: 'stream.closed',
      reason,
      wasReady: e.readyAtMs !== null,
      engine: this.#brief(e.engine),
      ageMs: Date.now() - e.openedAtMs,
    });
  }

  #base(e: StreamEntry): {
    streamId: number;
    stream: string;
    keyType: 'content_id' | 'infohash' | 'channel';
    key: string;
    atMs: number;
  } {
    return {
      streamId: e.id,
      stream: e.token,
      keyType: e.key.kind === 'id' ? 'content_id' : e.key.kind,
      key: e.key.hex,
      atMs: Date.now(),
    };
  }

  #brief(engine: EngineRef | EngineInfo): EngineBrief {
    // A dead container may have left the registry already; its id still names it.
    const known = this.#registry.get(engine.id)?.containerId;
    const fromId = engine.id.startsWith(DOCKER_ID_PREFIX) ? engine.id.slice(DOCKER_ID_PREFIX.length) : null;
    return { id: engine.id, url: engine.url, containerId: known ?? fromId };
  }

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log?.error({ err }, 'lifecycle event handling failed');
    }
  }
}
