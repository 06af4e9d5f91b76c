/**
 * A reload of the tokens file, enforced on the clients already playing. Each reload is a round:
 *
 * 1. Every shard gets the new table (`tokens`). It lets in only the new tokens from then on, cuts at once
 *    its clients whose token was removed or may no longer play their stream (`channels`), and answers
 *    (`tokensApplied`) with what it cut and every client it still has of a token with a `max_clients`.
 * 2. Main puts those lists together: a token with more clients than its (maybe lowered) `max_clients`
 *    loses the newest ones, whichever shard they are on (`tokenCut`, answered by `tokenCutDone`).
 * 3. One log line says how many clients the reload cut (counts only, never a token).
 *
 * A shard that dies meanwhile took its clients with it (main released their slots): it is not waited for.
 * A shard that does not answer within the deadline is named in the log line, and its clients are left out
 * of the limit (they were already cut for a removed token or channel on their own shard, which needs no
 * answer). A shard spawned after the reload gets the new table in its start-up data and has no client yet.
 * A reload that comes while an earlier round still runs takes the limits over: the earlier round only
 * finishes its count.
 */
import type { TokenTable } from '../access/token-gate.js';
import type { Logger } from '../log.js';
import type { MainToShard, ShardToMain, TokenCut } from '../protocol.js';

/** How long main waits for the shards' answers at each step of a round. */
const STEP_DEADLINE_MS = 5000;

export interface TokenShards {
  readonly size: number;
  /** False when the shard has no worker (dead, awaiting respawn). */
  send(shardId: number, msg: MainToShard): boolean;
}

type Answer = Extract<ShardToMain, { type: 'tokensApplied' | 'tokenCutDone' }>;

interface Round {
  readonly id: number;
  readonly table: TokenTable;
  readonly reason: string;
  step: 'apply' | 'cut';
  /** Shards whose answer to the current step has not come yet. */
  readonly waiting: Set<number>;
  /** Per shard: its clients of limited tokens, `[slot, order, …]`. */
  readonly limited: Map<number, readonly number[]>;
  readonly revoked: { ts: number; hls: number };
  readonly overLimit: { ts: number; hls: number };
  readonly unanswered: Set<number>;
  timer: NodeJS.Timeout | null;
}

export class TokenCuts {
  readonly #shards: TokenShards;
  readonly #log: Logger;
  readonly #deadlineMs: number;
  readonly #rounds = new Map<number, Round>();
  #latest = 0;

  constructor(shards: TokenShards, log: Logger, deadlineMs = STEP_DEADLINE_MS) {
    this.#shards = shards;
    this.#log = log;
    this.#deadlineMs = deadlineMs;
  }

  /** A reloaded table: sends it to every shard and enforces it on their clients. */
  apply(table: TokenTable, reason: string): void {
    const round: Round = {
      id: ++this.#latest,
      table,
      reason,
      step: 'apply',
      waiting: new Set(),
      limited: new Map(),
      revoked: { ts: 0, hls: 0 },
      overLimit: { ts: 0, hls: 0 },
      unanswered: new Set(),
      timer: null,
    };
    this.#rounds.set(round.id, round);
    for (let i = 0; i < this.#shards.size; i++) {
      if (this.#shards.send(i, { type: 'tokens', tokens: table, round: round.id })) round.waiting.add(i);
    }
    this.#wait(round);
  }

  onAnswer(shardId: number, msg: Answer): void {
    const round = this.#rounds.get(msg.round);
    if (!round || !round.waiting.has(shardId)) return;
    const expected = round.step === 'apply' ? 'tokensApplied' : 'tokenCutDone';
    if (msg.type !== expected) return;
    round.waiting.delete(shardId);
    if (msg.type === 'tokensApplied') {
      add(round.revoked, msg.cut);
      round.limited.set(shardId, msg.limited);
    } else {
      add(round.overLimit, msg.cut);
    }
    if (round.waiting.size === 0) this.#next(round);
  }

  /** A shard died: its clients are gone (and released), nothing to wait for. */
  shardDown(shardId: number): void {
    for (const round of [...this.#rounds.values()]) {
      round.limited.delete(shardId);
      if (round.waiting.delete(shardId) && round.waiting.size === 0) this.#next(round);
    }
  }

  stop(): void {
    for (const round of this.#rounds.values()) if (round.timer) clearTimeout(round.timer);
    this.#rounds.clear();
  }

  #wait(round: Round): void {
    if (round.waiting.size === 0) {
      this.#next(round);
      return;
    }
    round.timer = setTimeout(() => {
      round.timer = null;
      for (const s of round.waiting) round.unanswered.add(s);
      round.waiting.clear();
      this.#next(round);
    }, this.#deadlineMs);
    round.timer.unref();
  }

  /** The current step is answered (or timed out): cut over the limits, or finish. */
  #next(round: Round): void {
    if (round.timer) clearTimeout(round.timer);
    round.timer = null;
    if (round.step === 'apply' && round.id === this.#latest) {
      const orders = newestOverLimit(round.table, round.limited);
      round.step = 'cut';
      for (const [shardId, list] of orders) {
        if (this.#shards.send(shardId, { type: 'tokenCut', round: round.id, orders: list }))
          round.waiting.add(shardId);
      }
      if (round.waiting.size > 0) {
        this.#wait(round);
        return;
      }
    }
    this.#finish(round);
  }

  #finish(round: Round): void {
    this.#rounds.delete(round.id);
    const { revoked, overLimit } = round;
    this.#log.info(
      {
        reason: round.reason,
        // TS connections (also those still waiting for their stream to open) and HLS sessions.
        cut: revoked.ts + overLimit.ts,
        cutOverLimit: overLimit.ts,
        hlsSessionsEnded: revoked.hls + overLimit.hls,
        ...(round.unanswered.size > 0
          ? { shardsUnanswered: [...round.unanswered].sort((a, b) => a - b) }
          : {}),
      },
      'tokens reload enforced',
    );
  }
}

/**
 * For each token over its `max_clients`, the newest clients beyond it (highest join order), by shard.
 * Counted from the shards' lists, taken after each had cut its revoked clients: a client that left since
 * may make the cut one larger than needed, never leave the token over its limit.
 */
export function newestOverLimit(
  table: TokenTable,
  limited: ReadonlyMap<number, readonly number[]>,
): Map<number, number[]> {
  const limitOf = new Map<number, number>();
  table.tokens.forEach((t, i) => {
    if (t.maxClients !== null) limitOf.set(table.slots[i]!, t.maxClients);
  });
  const bySlot = new Map<number, Array<{ shard: number; order: number }>>();
  for (const [shard, pairs] of limited) {
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const slot = pairs[i]!;
      if (!limitOf.has(slot)) continue;
      const list = bySlot.get(slot) ?? [];
      if (list.length === 0) bySlot.set(slot, list);
      list.push({ shard, order: pairs[i + 1]! });
    }
  }
  const out = new Map<number, number[]>();
  for (const [slot, list] of bySlot) {
    const excess = list.length - limitOf.get(slot)!;
    if (excess <= 0) continue;
    list.sort((a, b) => b.order - a.order);
    for (const { shard, order } of list.slice(0, excess)) {
      const orders = out.get(shard) ?? [];
      if (orders.length === 0) out.set(shard, orders);
      orders.push(order);
    }
  }
  return out;
}

function add(into: { ts: number; hls: number }, cut: TokenCut): void {
  into.ts += cut.ts;
  into.hls += cut.hls;
}
