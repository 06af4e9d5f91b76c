/**
 * Shard supervisor: starts N worker threads, waits for each one's `ready` (its port and buffers are live),
 * routes messages, and respawns a shard that dies — with a bound, so a shard that keeps crashing does not
 * spin (piscina's "failed during bootstrap" rule: a shard that dies before its first `ready` fails start-up).
 *
 * Directory hand-over, with no window: in the same synchronous turn that creates a worker, main posts it
 * `start` with a snapshot of the whole stream directory, and from then on `send`/`broadcast` post to that
 * worker whether it is ready or not (the port queues messages in order until the shard reads them). The
 * shard applies `start` before it listens. So every stream created before the spawn is in the snapshot,
 * every stream created after it is announced on the same ordered port behind the snapshot, and no shard
 * accepts a connection before it knows every stream — at start-up and after a respawn alike. A message to
 * a worker that has just died is lost with the worker; its successor gets a fresh snapshot.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { TokenTable } from '../access/token-gate.js';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { MainToShard, ShardInit, ShardToMain, StreamAttachment } from '../protocol.js';

const SHARD_ENTRY = new URL('../shard/main.js', import.meta.url);
/**
 * How long a shard may take to become ready, per round of shards the CPUs boot at once: shards start in
 * parallel and each spends ~0.5 s of CPU loading its code, so 64 shards on 2 CPUs all come up together
 * after ~16 s. A fixed deadline refused such a configuration; this one grows with shards per CPU.
 */
const READY_TIMEOUT_MS = 15_000;

/** The start-up deadline of one shard when `shards` boot at once on `cpus` CPUs. */
export function readyDeadlineMs(shards: number, cpus: number): number {
  return READY_TIMEOUT_MS * Math.max(1, Math.ceil(shards / Math.max(1, cpus)));
}
const RESPAWN_WINDOW_MS = 60_000;
const MAX_RESPAWNS_PER_WINDOW = 5;
/**
 * Young generation of each shard's V8 heap, in MB (V8 splits it into two semi-spaces and a large-object
 * space: 6 MB is 2 MB semi-spaces). V8's default lets the young generation grow to 48 MB per thread under
 * a steady allocation rate, in steps, minutes apart, and never gives it back: on the memory soak that
 * was most of the resident growth over time. What a shard allocates per request is short-lived and small,
 * so the smaller nursery only means more frequent, equally cheap scavenges (A/B: no CPU per byte change).
 */
export const SHARD_YOUNG_GENERATION_MB = 6;

/** The options every shard worker is created with. */
export function shardWorkerOptions(init: ShardInit): WorkerOptions {
  return {
    workerData: init,
    name: `shard-${init.shardId}`,
    resourceLimits: { maxYoungGenerationSizeMb: SHARD_YOUNG_GENERATION_MB },
  };
}

interface Slot {
  worker: Worker | null;
  ready: boolean;
  exits: number[];
}

export interface SupervisorEvents {
  message: [shardId: number, msg: ShardToMain];
  /** A shard (re)became ready: it listens and already holds every stream (see the header comment). */
  up: [shardId: number, respawned: boolean];
  /** A shard died; its owned streams need a new owner. */
  down: [shardId: number];
}

export class ShardSupervisor extends EventEmitter<SupervisorEvents> {
  readonly #config: GatewayConfig;
  readonly #log: Logger;
  readonly #slots: Slot[];
  /** Random per run: shards put it in what must differ across restarts (segment ETags). */
  readonly #bootId = randomBytes(6).toString('base64url');
  #stopping = false;
  #port = 0;
  #snapshot: () => readonly StreamAttachment[] = () => [];

  /** Player tokens every shard gets at spawn (the same shared counts for all, respawns included). */
  tokens: TokenTable | null = null;
  /** The admin API key every shard gets at spawn: a reloaded `--api-key-file` replaces it. */
  apiKey: string | undefined;

  constructor(config: GatewayConfig, log: Logger) {
    super();
    this.#config = config;
    this.apiKey = config.apiKey;
    this.#log = log;
    this.#slots = Array.from({ length: config.shards }, () => ({ worker: null, ready: false, exits: [] }));
  }

  /** The port the shards listen on (picked by main when `--port 0`). */
  get port(): number {
    return this.#port;
  }

  get size(): number {
    return this.#slots.length;
  }

  get readyCount(): number {
    return this.#slots.filter((s) => s.ready).length;
  }

  isReady(shardId: number): boolean {
    return this.#slots[shardId]?.ready === true;
  }

  /**
   * Starts every shard and resolves once all are ready; rejects (one sentence) if one fails to boot.
   * `snapshot` returns the stream directory; every shard spawned from now on (respawns too) gets it first.
   */
  async start(snapshot: () => readonly StreamAttachment[]): Promise<void> {
    this.#snapshot = snapshot;
    // uSockets sets SO_REUSEPORT only for a non-zero port, so with --port 0 main picks a free port first
    // and every shard binds that one. A given port is tried by main first, without SO_REUSEPORT: the
    // shards' own bind would succeed beside another process that listens with it (a second gateway on
    // the same port), and the kernel would then split the connections between the two.
    this.#port = await probePort(this.#config.host, this.#config.port);
    await Promise.all(this.#slots.map((_, i) => this.#spawn(i, false)));
  }

  /**
   * Posts to a shard that is spawned, ready or not: a shard still starting reads its messages, in order,
   * before it listens. False when the shard has no worker (dead, awaiting respawn).
   */
  send(shardId: number, msg: MainToShard): boolean {
    const slot = this.#slots[shardId];
    if (!slot?.worker) return false;
    slot.worker.postMessage(msg);
    return true;
  }

  broadcast(msg: MainToShard): void {
    for (let i = 0; i < this.#slots.length; i++) this.send(i, msg);
  }

  /** Asks every shard to shut down and waits for all to exit by themselves (deadline in ms). */
  async stop(deadlineMs: number): Promise<boolean> {
    this.#stopping = true;
    const exits = this.#slots.map(
      (slot) =>
        new Promise<void>((resolve) => {
          if (!slot.worker) return resolve();
          slot.worker.once('exit', () => resolve());
          slot.worker.postMessage({ type: 'shutdown' } satisfies MainToShard);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const ok = await Promise.race([Promise.all(exits).then(() => true), timedOut]);
    clearTimeout(timer);
    return ok;
  }

  /**
   * Before the process exits at once (a second signal): every shard closes its sockets now, without engine
   * calls, and exits; one that has not within `deadlineMs` is terminated. Exiting the process while a
   * shard's uWS app is open aborts it (see shard/main.ts).
   */
  async abort(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    const workers = this.#slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
    const exits = workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          worker.postMessage({ type: 'abort' } satisfies MainToShard);
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([Promise.all(exits), timedOut]);
    clearTimeout(timer);
    await Promise.all(workers.map((w) => w.terminate()));
  }

  #spawn(shardId: number, respawn: boolean): Promise<void> {
    const slot = this.#slots[shardId]!;
    const config = {
      ...this.#config,
      port: this.#port,
      ...(this.apiKey === undefined ? {} : { apiKey: this.apiKey }),
    };
    const init: ShardInit = {
      shardId,
      bootId: this.#bootId,
      config,
      ...(this.tokens ? { tokens: this.tokens } : {}),
    };
    const worker = new Worker(SHARD_ENTRY, shardWorkerOptions(init));
    slot.worker = worker;
    slot.ready = false;
    // Same synchronous turn as the spawn: nothing main does can fall between the snapshot and the worker
    // being reachable by send()/broadcast().
    worker.postMessage({ type: 'start', streams: this.#snapshot() } satisfies MainToShard);
    return new Promise<void>((resolve, reject) => {
      let booted = false;
      /** The shard's own sentence when it could not listen; its exit follows. */
      let listenError: string | null = null;
      // A respawn boots alone; at start-up every shard boots at once.
      const deadlineMs = readyDeadlineMs(respawn ? 1 : this.#slots.length, availableParallelism());
      const timer = setTimeout(() => {
        if (!booted)
          reject(new Error(`Shard ${shardId} did not become ready within ${deadlineMs / 1000} s.`));
      }, deadlineMs);
      worker.on('message', (msg: ShardToMain) => {
        if (msg.type === 'ready') {
          booted = true;
          clearTimeout(timer);
          slot.ready = true;
          this.#log.info({ shard: shardId, port: msg.port, respawn }, 'shard ready');
          resolve();
          this.emit('up', shardId, respawn);
          return;
        }
        if (msg.type === 'listenFailed') {
          listenError = msg.message;
          return;
        }
        this.emit('message', shardId, msg);
      });
      worker.on('error', (err) => {
        // An uncaught error the shard could not handle itself; 'exit' follows.
        this.#log.error({ shard: shardId, err }, 'shard error');
        if (!booted) {
          clearTimeout(timer);
          reject(new Error(`Shard ${shardId} failed during start-up: ${err.message}`));
        }
      });
      worker.on('exit', (code) => {
        const wasReady = slot.ready;
        slot.ready = false;
        slot.worker = null;
        clearTimeout(timer);
        if (!booted) {
          reject(new Error(listenError ?? `Shard ${shardId} exited during start-up (code ${code}).`));
          return;
        }
        if (this.#stopping) return;
        this.#log.error({ shard: shardId, code }, 'shard exited unexpectedly');
        if (wasReady) this.emit('down', shardId);
        this.#maybeRespawn(shardId);
      });
    });
  }

  #maybeRespawn(shardId: number): void {
    const slot = this.#slots[shardId]!;
    const now = Date.now();
    slot.exits = slot.exits.filter((t) => now - t < RESPAWN_WINDOW_MS);
    slot.exits.push(now);
    if (slot.exits.length > MAX_RESPAWNS_PER_WINDOW) {
      this.#log.fatal(
        { shard: shardId, exits: slot.exits.length },
        'shard keeps crashing; not respawning it (the other shards keep serving)',
      );
      return;
    }
    const delay = Math.min(5000, 250 * 2 ** (slot.exits.length - 1));
    setTimeout(() => {
      if (this.#stopping) return;
      this.#spawn(shardId, true).catch((err: Error) =>
        this.#log.error({ shard: shardId, err }, 'shard respawn failed'),
      );
    }, delay).unref();
  }
}

/**
 * Binds `port` on `host` (0: any free port) without SO_REUSEPORT and lets it go again: the port, free
 * right now, or one sentence why not.
 */
export function probePort(host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `Port ${port} on ${host} is already in use.`
            : `Cannot listen on ${host}${port === 0 ? '' : ` port ${port}`} (${err.code ?? err.message}).`,
        ),
      ),
    );
    srv.listen(port, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
