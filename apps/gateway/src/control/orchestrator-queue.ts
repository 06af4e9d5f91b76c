/**
 * Delivery of orchestrator events (`POST <events-url>/events/<name>`, `Authorization: Bearer <key>`) from
 * a bounded in-memory queue. Nothing waits for it: `enqueue()` is synchronous and O(1) amortised, a full
 * queue refuses the new event (counted as overflow), and sending runs in the background with a deadline
 * per attempt and exponential backoff between retries. Events of one stream go out in order (a stream's
 * `ended` never overtakes its `started`); different streams go out in parallel, up to `concurrency`.
 *
 *   enqueue ─► [ e1 e2 e3 ... ]  (≤ maxQueue) ─► up to `concurrency` in flight, one per order key
 *                  full: refuse new, count ─┘       └─ 2xx: sent · 408/429/5xx/network: retry with
 *                                                      backoff · other 4xx or retries exhausted: failed
 */
import { Agent, request } from 'undici';

const DEFAULT_MAX_QUEUE = 1000;
const DEFAULT_CONCURRENCY = 4;
const DEFAULT_ATTEMPTS = 4;
const DEFAULT_TIMEOUT_MS = 5000;
/** Backoff before retry n: base * 2^(n-1), +-20 % jitter, capped. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 8000;
const JITTER = 0.2;

export interface OrchestratorEvent {
  /** `stream_started` or `stream_ended` (bodies in README.md, "Lifecycle events"). */
  readonly name: string;
  readonly body: unknown;
  /** Events with the same key are delivered in enqueue order. */
  readonly orderKey: string;
}

export interface QueueOptions {
  readonly url: string;
  readonly key?: string | undefined;
  readonly maxQueue?: number;
  readonly concurrency?: number;
  readonly attempts?: number;
  readonly timeoutMs?: number;
  /** Called once per event that is given up on (for a rate-limited log line). */
  readonly onFailure?: (event: OrchestratorEvent, why: string) => void;
  /** Scales the backoff (tests). */
  readonly backoffBaseMs?: number;
}

export interface QueueStats {
  readonly queued: number;
  readonly inFlight: number;
  readonly sent: ReadonlyMap<string, number>;
  readonly failed: ReadonlyMap<string, number>;
  readonly overflow: ReadonlyMap<string, number>;
  readonly retries: number;
}

interface Job {
  readonly event: OrchestratorEvent;
  attempt: number;
}

function bump(m: Map<string, number>, k: string): void {
  m.set(k, (m.get(k) ?? 0) + 1);
}

/** True for a status worth retrying (the orchestrator may answer next time). */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export class OrchestratorQueue {
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #maxQueue: number;
  readonly #concurrency: number;
  readonly #attempts: number;
  readonly #timeoutMs: number;
  readonly #backoffBaseMs: number;
  readonly #onFailure: QueueOptions['onFailure'];
  readonly #agent: Agent;
  readonly #queue: Job[] = [];
  readonly #busy = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #sent = new Map<string, number>();
  readonly #failed = new Map<string, number>();
  readonly #overflow = new Map<string, number>();
  #retries = 0;
  #inFlight = 0;
  #closed = false;
  #idle: Array<() => void> = [];

  constructor(opts: QueueOptions) {
    this.#base = opts.url.replace(/\/+$/, '');
    this.#headers = { 'content-type': 'application/json' };
    if (opts.key) this.#headers.authorization = `Bearer ${opts.key}`;
    this.#maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE;
    this.#concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    this.#attempts = opts.attempts ?? DEFAULT_ATTEMPTS;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#backoffBaseMs = opts.backoffBaseMs ?? BACKOFF_BASE_MS;
    this.#onFailure = opts.onFailure;
    this.#agent = new Agent({
      connections: this.#concurrency,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
      connectTimeout: this.#timeoutMs,
    });
  }

  /** Queues an event; false (and counted) when the queue is full or closed. Never blocks. */
  enqueue(event: OrchestratorEvent): boolean {
    if (this.#closed || this.#queue.length >= this.#maxQueue) {
      bump(this.#overflow, event.name);
      return false;
    }
    this.#queue.push({ event, attempt: 0 });
    this.#pump();
    return true;
  }

  get stats(): QueueStats {
    return {
      queued: this.#queue.length,
      inFlight: this.#inFlight,
      sent: this.#sent,
      failed: this.#failed,
      overflow: this.#overflow,
      retries: this.#retries,
    };
  }

  /**
   * Waits up to `deadlineMs` for the queue to drain (shutdown sends the last `ended` events), then
   * drops what is left (counted as failed) and closes the connections.
   */
  async close(deadlineMs: number): Promise<void> {
    if (this.#queue.length > 0 || this.#inFlight > 0 || this.#timers.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.#idle.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, deadlineMs);
        }),
      ]);
      clearTimeout(timer);
    }
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const job of this.#queue.splice(0)) this.#giveUp(job, 'shutting down');
    await this.#agent.destroy().catch(() => {});
  }

  #pump(): void {
    while (!this.#closed && this.#inFlight < this.#concurrency) {
      const i = this.#queue.findIndex((j) => !this.#busy.has(j.event.orderKey));
      if (i < 0) break;
      const [job] = this.#queue.splice(i, 1);
      this.#busy.add(job!.event.orderKey);
      this.#inFlight++;
      void this.#send(job!);
    }
    if (this.#queue.length === 0 && this.#inFlight === 0 && this.#timers.size === 0) {
      for (const resolve of this.#idle.splice(0)) resolve();
    }
  }

  async #send(job: Job): Promise<void> {
    job.attempt++;
    const why = await this.#post(job.event);
    if (why === null) {
      bump(this.#sent, job.event.name);
      this.#release(job);
      return;
    }
    if (why.retry && job.attempt < this.#attempts && !this.#closed) {
      this.#retries++;
      this.#inFlight--;
      const t = setTimeout(() => {
        this.#timers.delete(t);
        if (this.#closed) return;
        this.#inFlight++;
        void this.#send(job);
      }, this.#backoffMs(job.attempt));
      t.unref();
      this.#timers.add(t);
      // The order key stays busy through the backoff: later events of the stream wait their turn.
      this.#pump();
      return;
    }
    this.#giveUp(job, why.message);
    this.#release(job);
  }

  #release(job: Job): void {
    this.#busy.delete(job.event.orderKey);
    this.#inFlight--;
    this.#pump();
  }

  #giveUp(job: Job, why: string): void {
    bump(this.#failed, job.event.name);
    this.#onFailure?.(job.event, why);
  }

  /** null on success, else why and whether to retry. Never throws. */
  async #post(event: OrchestratorEvent): Promise<{ retry: boolean; message: string } | null> {
    try {
      const res = await request(`${this.#base}/events/${event.name}`, {
        method: 'POST',
        headers: this.#headers,
        body: JSON.stringify(event.body),
        dispatcher: this.#agent,
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      // Drain the body so the connection can be reused.
      await res.body.dump().catch(() => {});
      if (res.statusCode >= 200 && res.statusCode < 300) return null;
      return { retry: retryable(res.statusCode), message: `HTTP ${res.statusCode}` };
    } catch (err) {
      return { retry: true, message: err instanceof Error ? err.message : String(err) };
    }
  }

  #backoffMs(attempt: number): number {
    const base = Math.min(BACKOFF_MAX_MS, this.#backoffBaseMs * 2 ** (attempt - 1));
    return Math.round(base * (1 - JITTER + Math.random() * 2 * JITTER));
  }
}
