/**
 * Player-token checks on the shards and in main: a token from `?token=` (or a path) is looked up by
 * comparing SHA-256 digests in constant time against every known token, so neither the answer nor its
 * timing tells how close a guess was. Concurrent clients per token are counted gateway-wide in a shared
 * Int32Array (one slot per token and shard: a client counts in its own shard's column, a limit is checked
 * against the sum), so `max_clients` holds whichever shard a client lands on, and the clients of a shard
 * that died are released with it (main zeroes its column before it respawns). A client keeps its slot
 * across reloads, so a reload can tell whether it may still play (`revoked`) and, through a shared join
 * counter, which clients of a token are the newest (shard/token-clients.ts, control/token-cuts.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { ErrorCode } from '../errors.js';
import type { StreamKey } from '../stream-key.js';
import { MAX_TOKENS, type PlayerToken } from './token-file.js';

/**
 * What crosses to the shards (at spawn, and again after each reload of the file): the tokens, the
 * client-count slot of each, and the shared counts. The counts buffer is allocated once, with room for
 * every slot a reload may need, and shared by every table after it, so a client counted under one table
 * is released from the same slot under the next.
 */
export interface TokenTable {
  readonly tokens: readonly PlayerToken[];
  /** `slots[i]` is the index in each shard's column of `counts` of `tokens[i]`'s concurrent clients. */
  readonly slots: readonly number[];
  /** `shards` columns of TOKEN_SLOTS counts each. */
  readonly counts: SharedArrayBuffer;
  readonly shards: number;
  /**
   * Tokens a reload removed while clients were still counted in their slot: a later reload that lists one
   * again gives it that slot back, so those clients still count against its `max_clients`.
   */
  readonly retired?: readonly { readonly token: string; readonly slot: number }[];
  /**
   * One shared counter (a BigInt64): every client counted onto a token takes the next number, so clients
   * of different shards can be ordered by when they joined (a lowered `max_clients` cuts the newest).
   */
  readonly joins: SharedArrayBuffer;
}

/**
 * Slots in the counts buffer: a reload may add a whole new file's tokens while the removed ones still have
 * clients (their slots are reused only once those clients are gone).
 */
export const TOKEN_SLOTS = 2 * MAX_TOKENS;

export function tokenTable(tokens: readonly PlayerToken[], shards = 1): TokenTable {
  return {
    tokens,
    slots: tokens.map((_, i) => i),
    counts: new SharedArrayBuffer(TOKEN_SLOTS * shards * 4),
    shards,
    joins: new SharedArrayBuffer(8),
  };
}

/** Concurrent clients in `slot`, every shard together. */
function slotClients(counts: Int32Array, shards: number, slot: number): number {
  let n = 0;
  for (let s = 0; s < shards; s++) n += Atomics.load(counts, s * TOKEN_SLOTS + slot);
  return n;
}

/** A shard died: its clients are gone with it (main calls this before the shard respawns). */
export function releaseShard(table: TokenTable, shard: number): void {
  if (shard < 0 || shard >= table.shards) return;
  const counts = new Int32Array(table.counts);
  for (let i = 0; i < TOKEN_SLOTS; i++) Atomics.store(counts, shard * TOKEN_SLOTS + i, 0);
}

/**
 * The table after a reload: a token still listed (same token text) keeps its slot, so its clients stay
 * counted; a new one gets a slot that neither table uses and that has no client left. Null when no slot is
 * free (more than TOKEN_SLOTS tokens alive at once).
 */
export function nextTokenTable(prev: TokenTable, tokens: readonly PlayerToken[]): TokenTable | null {
  const counts = new Int32Array(prev.counts);
  const kept = new Map(prev.tokens.map((t, i) => [t.token, prev.slots[i]!]));
  // Removed earlier, clients still counted: their slot is still theirs (no other token can have it).
  const busy = (slot: number): boolean => slotClients(counts, prev.shards, slot) !== 0;
  const retired = new Map<string, number>();
  for (const r of prev.retired ?? []) if (!kept.has(r.token) && busy(r.slot)) retired.set(r.token, r.slot);
  const listed = new Set(tokens.map((t) => t.token));
  for (const [token, slot] of kept) if (!listed.has(token) && busy(slot)) retired.set(token, slot);
  for (const [token, slot] of retired) {
    if (!listed.has(token)) continue;
    kept.set(token, slot);
    retired.delete(token);
  }
  const taken = new Set(prev.slots);
  const slots: number[] = [];
  let free = 0;
  for (const t of tokens) {
    const slot = kept.get(t.token);
    if (slot !== undefined) {
      slots.push(slot);
      continue;
    }
    while (free < TOKEN_SLOTS && (taken.has(free) || busy(free))) free++;
    if (free >= TOKEN_SLOTS) return null;
    slots.push(free);
    taken.add(free);
  }
  return {
    tokens,
    slots,
    counts: prev.counts,
    shards: prev.shards,
    joins: prev.joins,
    retired: [...retired].map(([token, slot]) => ({ token, slot })),
  };
}

export interface Admission {
  /** The token's slot in the shared counts, or -1 when tokens are off. */
  readonly index: number;
  readonly name: string | null;
  /** The token's `max_clients` when it was admitted (null: no limit). */
  readonly max: number | null;
}

export type GateResult = { ok: Admission; error: null } | { ok: null; error: ErrorCode };

/** Why a client admitted earlier may no longer play (after a reload of the file). */
export type Revocation = 'SC_ERR_TOKEN_REQUIRED' | 'SC_ERR_TOKEN_FORBIDDEN';

const OPEN: Admission = { index: -1, name: null, max: null };

export class TokenGate {
  #tokens: readonly PlayerToken[];
  #digests: readonly Buffer[];
  #slots: readonly number[];
  /** Slot → index in `#tokens`, for the clients admitted before a reload (they carry their slot). */
  #bySlot: Map<number, number>;
  readonly #counts: Int32Array;
  readonly #joins: BigInt64Array;
  readonly #shards: number;
  /** This shard's column in the counts. */
  readonly #base: number;

  /** `shard`: the shard whose clients this gate counts (main's own gate counts none). */
  constructor(table: TokenTable | null, shard = 0) {
    this.#tokens = table?.tokens ?? [];
    this.#digests = this.#tokens.map((t) => digest(t.token));
    this.#slots = table?.slots ?? [];
    this.#bySlot = slotIndex(this.#slots);
    this.#counts = new Int32Array(table?.counts ?? new SharedArrayBuffer(TOKEN_SLOTS * 4));
    this.#joins = new BigInt64Array(table?.joins ?? new SharedArrayBuffer(8));
    this.#shards = table?.shards ?? 1;
    this.#base = (shard >= 0 && shard < this.#shards ? shard : 0) * TOKEN_SLOTS;
    this.enabled = table !== null;
  }

  readonly enabled: boolean;

  /**
   * A reloaded file: from now on only its tokens are let in. Clients admitted before keep their slot
   * (a token still listed keeps it across reloads); whether they may go on playing is `revoked()`.
   */
  update(table: TokenTable): void {
    if (!this.enabled) return;
    this.#tokens = table.tokens;
    this.#digests = table.tokens.map((t) => digest(t.token));
    this.#slots = table.slots;
    this.#bySlot = slotIndex(table.slots);
  }

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
    if (!mayPlay(t, key)) return { ok: null, error: 'SC_ERR_TOKEN_FORBIDDEN' };
    return { ok: { index: this.#slots[i]!, name: t.name, max: t.maxClients }, error: null };
  }

  /**
   * May a client admitted earlier still play `key` under the tokens in use? Null when it may (or tokens
   * are off); else why not: its token is no longer listed, or its `channels` now leave the stream out. A
   * client's slot names its token for as long as the client is counted in it (a slot with clients is
   * never given to another token).
   */
  revoked(a: Admission, key: StreamKey): Revocation | null {
    if (a.index < 0) return null;
    const i = this.#bySlot.get(a.index);
    if (i === undefined) return 'SC_ERR_TOKEN_REQUIRED';
    return mayPlay(this.#tokens[i]!, key) ? null : 'SC_ERR_TOKEN_FORBIDDEN';
  }

  /** The current `max_clients` of the token in `slot` (null: no limit, or no token listed there). */
  limitOf(slot: number): number | null {
    const i = this.#bySlot.get(slot);
    return i === undefined ? null : this.#tokens[i]!.maxClients;
  }

  /** The next number of the gateway-wide join order (clients of every shard, see `TokenTable.joins`). */
  joined(): number {
    return Number(Atomics.add(this.#joins, 0, 1n));
  }

  /** Counts one client onto the token; false (nothing counted) when it is at its limit. */
  acquire(a: Admission): boolean {
    if (a.index < 0) return true;
    // Count first, then check the sum: two shards racing for the last place may both back off, never
    // both get in.
    Atomics.add(this.#counts, this.#base + a.index, 1);
    if (a.max !== null && this.clients(a.index) > a.max) {
      Atomics.sub(this.#counts, this.#base + a.index, 1);
      return false;
    }
    return true;
  }

  release(a: Admission): void {
    if (a.index >= 0) Atomics.sub(this.#counts, this.#base + a.index, 1);
  }

  /** Concurrent clients counted in a slot, every shard together. */
  clients(slot: number): number {
    return slotClients(this.#counts, this.#shards, slot);
  }
}

function mayPlay(t: PlayerToken, key: StreamKey | null): boolean {
  return t.channels === null || key === null || (key.kind === 'channel' && t.channels.includes(key.hex));
}

function slotIndex(slots: readonly number[]): Map<number, number> {
  return new Map(slots.map((slot, i) => [slot, i]));
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
