/**
 * Player-token checks on the shards and in main: a token from `?token=` (or a path) is looked up by
 * comparing SHA-256 digests in constant time against every known token, so neither the answer nor its
 * timing tells how close a guess was. Concurrent clients per token are counted gateway-wide in a shared
 * Int32Array (one slot per token), so `max_clients` holds whichever shard a client lands on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ErrorCode } from '../errors.js';
import type { StreamKey } from '../stream-key.js';
import type { PlayerToken } from './token-file.js';

/** What crosses to the shards at spawn: the tokens and the shared client counts. */
export interface TokenTable {
  readonly tokens: readonly PlayerToken[];
  readonly counts: SharedArrayBuffer;
}

export function tokenTable(tokens: readonly PlayerToken[]): TokenTable {
  return { tokens, counts: new SharedArrayBuffer(Math.max(1, tokens.length) * 4) };
}

export interface Admission {
  /** Index of the token in the table (for the client count), or -1 when tokens are off. */
  readonly index: number;
  readonly name: string | null;
}

export type GateResult = { ok: Admission; error: null } | { ok: null; error: ErrorCode };

const OPEN: Admission = { index: -1, name: null };

export class TokenGate {
  readonly #tokens: readonly PlayerToken[];
  readonly #digests: readonly Buffer[];
  readonly #counts: Int32Array;

  constructor(table: TokenTable | null) {
    this.#tokens = table?.tokens ?? [];
    this.#digests = this.#tokens.map((t) => digest(t.token));
    this.#counts = new Int32Array(table?.counts ?? new SharedArrayBuffer(4));
    this.enabled = table !== null;
  }

  readonly enabled: boolean;

  /** Finds the token; every entry is compared, so the time does not depend on which one matched. */
  lookup(given: string | null): number {
    if (given === null || given.length === 0 || given.length > 256) return -1;
    const d = digest(given);
    let found = -1;
    for (let i = 0; i < this.#digests.length; i++) if (timingSafeEqual(d, this.#digests[i]!)) found = i;
    return found;
  }

  /** The token's entry when valid (main's export routes), else null. */
  find(given: string | null): PlayerToken | null {
    const i = this.lookup(given);
    return i < 0 ? null : this.#tokens[i]!;
  }

  /** May `given` play `key`? (Without counting a client: playlists, segments, HEAD.) */
  admit(given: string | null, key: StreamKey | null): GateResult {
    if (!this.enabled) return { ok: OPEN, error: null };
    const i = this.lookup(given);
    if (i < 0) return { ok: null, error: 'SC_ERR_TOKEN_REQUIRED' };
    const t = this.#tokens[i]!;
    if (t.channels !== null && key !== null && (key.kind !== 'channel' || !t.channels.includes(key.hex)))
      return { ok: null, error: 'SC_ERR_TOKEN_FORBIDDEN' };
    return { ok: { index: i, name: t.name }, error: null };
  }

  /** Counts one client onto the token; false (nothing counted) when it is at its limit. */
  acquire(a: Admission): boolean {
    if (a.index < 0) return true;
    const max = this.#tokens[a.index]!.maxClients;
    const now = Atomics.add(this.#counts, a.index, 1) + 1;
    if (max !== null && now > max) {
      Atomics.sub(this.#counts, a.index, 1);
      return false;
    }
    return true;
  }

  release(a: Admission): void {
    if (a.index >= 0) Atomics.sub(this.#counts, a.index, 1);
  }

  clients(index: number): number {
    return Atomics.load(this.#counts, index);
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** `token` from a query string, or null. Never throws. */
export function tokenOf(query: string): string | null {
  try {
    return new URLSearchParams(query).get('token');
  } catch {
    return null;
  }
}
