/**
 * Who watches what, for the operator dashboard: the TS clients of each stream with their remote address
 * and User-Agent, kept on main from the shards' batched client events (`joined` carries the identity,
 * `left` the same per-shard client number). Only shown to callers holding the API key.
 */
import type { ClientEvent } from '../protocol.js';

export interface RosterClient {
  readonly shard: number;
  readonly clientId: number;
  readonly address: string;
  readonly userAgent: string;
  readonly sinceMs: number;
}

export class ClientRoster {
  /** streamId → `${shard}:${clientId}` → client. */
  readonly #byStream = new Map<number, Map<string, RosterClient>>();

  observe(shard: number, events: readonly ClientEvent[]): void {
    for (const e of events) {
      if (e.protocol !== 'ts' || e.clientId === undefined) continue;
      const id = `${shard}:${e.clientId}`;
      if (e.event === 'left') {
        const clients = this.#byStream.get(e.streamId);
        clients?.delete(id);
        if (clients?.size === 0) this.#byStream.delete(e.streamId);
        continue;
      }
      let clients = this.#byStream.get(e.streamId);
      if (!clients) {
        clients = new Map();
        this.#byStream.set(e.streamId, clients);
      }
      clients.set(id, {
        shard,
        clientId: e.clientId,
        address: e.address ?? '',
        userAgent: e.userAgent ?? '',
        sinceMs: e.atMs,
      });
    }
  }

  /** The newest `limit` clients of a stream (a Map keeps join order), newest first, and how many there are. */
  clientsOf(streamId: number, limit: number): { total: number; clients: RosterClient[] } {
    const clients = this.#byStream.get(streamId);
    if (!clients) return { total: 0, clients: [] };
    return { total: clients.size, clients: [...clients.values()].slice(-limit).reverse() };
  }

  forgetStream(streamId: number): void {
    this.#byStream.delete(streamId);
  }

  /** A shard died: its clients are gone with it. */
  forgetShard(shard: number): void {
    for (const [streamId, clients] of this.#byStream) {
      for (const [id, c] of clients) if (c.shard === shard) clients.delete(id);
      if (clients.size === 0) this.#byStream.delete(streamId);
    }
  }
}
