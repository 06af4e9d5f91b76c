/**
 * The internal lifecycle event bus, on `node:diagnostics_channel` (main thread). One named channel per
 * event type, so APM tools and tests can subscribe to `shardcast:stream:opened` and friends without any
 * hook in the gateway; publishing with no subscriber costs a flag check. Client events come from the
 * shards in batches with their `stats` message (never one message per client, never per packet).
 *
 * Channels are process-wide; a bus delivers to its own `subscribe()` callers only the events it
 * published itself, so two gateways in one process (tests) never see each other's events.
 */
import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientEvent } from '../protocol.js';

export interface EngineBrief {
  readonly id: string;
  readonly url: string;
  readonly containerId: string | null;
}

interface StreamBase {
  readonly streamId: number;
  /** Stream key as used in URLs: the content id, or `ih-<infohash>`. */
  readonly stream: string;
  readonly keyType: 'content_id' | 'infohash' | 'channel';
  readonly key: string;
  readonly atMs: number;
}

/** The engine session as the owner reported it (AceStream `format=json` answer). */
export interface SessionBrief {
  readonly playbackSessionId: string;
  readonly statUrl: string;
  readonly commandUrl: string;
  readonly isLive: boolean;
}

export type LifecycleEvent =
  | (StreamBase & { readonly type: 'stream.opened'; readonly engine: EngineBrief; readonly owner: number })
  | (StreamBase & { readonly type: 'stream.ready'; readonly engine: EngineBrief; readonly openMs: number })
  | (StreamBase & {
      readonly type: 'stream.session';
      readonly engine: EngineBrief;
      readonly session: SessionBrief;
    })
  | (StreamBase & { readonly type: 'stream.failover'; readonly from: EngineBrief; readonly to: EngineBrief })
  | (StreamBase & {
      readonly type: 'stream.closed';
      /** Directory reason: normal, stopped, error, failed_to_start, shutdown. */
      readonly reason: string;
      /** The stream was playable at some point. */
      readonly wasReady: boolean;
      readonly engine: EngineBrief;
      readonly ageMs: number;
    })
  | {
      /** A managed engine answered its first `get_status` (or was adopted after a restart). */
      readonly type: 'engine.started';
      readonly engine: EngineBrief;
      readonly name: string;
      /** create → first good `get_status`; null for an adopted engine. */
      readonly provisionMs: number | null;
      readonly atMs: number;
    }
  | {
      /** A managed engine's container was removed. */
      readonly type: 'engine.removed';
      readonly engine: EngineBrief;
      readonly name: string;
      /** idle, unhealthy, died, max_age, template, drained, failed, orphan, shutdown. */
      readonly reason: string;
      readonly atMs: number;
    }
  | {
      readonly type: 'client.joined' | 'client.left';
      readonly streamId: number;
      readonly stream: string;
      readonly shard: number;
      readonly protocol: ClientEvent['protocol'];
      readonly reason: string | null;
      readonly atMs: number;
    };

export type LifecycleType = LifecycleEvent['type'];

/** diagnostics_channel name of each event type. */
export const CHANNEL_NAMES: Readonly<Record<LifecycleType, string>> = {
  'stream.opened': 'shardcast:stream:opened',
  'stream.ready': 'shardcast:stream:ready',
  'stream.session': 'shardcast:stream:session',
  'stream.failover': 'shardcast:stream:failover',
  'stream.closed': 'shardcast:stream:closed',
  'engine.started': 'shardcast:engine:started',
  'engine.removed': 'shardcast:engine:removed',
  'client.joined': 'shardcast:client:joined',
  'client.left': 'shardcast:client:left',
};

const TYPES = Object.keys(CHANNEL_NAMES) as LifecycleType[];
const CHANNELS = new Map(TYPES.map((t) => [t, diagnosticsChannel.channel(CHANNEL_NAMES[t])]));

export type LifecycleListener = (event: LifecycleEvent) => void;

export class EventBus {
  // Which bus published an event: scopes delivery without adding a field to the public message.
  static readonly #publisher = new WeakMap<LifecycleEvent, EventBus>();
  readonly #unsubscribers: Array<() => void> = [];
  readonly #published = new Map<LifecycleType, number>();
  #listenerErrors = 0;

  publish(event: LifecycleEvent): void {
    this.#published.set(event.type, (this.#published.get(event.type) ?? 0) + 1);
    const ch = CHANNELS.get(event.type)!;
    if (!ch.hasSubscribers) return;
    EventBus.#publisher.set(event, this);
    ch.publish(event);
  }

  /** Calls `fn` for every event this bus publishes. A throwing listener is counted, never propagated. */
  subscribe(fn: LifecycleListener, types: readonly LifecycleType[] = TYPES): () => void {
    const handler = (msg: unknown): void => {
      const event = msg as LifecycleEvent;
      if (EventBus.#publisher.get(event) !== this) return;
      try {
        fn(event);
      } catch {
        this.#listenerErrors++;
      }
    };
    for (const t of types) diagnosticsChannel.subscribe(CHANNEL_NAMES[t], handler);
    const off = (): void => {
      for (const t of types) diagnosticsChannel.unsubscribe(CHANNEL_NAMES[t], handler);
    };
    this.#unsubscribers.push(off);
    return off;
  }

  /** Events published since start, by type. */
  published(): ReadonlyMap<LifecycleType, number> {
    return this.#published;
  }

  get listenerErrors(): number {
    return this.#listenerErrors;
  }

  /** Removes every subscription made through this bus. */
  close(): void {
    for (const off of this.#unsubscribers.splice(0)) off();
  }
}
