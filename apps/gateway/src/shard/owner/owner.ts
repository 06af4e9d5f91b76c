/**
 * One owned stream: the engine session, the upstream connection loop, reconnects with backoff, failover
 * to another engine through main, and the engine `stop` when the stream ends. Clients never see any of it
 * except as a pause (null packets) and a generation change in the ring.
 *
 *   start session ─► open playback ─► pump chunks into Ingest ─► (EOF | error | stall)
 *        ▲                                                           │
 *        │      backoff, same engine (reopen playback, then new session)
 *        └──── after `failoverAfter` failures or `failoverSeconds` without data: ask main for an engine
 */
import { type EngineClient, type EngineSession, isEngineError, toErrorData } from '@shardcast/engine-client';
import type { Recorder } from '@shardcast/metrics';
import { RingControl, RingWriter } from '@shardcast/ring';
import type { GatewayConfig } from '../../config/types.js';
import { errorData } from '../../errors.js';
import { hlsTiming } from '../../hls-timing.js';
import type { Logger } from '../../log.js';
import type { EngineRef, MainToShard, OwnerStats } from '../../protocol.js';
import type { ControlChannel } from '../control.js';
import { Ingest } from './ingest.js';
import { pumpTs, UpstreamStall } from './ts-upstream.js';

type OwnMessage = Extract<MainToShard, { type: 'own' }>;

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
const STOP_TIMEOUT_MS = 2000;
const STAT_INTERVAL_MS = 5000;

export interface EngineClients {
  get(url: string): EngineClient;
}

export class OwnedStream {
  readonly streamId: number;
  readonly #msg: OwnMessage;
  readonly #config: GatewayConfig;
  readonly #log: Logger;
  readonly #control: ControlChannel;
  readonly #recorder: Recorder;
  readonly #clients: EngineClients;
  readonly #writer: RingWriter;
  readonly #ingest: Ingest;
  readonly #abort = new AbortController();
  #engine: EngineRef;
  #session: EngineSession | null = null;
  #engineWaiter: ((e: EngineRef | null) => void) | null = null;
  /** Aborts the current upstream attempt only (not the whole stream). */
  #attempt = new AbortController();
  #engineLost = false;
  #reconnects = 0;
  #failovers = 0;
  #readySent = false;
  #done: Promise<void>;
  #statTimer: NodeJS.Timeout | null = null;
  #engineStat: Record<string, unknown> | null = null;

  constructor(
    msg: OwnMessage,
    config: GatewayConfig,
    log: Logger,
    control: ControlChannel,
    recorder: Recorder,
    clients: EngineClients,
  ) {
    this.streamId = msg.streamId;
    this.#msg = msg;
    this.#config = config;
    this.#log = log.child({
      stream: msg.key.kind === 'id' ? msg.key.hex : `ih-${msg.key.hex}`,
      streamId: msg.streamId,
    });
    this.#control = control;
    this.#recorder = recorder;
    this.#clients = clients;
    this.#engine = msg.engine;
    this.#writer = new RingWriter(msg.ring);
    this.#ingest = new Ingest(this.#writer, new RingControl(msg.ring).generation, hlsTiming(config), msg.hls);
    this.#done = this.#run().catch((err: unknown) => {
      this.#log.error({ err }, 'owner loop failed');
      this.#control.post({
        type: 'ownerFailed',
        streamId: this.streamId,
        error: errorData('SC_ERR_INTERNAL'),
      });
    });
  }

  /** Main's answer to `needEngine`. */
  engine(engine: EngineRef | null): void {
    const w = this.#engineWaiter;
    this.#engineWaiter = null;
    w?.(engine);
  }

  /** Main says the engine is gone: drop the current attempt and fail over at once. */
  engineLost(): void {
    this.#engineLost = true;
    this.#attempt.abort();
  }

  /** Stops ingest and the engine session (best effort, bounded). */
  async stop(reason: string): Promise<void> {
    if (!this.#abort.signal.aborted) {
      this.#log.debug({ reason }, 'owner stopping');
      this.#abort.abort();
    }
    this.engine(null);
    if (this.#statTimer) clearInterval(this.#statTimer);
    await this.#done;
    await this.#stopSession();
  }

  /** Synchronous abort (crash path): no engine call. */
  abort(): void {
    this.#abort.abort();
    this.engine(null);
    if (this.#statTimer) clearInterval(this.#statTimer);
  }

  stats(): OwnerStats {
    const s = this.#ingest.stats;
    return {
      streamId: this.streamId,
      bytesIn: s.bytesIn,
      reconnects: this.#reconnects,
      failovers: this.#failovers,
      segments: s.segments,
      discontinuities: s.discontinuities,
      syncLosses: s.syncLosses,
      upstream: 'ts',
      engine: this.#engine,
      session: this.#session
        ? {
            playbackSessionId: this.#session.playbackSessionId,
            statUrl: this.#session.statUrl,
            commandUrl: this.#session.commandUrl,
            isLive: this.#session.isLive,
          }
        : null,
      engineStat: this.#engineStat,
      media: null,
    };
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    let failures = 0;
    let lastDataMs = Date.now();
    let reopenSameSession = false;
    this.#statTimer = setInterval(() => void this.#pollStat(), STAT_INTERVAL_MS);
    this.#statTimer.unref();
    while (!signal.aborted) {
      const client = this.#clients.get(this.#engine.url);
      this.#attempt = new AbortController();
      const attempt = AbortSignal.any([signal, this.#attempt.signal]);
      try {
        if (!this.#session || !reopenSameSession) {
          await this.#stopSession();
          const t0 = performance.now();
          try {
            this.#session = await client.startSession({
              key: { kind: this.#msg.key.kind, value: this.#msg.key.hex },
              format: 'ts',
              signal: attempt,
            });
            this.#recorder.recordMs('engine_session_start', performance.now() - t0, true);
          } catch (err) {
            this.#recorder.recordMs('engine_session_start', performance.now() - t0, false);
            throw err;
          }
          this.#control.post({
            type: 'ownerEvent',
            streamId: this.streamId,
            event: 'session',
            engine: this.#engine,
            detail: { ...this.#session },
          });
        }
        const got = await pumpTs({
          client,
          url: this.#session.playbackUrl,
          signal: attempt,
          stallMs: this.#config.stallSeconds * 1000,
          onChunk: (chunk, now) => {
            this.#ingest.push(chunk, now);
            lastDataMs = now;
            if (!this.#readySent && this.#ingest.playable) {
              this.#readySent = true;
              this.#control.post({ type: 'ownerReady', streamId: this.streamId });
            }
          },
          onFirstByte: () => {
            if (this.#reconnects > 0 || this.#failovers > 0) this.#ingest.newGeneration();
          },
          recorder: this.#recorder,
        });
        if (signal.aborted) break;
        // Clean EOF: the broadcast paused or the engine dropped us. Reconnect, counted.
        this.#log.info({ bytes: got, engine: this.#engine.url }, 'upstream ended');
        failures = got > 0 ? 1 : failures + 1;
        reopenSameSession = got > 0;
      } catch (err) {
        if (signal.aborted) break;
        failures++;
        const stall = err instanceof UpstreamStall;
        reopenSameSession = stall;
        this.#log.warn(
          { err: stall ? err.message : toErrorData(err), engine: this.#engine.url, failures },
          'upstream failed',
        );
        // An engine that refuses the content outright will not change its mind: fail over at once.
        if (isEngineError(err) && !err.retryable) failures = Math.max(failures, this.#config.failoverAfter);
      }
      if (this.#engineLost) {
        this.#engineLost = false;
        failures = Math.max(failures, this.#config.failoverAfter);
        // The session died with its engine: never send a stop to a container that is gone.
        this.#session = null;
      }
      this.#reconnects++;
      const silentMs = Date.now() - lastDataMs;
      if (failures >= this.#config.failoverAfter || silentMs >= this.#config.failoverSeconds * 1000) {
        const next = await this.#failover();
        if (!next) {
          if (!this.#readySent) {
            this.#control.post({
              type: 'ownerFailed',
              streamId: this.streamId,
              error: errorData('SC_ERR_UPSTREAM_FAILED'),
            });
            return;
          }
          // Live viewers keep their sockets (null packets) while we keep trying every engine.
        }
        failures = 0;
        lastDataMs = Date.now();
        reopenSameSession = false;
      }
      await sleep(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]!, signal);
    }
  }

  async #failover(): Promise<EngineRef | null> {
    const failed = this.#engine;
    await this.#stopSession();
    const next = await new Promise<EngineRef | null>((resolve) => {
      this.#engineWaiter = resolve;
      this.#control.post({
        type: 'needEngine',
        streamId: this.streamId,
        failed,
        reason: 'upstream failures',
      });
    });
    if (next) {
      if (next.id !== failed.id) {
        this.#failovers++;
        this.#control.post({
          type: 'ownerEvent',
          streamId: this.streamId,
          event: 'failover',
          engine: next,
          detail: { from: failed.url },
        });
      }
      this.#engine = next;
    }
    return next;
  }

  async #stopSession(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    this.#engineStat = null;
    if (!session) return;
    const client = this.#clients.get(session.engine);
    await client.stop(session.commandUrl, { timeoutMs: STOP_TIMEOUT_MS });
  }

  async #pollStat(): Promise<void> {
    const session = this.#session;
    if (!session) return;
    try {
      const stat = await this.#clients
        .get(session.engine)
        .stat(session.statUrl, { timeoutMs: STOP_TIMEOUT_MS });
      if (this.#session === session) this.#engineStat = { ...stat };
    } catch {
      // Stats are best effort; the pump notices a dead session on its own.
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
