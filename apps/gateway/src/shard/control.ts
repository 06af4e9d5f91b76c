/**
 * The shard's side of the control channel: request/reply over the worker port with numeric request ids,
 * plus fire-and-forget notices. Replies that never come are failed by a deadline, so a request can never
 * hang a client forever.
 *
 * The port is handed in (the shard entry passes its `parentPort`), so the channel and everything built on
 * it runs in-process in unit tests with a recording fake.
 */
import type { MainReply, MainToShard, ReplyOf, ShardRequest, ShardToMain } from '../protocol.js';

type Pending = {
  expects: MainReply['type'];
  resolve: (msg: MainReply | null) => void;
  timer: NodeJS.Timeout;
};

/** The reply type each request type gets. */
const REPLY_TYPE = { open: 'opened', api: 'apiResponse' } as const satisfies {
  [K in keyof ReplyOf]: ReplyOf[K]['type'];
};

/** The one thing the channel needs from the worker port: a way to post to main. */
export interface ControlPort {
  postMessage(msg: ShardToMain): void;
}

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

  /** A fire-and-forget notice; requests that expect a reply go through `request`. */
  post(msg: Exclude<ShardToMain, ShardRequest>): void {
    this.#port.postMessage(msg);
  }

  /**
   * Sends a request built with a fresh id; resolves with the reply its type gets (`ReplyOf`), or null
   * after `deadlineMs` (or at close).
   */
  request<R extends ShardRequest>(
    build: (reqId: number) => R,
    deadlineMs: number,
  ): Promise<ReplyOf[R['type']] | null> {
    const reqId = this.#nextId++;
    const msg = build(reqId);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(reqId);
        resolve(null);
      }, deadlineMs);
      // settle() only hands over a reply whose type is `expects`, which is ReplyOf[R['type']].
      const settle = resolve as (reply: MainReply | null) => void;
      this.#pending.set(reqId, { expects: REPLY_TYPE[msg.type], resolve: settle, timer });
      this.#port.postMessage(msg);
    });
  }

  /**
   * Routes a reply to its waiter; false when the message is not a reply (then it is a command). A reply of
   * the wrong type for its request (a protocol bug) is dropped, and the request then ends by its deadline.
   */
  settle(msg: MainToShard): msg is MainReply {
    if (msg.type !== 'opened' && msg.type !== 'apiResponse') return false;
    const p = this.#pending.get(msg.reqId);
    if (!p || p.expects !== msg.type) return true;
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
