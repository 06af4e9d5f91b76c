/**
 * Lifecycle bus → orchestrator events (see README). Every engine session a stream runs on is one
 * `stream_started` / `stream_ended` pair, so an orchestrator that counts streams per engine container
 * stays right across failovers: a new session (another engine, or a restarted session) ends the previous
 * one with reason `error` first. A stream closed without any session (the engine refused to start it)
 * sends nothing: the orchestrator never heard of it.
 *
 * `stream_id` (also `labels.stream_id` of the started event, the orchestrator's lookup key) is
 * `<stream key>|<playback_session_id>`.
 */
import type { EventBus, LifecycleEvent, SessionBrief } from './event-bus.js';
import type { OrchestratorQueue } from './orchestrator-queue.js';

/** `reason` values of `stream_ended`. */
export type EndReason = 'normal' | 'stopped' | 'failed_to_start' | 'error';

interface Started {
  readonly streamId: string;
  readonly containerId: string | null;
}

type Closed = Extract<LifecycleEvent, { type: 'stream.closed' }>;
type SessionEvent = Extract<LifecycleEvent, { type: 'stream.session' }>;

/** Directory close reason → the `reason` an orchestrator sees. */
export function endReason(e: Pick<Closed, 'reason' | 'wasReady'>): EndReason {
  if (e.reason === 'stopped' || e.reason === 'shutdown') return 'stopped';
  if (!e.wasReady || e.reason === 'failed_to_start') return 'failed_to_start';
  return e.reason === 'normal' ? 'normal' : 'error';
}

/** host and port of an engine base URL (the port defaults by scheme). */
function hostPort(url: string): { host: string; port: number } {
  try {
    const u = new URL(url);
    const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port };
  } catch {
    return { host: url, port: 0 };
  }
}

export function startedBody(e: SessionEvent, streamId: string): unknown {
  const s: SessionBrief = e.session;
  return {
    container_id: e.engine.containerId,
    engine: hostPort(e.engine.url),
    stream: { key_type: e.keyType, key: e.key },
    session: {
      playback_session_id: s.playbackSessionId,
      stat_url: s.statUrl,
      command_url: s.commandUrl,
      is_live: s.isLive ? 1 : 0,
    },
    labels: { stream_id: streamId },
  };
}

export class OrchestratorEvents {
  readonly #queue: OrchestratorQueue;
  readonly #started = new Map<number, Started>();
  #off: (() => void) | null = null;

  constructor(queue: OrchestratorQueue) {
    this.#queue = queue;
  }

  attach(bus: EventBus): void {
    this.#off = bus.subscribe((e) => this.handle(e), ['stream.session', 'stream.closed']);
  }

  detach(): void {
    this.#off?.();
    this.#off = null;
  }

  /** Streams with a `started` sent and no `ended` yet. */
  get open(): number {
    return this.#started.size;
  }

  handle(e: LifecycleEvent): void {
    if (e.type === 'stream.session') this.#session(e);
    else if (e.type === 'stream.closed') this.#closed(e);
  }

  #session(e: SessionEvent): void {
    const streamId = `${e.stream}|${e.session.playbackSessionId}`;
    const prev = this.#started.get(e.streamId);
    if (prev?.streamId === streamId) return;
    if (prev) this.#end(e.streamId, prev, 'error');
    const started = { streamId, containerId: e.engine.containerId };
    this.#started.set(e.streamId, started);
    this.#queue.enqueue({
      name: 'stream_started',
      body: startedBody(e, streamId),
      orderKey: String(e.streamId),
    });
  }

  #closed(e: Closed): void {
    const prev = this.#started.get(e.streamId);
    if (!prev) return;
    this.#started.delete(e.streamId);
    this.#end(e.streamId, prev, endReason(e));
  }

  #end(id: number, s: Started, reason: EndReason): void {
    this.#queue.enqueue({
      name: 'stream_ended',
      body: { container_id: s.containerId, stream_id: s.streamId, reason },
      orderKey: String(id),
    });
  }
}
