import { EngineError } from './errors.js';

/**
 * One call's abort signal: a deadline timer plus the caller's signal, both owned here so that
 * `dispose()` leaves no timer and no listener behind. `AbortSignal.timeout` keeps its timer
 * until it fires and `AbortSignal.any` has leaked listeners on long-lived signals in Node 20,
 * which matters for a pump that makes calls for days under one signal.
 */
export class Deadline {
  readonly #ac = new AbortController();
  readonly #caller: AbortSignal | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(ms: number, caller: AbortSignal | undefined, what: string) {
    this.#caller = caller;
    if (caller?.aborted) {
      this.#onCallerAbort();
      return;
    }
    caller?.addEventListener('abort', this.#onCallerAbort, { once: true });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ac.abort(new EngineError('SC_ERR_ENGINE_TIMEOUT', `${what}: no answer within ${ms} ms`));
    }, ms);
  }

  /** Aborted when the deadline passes or the caller aborts; `reason` is the {@link EngineError}. */
  get signal(): AbortSignal {
    return this.#ac.signal;
  }

  /** The timeout or abort error when this deadline fired, else undefined. */
  get reason(): EngineError | undefined {
    return this.#ac.signal.aborted ? (this.#ac.signal.reason as EngineError) : undefined;
  }

  /** Stops the clock but keeps following the caller's signal (a stream after its headers). */
  stopClock(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Releases the timer and the caller listener; idempotent. */
  dispose(): void {
    this.stopClock();
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }

  readonly #onCallerAbort = (): void => {
    this.stopClock();
    this.#ac.abort(new EngineError('SC_ERR_ENGINE_ABORTED', 'engine call aborted by the caller'));
  };
}
