/**
 * The shard's side of the control channel: request/reply over the worker port with numeric request ids,
 * plus fire-and-forget notices. Replies that never come are failed by a deadline, so a request can never
 * hang a client forever.
 *
 * The port is handed in (the shard entry passes its `parentPort`), so the channel and everything built on
 * it runs in-process in unit tests with a recording fake.
 */
import type { MainToShard, ShardToMain } from '../protocol.js';

/** The one thing the channel needs from the worker port: a way to post to main. */
export interface ControlPort {
  postMessage(msg: ShardToMain): void;
}

type Pending = { resolve: (msg: MainToShard | null) => void; timer: NodeJS.Timeout };

export class ControlChannel {
  #nextId = 1;
  #closed = false;
  readonly #pending = new Map<number, Pending>();
  readonly #port: ControlPort;

  constructor(port: ControlPort) {
    this.#port = port;
  }

  /** True once close() ran (shutdown): waiters got null because the shard is stopping. */
  get closed(): boolean {
    return this.#closed;
  }

  post(msg: ShardToMain): void {
    this.#port.postMessage(msg);
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
      this.#port.postMessage(build(reqId));
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
