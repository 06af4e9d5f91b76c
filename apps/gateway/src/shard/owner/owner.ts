/**
 * One owned stream: the engine session, the upstream connection loop, reconnects with backoff, failover
 * to another engine through main, and the engine `stop` when the stream ends. Clients never see any of it
 * except as a pause (null packets) and a generation change in the ring.
 *
 *   start session ─► upstream.run() (TS: one connection; HLS: poll + fetch segments) ─► Ingest
 *        ▲                                                                    │ (end | error | stall)
 *        │      backoff, same engine (reopen the same session after a stall or a clean end, else a new one)
 *        └──── after `failoverAfter` failures or `failoverSeconds` without media: ask main for an engine
 *
 * The session format per engine: --upstream ts | hls, or auto (TS, then HLS for an engine that offers only
 * HLS, see upstream-mode.ts). Both upstreams feed the same Ingest, so TS and HLS viewers never notice.
 */
import {
  type EngineClient,
  type EngineSession,
  isEngineError,
  type SessionFormat,
  toErrorData,
} from '@shardcast/engine-client';
import { requiredRingSeconds } from '@shardcast/hls';
import type { Recorder } from '@shardcast/metrics';
import { RingControl, RingWriter } from '@shardcast/ring';
import { isHlsUrl } from '../../channels/source.js';
import type { GatewayConfig } from '../../config/types.js';
import { type ErrorData, errorData } from '../../errors.js';
import { type HlsTiming, hlsTiming, windowOptions } from '../../hls-timing.js';
import type { Logger } from '../../log.js';
import type { EngineRef, EngineSessionRef, MainToShard, OwnerStats, SourceRef } from '../../protocol.js';
import { keyString } from '../../stream-key.js';
import type { ControlChannel } from '../control.js';
import { HlsUpstream } from './hls-upstream.js';
import { Ingest } from './ingest.js';
import { sleep } from './sleep.js';
import { TsUpstream } from './ts-upstream.js';
import { type Upstream, type UpstreamSink, UpstreamStall, UpstreamUnsupported } from './upstream.js';
import { UpstreamModes } from './upstream-mode.js';

type OwnMessage = Extract<MainToShard, { type: 'own' }>;

const BACKOFF_MS = [250, 500, 1000, 2000, 4000];
/** An engine `stop` call's deadline; also how long shutdown waits for the stops of abandoned starts. */
export const STOP_TIMEOUT_MS = 2000;
const STAT_INTERVAL_MS = 5000;
/** An upstream run that delivered data for this long resets the failure count. */
const HEALTHY_RUN_MS = 10_000;
/** How often a running upstream is checked against the failover deadline (at most; shorter for short limits). */
const FAILOVER_CHECK_MS = 1000;

export interface EngineClients {
  get(url: string): EngineClient;
  /** The client of a URL source (redirects, other hosts within the address guard); not an engine's. */
  source(url: string): EngineClient;
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
  readonly #ringControl: RingControl;
  readonly #timing: HlsTiming;
  readonly #ingest: Ingest;
  readonly #modes: UpstreamModes;
  /** Where every upstream delivers: the ingest, plus readiness and the silence clock. */
  readonly #sink: UpstreamSink;
  readonly #abort = new AbortController();
  #engine: EngineRef;
  /** A channel's current source (null for a plain id or infohash stream). */
  #source: SourceRef | null;
  /** The current source has delivered media since it was chosen. */
  #sourcePlaying = false;
  #session: EngineSession | null = null;
  /** The data path of the current session (reused when the same session is reopened). */
  #upstream: Upstream | null = null;
  /** Last media progress of the program (see Ingest.push), or the start of the current engine's turn. */
  #lastDataMs = 0;
  #lastError: unknown = null;
  #retentionWarned = false;
  #engineWaiter: ((e: EngineRef | null) => void) | null = null;
  /** Aborts the current upstream attempt only (not the whole stream). */
  #attempt = new AbortController();
  #engineLost = false;
  /** With #engineLost: the engine still runs (drained), so its session is stopped, not forgotten. */
  #engineRunning = false;
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
      stream: keyString(msg.key),
      streamId: msg.streamId,
    });
    this.#control = control;
    this.#recorder = recorder;
    this.#clients = clients;
    this.#engine = msg.engine;
    this.#source = msg.source ?? null;
    this.#writer = new RingWriter(msg.ring);
    this.#ringControl = new RingControl(msg.ring);
    this.#timing = hlsTiming(config);
    this.#ingest = new Ingest(this.#writer, this.#ringControl.generation, this.#timing, msg.hls);
    this.#modes = new UpstreamModes(config.upstream);
    this.#sink = {
      data: (chunk, now) => {
        // Only media progress is data for the failover clock: an engine sending garbage or padding on an
        // open connection is as dead as a silent one.
        const progress = this.#ingest.push(chunk, now);
        if (progress) {
          this.#lastDataMs = now;
          this.#sourcePlaying = true;
        }
        if (!this.#readySent && this.#ingest.playable) {
          this.#readySent = true;
          this.#control.post({ type: 'ownerReady', streamId: this.streamId });
        }
        return progress;
      },
      // Before the first byte there is no earlier timeline to break from (a ring taken over from a dead
      // owner shard has one, even though this ingest has not seen a byte yet).
      discontinuity: () => {
        if (this.#ingest.stats.bytesIn > 0 || this.#writer.commitCursor > 0) this.#ingest.newGeneration();
      },
      holdMs: (now) => this.#ingest.holdMs(now),
      playing: () => this.#readySent,
    };
    this.#done = this.#run().catch((err: unknown) => {
      this.#log.error({ err }, 'owner loop failed');
      this.#control.post({
        type: 'ownerFailed',
        streamId: this.streamId,
        error: errorData('SC_ERR_INTERNAL'),
      });
    });
  }

  /** Main's answer to `needEngine` (for a channel, with the source to move to). */
  engine(engine: EngineRef | null, source?: SourceRef): void {
    if (engine && source) {
      this.#source = source;
      this.#sourcePlaying = false;
    }
    const w = this.#engineWaiter;
    this.#engineWaiter = null;
    w?.(engine);
  }

  /**
   * Main says the engine is gone (or, `running`, drained: it still runs): drop the current attempt and
   * fail over at once.
   */
  engineLost(running: boolean): void {
    this.#engineLost = true;
    this.#engineRunning = running;
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
      upstream: this.#upstream?.kind ?? this.#modes.formatFor(this.#engine.id),
      engine: this.#engine,
      session: this.#session ? sessionRef(this.#session) : null,
      engineStat: this.#engineStat,
      ...(this.#source ? { source: { index: this.#source.index, playing: this.#sourcePlaying } } : {}),
    };
  }

  async #run(): Promise<void> {
    const stale = this.#msg.staleSession;
    // A crashed owner's session: nobody reads it any more (in the background: the stream does not wait).
    if (stale)
      void this.#clients.get(stale.engine.url).stop(stale.session.commandUrl, { timeoutMs: STOP_TIMEOUT_MS });
    // Its engine is gone (main said so as it moved the stream here): straight to failover, no attempt there.
    if (this.#msg.engineGone) this.#engineLost = true;
    const signal = this.#abort.signal;
    let failures = 0;
    let reopenSameSession = false;
    this.#lastDataMs = Date.now();
    this.#statTimer = setInterval(() => {
      void this.#pollStat();
      this.#checkRetention();
    }, STAT_INTERVAL_MS);
    this.#statTimer.unref();
    while (!signal.aborted) {
      const sourceUrl = this.#source?.source.kind === 'url' ? this.#source.source.url : null;
      const client =
        sourceUrl === null ? this.#clients.get(this.#engine.url) : this.#clients.source(sourceUrl);
      this.#attempt = new AbortController();
      const attempt = AbortSignal.any([signal, this.#attempt.signal]);
      const attemptMs = Date.now();
      // Main said the engine is gone (maybe during the backoff below): no attempt on it, straight to failover.
      if (!this.#engineLost) {
        try {
          const url = sourceUrl;
          if (url !== null) {
            // A URL source has no engine session: the stand-in engine is the URL's origin.
            if (!this.#upstream || !reopenSameSession) {
              await this.#stopSession();
              this.#upstream = this.#openUpstream(client, url, isHlsUrl(url) ? 'hls' : 'ts');
            }
          } else if (!this.#session || !this.#upstream || !reopenSameSession) {
            await this.#stopSession();
            // The start too ends at the failover deadline: an engine that never answers it (wedged, yet
            // still answering its health probes) held a new stream until the open deadline (504) while
            // another engine could have played it.
            this.#session = await this.#watched(() => this.#startSession(client, attempt));
            this.#upstream = this.#openUpstream(client, this.#session.playbackUrl, this.#session.format);
            this.#control.post({
              type: 'ownerSession',
              streamId: this.streamId,
              engine: this.#engine,
              session: sessionRef(this.#session),
            });
          }
          const upstream = this.#upstream;
          const got = await this.#watched(() => upstream.run(attempt));
          if (signal.aborted) break;
          // Clean end: the broadcast paused or the engine dropped us. Reconnect, counted.
          this.#log.info(
            { bytes: got, engine: this.#engine.url, upstream: this.#upstream.kind },
            'upstream ended',
          );
          failures = got > 0 ? 1 : failures + 1;
          reopenSameSession = got > 0;
        } catch (err) {
          if (signal.aborted) break;
          // A run that delivered media for a while ended a healthy stretch: count this failure afresh (a
          // flapping engine that drops us every few seconds still fails over).
          failures = this.#lastDataMs - attemptMs >= HEALTHY_RUN_MS ? 1 : failures + 1;
          const stall = err instanceof UpstreamStall;
          reopenSameSession = stall;
          this.#lastError = err;
          this.#log.warn(
            {
              err: stall || err instanceof UpstreamUnsupported ? (err as Error).message : toErrorData(err),
              engine: this.#engine.url,
              failures,
            },
            'upstream failed',
          );
          // An engine that refuses the content (or serves what we cannot ingest) will not change its mind.
          if ((isEngineError(err) || err instanceof UpstreamUnsupported) && !err.retryable) {
            failures = Math.max(failures, this.#config.failoverAfter);
          }
          // A stream that has not played yet loses nothing by moving: an engine that cannot be connected to
          // (gone, restarting, not yet marked unhealthy by its probes) is left at once, not after
          // `failoverAfter` attempts, which added ~2 s to every channel start placed on it.
          if (!this.#readySent && isEngineError(err) && err.code === 'SC_ERR_ENGINE_CONNECT') {
            failures = Math.max(failures, this.#config.failoverAfter);
          }
        }
      }
      if (this.#engineLost) {
        this.#engineLost = false;
        failures = Math.max(failures, this.#config.failoverAfter);
        // The session died with its engine: never send a stop to a container that is gone. A drained
        // engine still runs and would keep the session: it is stopped, without holding up the move.
        const session = this.#session;
        this.#session = null;
        if (session && this.#engineRunning)
          void this.#clients.get(session.engine).stop(session.commandUrl, { timeoutMs: STOP_TIMEOUT_MS });
      }
      this.#reconnects++;
      const silentMs = Date.now() - this.#lastDataMs;
      if (failures >= this.#config.failoverAfter || silentMs >= this.#config.failoverSeconds * 1000) {
        const next = await this.#failover();
        if (!next) {
          if (!this.#readySent) {
            this.#control.post({ type: 'ownerFailed', streamId: this.streamId, error: this.#failure() });
            return;
          }
          // Live viewers keep their sockets (null packets) while we keep trying every engine.
        }
        failures = 0;
        this.#lastDataMs = Date.now();
        reopenSameSession = false;
      }
      // `attempt` also ends the backoff early when main reports the engine gone.
      await sleep(BACKOFF_MS[Math.min(failures, BACKOFF_MS.length - 1)]!, attempt);
    }
  }

  /**
   * Runs one step of the current attempt (the session start, or the upstream), cut short once the stream
   * has had no media for `failoverSeconds`: a start the engine never answers, or a connection that stays
   * open but carries nothing playable, would otherwise only end at its own deadline (30 s for a start) or
   * at the next stall, which can be later than the failover deadline. The loop then sees the silence and
   * fails over. A step cut this way fails with the {@link UpstreamStall} that says why.
   */
  async #watched<T>(step: () => Promise<T>): Promise<T> {
    const limitMs = this.#config.failoverSeconds * 1000;
    const attempt = this.#attempt;
    const timer = setInterval(
      () => {
        if (Date.now() - this.#lastDataMs < limitMs) return;
        attempt.abort(new UpstreamStall(`no upstream media for ${this.#config.failoverSeconds} s`));
      },
      Math.min(FAILOVER_CHECK_MS, limitMs / 4),
    );
    try {
      return await step();
    } catch (err) {
      const why: unknown = attempt.signal.reason;
      throw why instanceof UpstreamStall ? why : err;
    } finally {
      clearInterval(timer);
    }
  }

  /** Starts a session in this engine's format; in auto mode a "HLS only" answer to TS retries with HLS. */
  async #startSession(client: EngineClient, signal: AbortSignal): Promise<EngineSession> {
    const format = this.#modes.formatFor(this.#engine.id);
    try {
      return await this.#timedStart(client, format, signal);
    } catch (err) {
      if (format !== 'ts' || signal.aborted || !this.#modes.fallBack(this.#engine.id, err)) throw err;
      this.#log.info({ engine: this.#engine.url }, 'engine offers only HLS; ingesting its playlist');
      return this.#timedStart(client, 'hls', signal);
    }
  }

  async #timedStart(
    client: EngineClient,
    format: SessionFormat,
    signal: AbortSignal,
  ): Promise<EngineSession> {
    const t0 = performance.now();
    try {
      const session = await client.startSession({
        key: this.#engineKey(),
        format,
        signal,
      });
      this.#recorder.recordMs('engine_session_start', performance.now() - t0, true);
      return session;
    } catch (err) {
      this.#recorder.recordMs('engine_session_start', performance.now() - t0, false);
      throw err;
    }
  }

  /** What the engine is asked to play: the stream's own key, or a channel's current id / infohash source. */
  #engineKey(): { kind: 'id' | 'infohash'; value: string } {
    const s = this.#source?.source;
    if (s && s.kind !== 'url') return { kind: s.kind, value: s.hex };
    const k = this.#msg.key;
    if (k.kind === 'channel')
      throw new UpstreamUnsupported('a channel source must name a content id or infohash');
    return { kind: k.kind, value: k.hex };
  }

  #openUpstream(client: EngineClient, url: string, format: SessionFormat): Upstream {
    const stallMs = this.#config.stallSeconds * 1000;
    if (format === 'hls') {
      return new HlsUpstream({
        client,
        playlistUrl: url,
        stallMs,
        sink: this.#sink,
        recorder: this.#recorder,
        log: this.#log,
      });
    }
    return new TsUpstream({
      client,
      url,
      stallMs,
      sink: this.#sink,
      recorder: this.#recorder,
    });
  }

  /** Why the stream could not start: a refused upstream format is worth telling the player. */
  #failure(): ErrorData {
    const err = this.#lastError;
    if (err instanceof UpstreamUnsupported) {
      return errorData('SC_ERR_UPSTREAM_FAILED', `No engine could start this stream: ${err.message}.`);
    }
    return errorData('SC_ERR_UPSTREAM_FAILED');
  }

  /**
   * Once per stream: the ring at the measured bitrate holds less than HLS retention needs (RFC 8216
   * §6.2.2); playlists then list fewer segments so the listed ones stay downloadable.
   */
  #checkRetention(): void {
    if (this.#retentionWarned) return;
    const bps = this.#ringControl.bitrate;
    if (bps <= 0) return;
    const needS = requiredRingSeconds(windowOptions(this.#timing));
    const ringS = (this.#writer.capacityBytes * 8) / bps;
    if (ringS >= needS) return;
    this.#retentionWarned = true;
    this.#log.warn(
      {
        bitrateBps: bps,
        ringSeconds: Math.round(ringS),
        neededSeconds: needS,
        ringMbNeeded: Math.ceil((needS * bps) / 8 / 1024 / 1024),
      },
      'the ring is too small for full HLS retention at this bitrate; raise --ring-mb',
    );
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
      // Main chose `next` and published the failover itself; the owner only counts it.
      if (next.id !== failed.id) this.#failovers++;
      this.#engine = next;
      // A loss notice for the engine we just left must not fail the new one over.
      this.#engineLost = false;
    }
    return next;
  }

  async #stopSession(): Promise<void> {
    const session = this.#session;
    this.#session = null;
    this.#upstream = null;
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

/** What main is told of an engine session (not its playback URL, which stays with the owner). */
function sessionRef(s: EngineSession): EngineSessionRef {
  return {
    playbackSessionId: s.playbackSessionId,
    statUrl: s.statUrl,
    commandUrl: s.commandUrl,
    isLive: s.isLive,
  };
}
