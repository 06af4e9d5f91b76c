/**
 * The shard's clients that count against a player token: TS connections (from their request on, also
 * while their stream opens) and HLS sessions. A reload of the tokens file is enforced here: a client whose
 * token was removed, or whose token may no longer play its stream, is cut at once; and main, which sees
 * every shard, names the newest clients of a token whose lowered `max_clients` it now exceeds, to be cut
 * too. Cutting a client releases its token slot through the client's own end (the one path that releases
 * it), so a slot is freed exactly once however the client ends.
 */
import type { Admission, Revocation, TokenGate } from '../access/token-gate.js';
import type { StreamKey } from '../stream-key.js';

/** Why a client is cut: its token is gone, may no longer play the stream, or is over its new limit. */
export type CutCause = Revocation | 'SC_ERR_TOKEN_LIMIT';

export interface TokenClient {
  readonly admission: Admission;
  readonly key: StreamKey;
  readonly protocol: 'ts' | 'hls';
  /** Its place in the gateway-wide join order (higher: joined later). */
  readonly order: number;
  /**
   * Ends the client; by the time it returns its slot is released and it has left this table. Replaced by
   * its owner as the client moves on (a TS request that opens its stream, then plays).
   */
  cut: (cause: CutCause) => void;
}

export interface CutCount {
  ts: number;
  hls: number;
}

export class TokenClients {
  readonly #gate: TokenGate;
  /** By join order: the order a shard's clients are listed and cut in. */
  readonly #clients = new Map<number, TokenClient>();

  constructor(gate: TokenGate) {
    this.#gate = gate;
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * Records a client just counted onto its token (`acquire` succeeded); null when tokens are off (nothing
   * to enforce). The owner calls `remove` when it releases the slot.
   */
  add(
    admission: Admission,
    key: StreamKey,
    protocol: 'ts' | 'hls',
    cut: (cause: CutCause) => void,
  ): TokenClient | null {
    if (admission.index < 0) return null;
    const client: TokenClient = { admission, key, protocol, order: this.#gate.joined(), cut };
    this.#clients.set(client.order, client);
    return client;
  }

  remove(client: TokenClient | null): void {
    if (client && this.#clients.get(client.order) === client) this.#clients.delete(client.order);
  }

  /**
   * After the gate took a reloaded file: cuts every client whose token was removed or whose `channels` now
   * leave its stream out.
   */
  revoke(): CutCount {
    const n: CutCount = { ts: 0, hls: 0 };
    for (const c of [...this.#clients.values()]) {
      const why = this.#gate.revoked(c.admission, c.key);
      if (why === null) continue;
      this.#cut(c, why);
      n[c.protocol]++;
    }
    return n;
  }

  /**
   * Every client of a token that has a `max_clients`, as `[slot, order, slot, order, …]`: main puts the
   * lists of all shards together and picks the newest beyond each limit. All of them, not only those of
   * tokens over their limit right now: another shard may still be counting clients under the old limit.
   */
  limited(): number[] {
    const out: number[] = [];
    for (const c of this.#clients.values()) {
      if (this.#gate.limitOf(c.admission.index) !== null) out.push(c.admission.index, c.order);
    }
    return out;
  }

  /** Cuts the clients main named (over their token's lowered limit); those already gone are skipped. */
  cutOrders(orders: readonly number[]): CutCount {
    const n: CutCount = { ts: 0, hls: 0 };
    for (const order of orders) {
      const c = this.#clients.get(order);
      if (!c) continue;
      this.#cut(c, 'SC_ERR_TOKEN_LIMIT');
      n[c.protocol]++;
    }
    return n;
  }

  #cut(c: TokenClient, cause: CutCause): void {
    c.cut(cause);
    // The owner's end removes it; a cut that did not (a bug) must not leave it to be cut twice.
    this.remove(c);
  }
}
