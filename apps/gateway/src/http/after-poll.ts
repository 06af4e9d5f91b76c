/**
 * Bulk writes after the poll: uWS dispatches every request that arrived in one poll of its sockets before
 * Node's check phase runs, so work queued here with one `setImmediate` per batch runs after the handlers
 * of that whole batch. HLS segment bodies (hundreds of kilobytes copied into the kernel) go out here, so a
 * playlist request that arrived in the same tick is answered first instead of queueing behind them.
 */
export class AfterPoll {
  #queue: (() => void)[] = [];
  #scheduled = false;
  readonly #onError: (err: unknown) => void;

  /** `onError` gets a task's throw; the other tasks still run. */
  constructor(onError: (err: unknown) => void) {
    this.#onError = onError;
  }

  /** Runs `task` after the current poll's handlers, in the order queued. */
  defer(task: () => void): void {
    this.#queue.push(task);
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    const queue = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    for (const task of queue) {
      try {
        task();
      } catch (err) {
        this.#onError(err);
      }
    }
  }
}
