/**
 * The shard's side of the control channel: request/reply over the worker port with numeric request ids,
 * plus fire-and-forget notices. Replies that never come are failed by a deadline, so a request can never
 * hang a client forever.
 */
import { parentPort } from 'node:worker_threads';
import type { MainToShard, ShardToMain } from '../protocol.js';

type Pending = { resolve: (msg: MainToShard | null) => void; timer: NodeJS.Timeout };

export class ControlChannel {
  #nextId = 1;
  #closed = false;
  readonly #pending = new Map<number, Pending>();

  /** True once close() ran (shutdown): waiters got null because the shard is stopping. */
  get closed(): boolean {
    return this.#closed;
  }

  post(msg: ShardToMain): void {
    parentPort!.postMessage(msg);
  }

  /** Sends a request built with a fresh id; resolves with the reply, or null after `deadlineMs`. */
  request(build: (reqId: number) => ShardToMain, deadlineMs: number): Promise<MainToShard | null> {
    const reqId = this.#nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(reqId);
        resolve(null);
      }, deadlineMs);
      this.#pending.set(reqId, { resolve, timer });
      parentPort!.postMessage(build(reqId));
    });
  }

  /** Routes a reply to its waiter; returns false when the message is not a reply. */
  settle(msg: MainToShard): boolean {
    if (msg.type !== 'opened' && msg.type !== 'apiResponse') return false;
    const p = this.#pending.get(msg.reqId);
    if (!p) return true;
    this.#pending.delete(msg.reqId);
    clearTimeout(p.timer);
    p.resolve(msg);
    return true;
  }

  /** Fails every waiter (shutdown). */
  close(): void {
    this.#closed = true;
    for (const [, p] of this.#pending) {
      clearTimeout(p.timer);
      p.resolve(null);
    }
    this.#pending.clear();
  }
}
