/**
 * The stream directory: the single writer of "which stream exists, which shard owns it, which engine feeds
 * it". Opening dedupes concurrent requests (a thousand simultaneous first requests make one engine
 * session), picks an engine and an owner shard, hands every shard the ring, and waits for the owner's
 * `ownerReady` with a deadline. Closing happens only after the last lease has been gone for the grace
 * period, and only by a CAS from zero readers, so a client that joins during the grace period keeps it.
 */
import { EventEmitter } from 'node:events';
import type { EngineInfo, EngineRegistry } from '@shardcast/engines';
import type { RingHandles } from '@shardcast/ring';
import type { ChannelSource } from '../channels/source.js';
import type { GatewayConfig } from '../config/types.js';
import { type ErrorData, errorData } from '../errors.js';
import type { Logger } from '../log.js';
import type {
  EngineRef,
  EngineSessionRef,
  HlsStart,
  OwnerStats,
  ShardStreamStats,
  SourceRef,
  StreamAttachment,
} from '../protocol.js';
import { keyString, type StreamKey } from '../stream-key.js';
import { ChannelSources } from './channel-sources.js';
import { HlsSequenceMemory } from './hls-memory.js';
import { ringControl, type StreamRingControl } from './ring-control.js';

const REAP_INTERVAL_MS = 200;
/**
 * A stream that has just become live is kept this long whatever the grace period: the viewers it was
 * opened for lease its ring only once their shards get the `opened` reply (with --grace-seconds 0 it was
 * closed in between, and their shards opened it again).
 */
export const JOIN_ALLOWANCE_MS = 2000;

export type StreamState = 'opening' | 'live' | 'closing';

/** A channel's stream: the sources it was opened with and the one playing. */
export interface ChannelPlay {
  readonly id: string;
  readonly sources: readonly ChannelSource[];
  index: number;
  /** Sources tried since the last one that played (a round ends when every source failed). */
  readonly tried: Set<number>;
  /** Moves to another source. */
  switches: number;
}

export interface Waiter {
  readonly shardId: number;
  readonly reqId: number;
}

export interface StreamEntry {
  readonly id: number;
  readonly key: StreamKey;
  readonly token: string;
  state: StreamState;
  readonly ring: RingHandles;
  readonly control: StreamRingControl;
  owner: number;
  engine: EngineInfo;
  readonly triedEngines: Set<string>;
  waiters: Waiter[];
  readonly openedAtMs: number;
  readyAtMs: number | null;
  openTimer: NodeJS.Timeout | null;
  zeroSinceMs: number | null;
  attachSnapshot: number;
  failovers: number;
  ownerStats: OwnerStats | null;
  /** The owner's latest engine session (a crashed owner's successor stops it). */
  session: { engine: EngineRef; session: EngineSessionRef } | null;
  readonly shardStats: Map<number, ShardStreamStats>;
  /** Set for a catalog channel's stream. */
  readonly channel: ChannelPlay | null;
}

/** What the directory needs from the shard supervisor. */
export interface ShardPort {
  readonly size: number;
  isReady(shardId: number): boolean;
  send(shardId: number, msg: import('../protocol.js').MainToShard): boolean;
  broadcast(msg: import('../protocol.js').MainToShard): void;
}

/**
 * Where engines come from when none has room (provisioning): an open then waits for one being started
 * instead of failing at once.
 */
export interface EngineSupply {
  /**
   * null: an engine with room for this open is being started or may be (wait for it); else why none can
   * come (503 now). `queued`: opens already waiting ahead of this one.
   */
  noRoomReason(queued: number): string | null;
  /** Demand changed: re-plan soon. */
  prompt(): void;
}

/** Opens of one stream waiting for an engine with room. */
interface PendingOpen {
  readonly key: StreamKey;
  readonly waiters: Waiter[];
  readonly timer: NodeJS.Timeout;
  /** The open deadline of its first request: opening on an engine later does not restart it. */
  readonly deadlineMs: number;
}

export interface DirectoryEvents {
  opened: [entry: StreamEntry];
  ready: [entry: StreamEntry, openMs: number];
  failed: [entry: StreamEntry, error: ErrorData];
  closed: [entry: StreamEntry, reason: string];
  failover: [entry: StreamEntry, from: EngineInfo, to: EngineInfo];
}

export class StreamDirectory extends EventEmitter<DirectoryEvents> {
  readonly #config: GatewayConfig;
  readonly #log: Logger;
  readonly #shards: ShardPort;
  readonly #engines: EngineRegistry;
  readonly channels: ChannelSources;
  readonly #byToken = new Map<string, StreamEntry>();
  readonly #byId = new Map<number, StreamEntry>();
  /** Opens that arrived while the same key was closing; replayed once the close completes. */
  readonly #deferred = new Map<string, Array<Waiter & { key: StreamKey }>>();
  readonly #hlsMemory = new HlsSequenceMemory();
  /** Opens waiting for a provisioned engine, by stream token, oldest first. */
  readonly #pending = new Map<string, PendingOpen>();
  /**
   * Live streams whose engine is gone (no longer in the registry) and that no engine had room for: their
   * owners wait for one instead of reconnecting to the gone engine's address, which a new container may
   * take over (provisioning reuses ports) while the stream stays counted on the gone engine.
   */
  readonly #homeless = new Set<number>();
  #supply: EngineSupply | null = null;
  readonly #reaper: NodeJS.Timeout;
  #nextId = 1;
  #accepting = true;

  constructor(
    config: GatewayConfig,
    log: Logger,
    shards: ShardPort,
    engines: EngineRegistry,
    channels: ChannelSources = new ChannelSources(config.sourcePenaltySeconds),
  ) {
    super();
    this.channels = channels;
    this.#config = config;
    this.#log = log;
    this.#shards = shards;
    this.#engines = engines;
    this.#reaper = setInterval(() => this.#reap(Date.now()), REAP_INTERVAL_MS);
    this.#reaper.unref();
  }

  get size(): number {
    return this.#byId.size;
  }

  /** Lets opens wait for engines being started (provisioning). */
  setSupply(supply: EngineSupply): void {
    this.#supply = supply;
  }

  /**
   * Streams waiting for an engine with room: opens, and live streams whose engine is gone (provisioning
   * sizes the fleet for both at once).
   */
  get pendingOpens(): number {
    return this.#pending.size + this.#homeless.size;
  }

  entries(): IterableIterator<StreamEntry> {
    return this.#byId.values();
  }

  byToken(token: string): StreamEntry | undefined {
    return this.#byToken.get(token);
  }

  byId(id: number): StreamEntry | undefined {
    return this.#byId.get(id);
  }

  /** A shard asks for a stream on behalf of its clients. Replies with `opened` (maybe later). */
  open(shardId: number, reqId: number, key: StreamKey): void {
    const waiter = { shardId, reqId };
    if (!this.#accepting) return this.#replyError(waiter, errorData('SC_ERR_SHUTTING_DOWN'));
    const token = keyString(key);
    const entry = this.#byToken.get(token);
    if (entry) {
      if (entry.state === 'live') return this.#replyOk(waiter, entry);
      if (entry.state === 'opening') {
        entry.waiters.push(waiter);
        return;
      }
      // Closing: the ring is already CLOSED; open anew once the close has gone through.
      const list = this.#deferred.get(token) ?? [];
      list.push({ ...waiter, key });
      this.#deferred.set(token, list);
      return;
    }
    const pending = this.#pending.get(token);
    if (pending) {
      pending.waiters.push(waiter);
      return;
    }
    if (key.kind === 'channel') return this.#openChannel(key, token, [waiter]);
    if (this.#byId.size + this.#pending.size >= this.#config.maxStreams && !this.#reclaimIdle(false))
      return this.#replyError(waiter, errorData('SC_ERR_STREAM_LIMIT'));
    // Waiting opens go first: a new one queues behind them unless they all found room just now.
    if (this.#pending.size > 0) this.retryPending();
    const engine = this.#pending.size === 0 ? this.#engines.select() : null;
    if (engine) return this.#create(key, token, engine, [waiter]);
    if (!this.#supply) return this.#replyError(waiter, errorData('SC_ERR_NO_ENGINE'));
    const why = this.#supply.noRoomReason(this.#pending.size);
    if (why !== null) return this.#replyError(waiter, noEngine(why));
    this.#waitForEngine(key, token, waiter);
  }

  /** No engine has room but one is being started: the open waits for it, within its open deadline. */
  #waitForEngine(
    key: StreamKey,
    token: string,
    waiter: Waiter,
    deadlineMs = Date.now() + this.#config.openTimeoutSeconds * 1000,
  ): void {
    const timer = setTimeout(
      () => {
        const p = this.#pending.get(token);
        if (!p) return;
        this.#pending.delete(token);
        this.#log.warn({ stream: token }, 'no engine became ready within the open deadline');
        const error = errorData('SC_ERR_NO_ENGINE', 'No engine became ready within the open deadline.');
        for (const w of p.waiters) this.#replyError(w, error);
      },
      Math.max(0, deadlineMs - Date.now()),
    );
    timer.unref();
    this.#pending.set(token, { key, waiters: [waiter], timer, deadlineMs });
    this.#log.info({ stream: token }, 'stream open waiting for an engine');
    this.#supply?.prompt();
  }

  /** Gives waiting opens the engines that now have room; fails them at once when none can come. */
  retryPending(): void {
    if (this.#homeless.size > 0) this.#rehome();
    let queued = 0;
    for (const [token, p] of this.#pending) {
      const engine = this.#engines.select();
      if (!engine) {
        const why = this.#supply ? this.#supply.noRoomReason(queued) : 'no engine is being started';
        if (why === null) {
          queued++;
          continue;
        }
        this.#pending.delete(token);
        clearTimeout(p.timer);
        for (const w of p.waiters) this.#replyError(w, noEngine(why));
        continue;
      }
      this.#pending.delete(token);
      clearTimeout(p.timer);
      if (p.key.kind === 'channel') this.#openChannel(p.key, token, p.waiters, p.deadlineMs);
      else this.#create(p.key, token, engine, p.waiters, null, p.deadlineMs);
    }
  }

  /**
   * A channel opens on its best source that has an engine (a URL source needs none). When no engine has
   * room but one is being started (provisioning), the channel waits for it like an /ace open does.
   */
  #openChannel(key: StreamKey, token: string, waiters: Waiter[], deadlineMs?: number): void {
    const fail = (error: ReturnType<typeof errorData>): void => {
      for (const w of waiters) this.#replyError(w, error);
    };
    const channel = this.channels.get(key.hex);
    if (!channel) return fail(errorData('SC_ERR_CHANNEL_NOT_FOUND'));
    // Opens waiting for an engine hold their place too (this one's own is gone before a retry).
    if (this.#byId.size + this.#pending.size >= this.#config.maxStreams && !this.#reclaimIdle(false))
      return fail(errorData('SC_ERR_STREAM_LIMIT'));
    // Each playing channel holds a tuner, as on the hardware the HDHomeRun routes emulate.
    let tuners = 0;
    for (const e of this.#byId.values()) if (e.channel) tuners++;
    if (tuners >= (this.#config.tunerCount ?? this.#config.maxStreams) && !this.#reclaimIdle(true))
      return fail(errorData('SC_ERR_TUNER_LIMIT'));
    const play: ChannelPlay = {
      id: channel.id,
      sources: channel.sources,
      index: 0,
      tried: new Set(),
      switches: 0,
    };
    const pick = this.#pickSource(play, null);
    if (!pick) {
      if (!this.#supply) return fail(errorData('SC_ERR_NO_ENGINE'));
      const why = this.#supply.noRoomReason(this.#pending.size);
      if (why !== null) return fail(noEngine(why));
      const [first, ...rest] = waiters;
      this.#waitForEngine(key, token, first!, deadlineMs);
      this.#pending.get(token)!.waiters.push(...rest);
      return;
    }
    play.index = pick.index;
    play.tried.add(pick.index);
    this.#create(key, token, pick.engine, waiters, play, deadlineMs);
  }

  /** The next source to try (not yet tried this round) and its engine; null when none is left. */
  #pickSource(play: ChannelPlay, avoidEngine: string | null): { index: number; engine: EngineInfo } | null {
    for (const index of this.channels.order(play.id, play.sources, play.tried, Date.now())) {
      const source = play.sources[index]!;
      if (source.kind === 'url') return { index, engine: urlEngine(source.url) };
      const avoid = new Set(avoidEngine ? [avoidEngine] : []);
      const engine = this.#engines.select(avoid) ?? this.#engines.select();
      if (engine) return { index, engine };
    }
    return null;
  }

  /**
   * The channel's current source failed: tell main's source table (unless `record` is false: a stream
   * waiting for an engine asking again), and move on to the next source.
   */
  #nextSource(entry: StreamEntry, play: ChannelPlay, failed: EngineRef, reason: string, record = true): void {
    if (record) this.channels.failed(play.id, play.sources[play.index]!, reason, Date.now());
    play.tried.add(play.index);
    let pick = this.#pickSource(play, failed.id);
    if (!pick && entry.state === 'live') {
      // Viewers are waiting (null packets): start another round, the failures may pass.
      play.tried.clear();
      play.tried.add(play.index);
      pick = this.#pickSource(play, failed.id);
      if (!pick) {
        play.tried.clear();
        pick = this.#pickSource(play, failed.id);
      }
    }
    if (!pick) {
      if (this.#waitsForEngine(entry, failed)) return;
      // Every source failed before the channel ever played: the player gets its answer now.
      this.#shards.send(entry.owner, { type: 'engine', streamId: entry.id, engine: null });
      return;
    }
    const from = entry.engine;
    const fromIndex = play.index;
    this.#engines.release(from.id);
    this.#engines.assign(pick.engine.id);
    entry.engine = pick.engine;
    play.index = pick.index;
    play.tried.add(pick.index);
    play.switches++;
    entry.failovers++;
    this.#log.warn(
      { stream: entry.token, from: fromIndex, to: pick.index, engine: pick.engine.url, reason },
      'channel moving to its next source',
    );
    this.emit('failover', entry, from, pick.engine);
    this.#shards.send(entry.owner, {
      type: 'engine',
      streamId: entry.id,
      engine: ref(pick.engine),
      source: sourceRef(play),
    });
  }

  #create(
    key: StreamKey,
    token: string,
    engine: EngineInfo,
    waiters: Waiter[],
    channel: ChannelPlay | null = null,
    /** An open that waited for an engine keeps the deadline of its request. */
    deadlineMs: number | null = null,
  ): void {
    const id = this.#nextId++;
    const { handles, control } = ringControl(this.#config.ringMb);
    const entry: StreamEntry = {
      id,
      key,
      token,
      state: 'opening',
      ring: handles,
      control,
      owner: this.#pickOwner(),
      engine,
      triedEngines: new Set([engine.id]),
      waiters,
      openedAtMs: Date.now(),
      readyAtMs: null,
      openTimer: null,
      zeroSinceMs: null,
      attachSnapshot: 0,
      failovers: 0,
      ownerStats: null,
      session: null,
      shardStats: new Map(),
      channel,
    };
    this.#byToken.set(token, entry);
    this.#byId.set(id, entry);
    this.#engines.assign(engine.id);
    const openMs =
      deadlineMs === null ? this.#config.openTimeoutSeconds * 1000 : Math.max(0, deadlineMs - Date.now());
    entry.openTimer = setTimeout(() => this.#openTimedOut(entry), openMs);
    entry.openTimer.unref();
    this.#log.info({ stream: token, streamId: id, engine: engine.url, owner: entry.owner }, 'stream opening');
    this.#shards.broadcast({ type: 'attach', streamId: id, key, ring: handles });
    this.#shards.send(entry.owner, {
      type: 'own',
      streamId: id,
      key,
      ring: handles,
      engine: ref(engine),
      hls: this.#hlsStart(token),
      ...(channel ? { source: sourceRef(channel) } : {}),
    });
    this.emit('opened', entry);
  }

  /** The owner says the ring holds a random-access point. */
  ownerReady(streamId: number): void {
    const entry = this.#byId.get(streamId);
    if (!entry || entry.state !== 'opening') return;
    entry.state = 'live';
    entry.readyAtMs = Date.now();
    if (entry.openTimer) clearTimeout(entry.openTimer);
    entry.openTimer = null;
    // The grace clock starts now: clients lease the ring right after this reply.
    entry.zeroSinceMs = entry.readyAtMs;
    entry.attachSnapshot = entry.control.attachCount();
    const waiters = entry.waiters;
    entry.waiters = [];
    if (entry.channel) this.#sourcePlays(entry.channel);
    for (const w of waiters) this.#replyOk(w, entry);
    this.#log.info({ stream: entry.token, openMs: entry.readyAtMs - entry.openedAtMs }, 'stream live');
    this.emit('ready', entry, entry.readyAtMs - entry.openedAtMs);
  }

  /** The owner gave up on every engine (or could not start at all). */
  ownerFailed(streamId: number, error: ErrorData): void {
    const entry = this.#byId.get(streamId);
    if (!entry || entry.state === 'closing') return;
    this.#log.warn({ stream: entry.token, error }, 'stream failed');
    this.emit('failed', entry, error);
    this.#close(entry, 'error', error);
  }

  /** The owner lost its engine for this stream: hand it another one, or none. */
  needEngine(streamId: number, failed: EngineRef, reason: string): void {
    const entry = this.#byId.get(streamId);
    if (!entry || entry.state === 'closing') return;
    if (entry.channel) return this.#nextSource(entry, entry.channel, failed, reason);
    entry.triedEngines.add(failed.id);
    let next = this.#engines.select(entry.triedEngines);
    if (!next && entry.state === 'opening') {
      // Every engine failed this stream before it ever played: the player gets its answer now, not at the
      // open deadline.
      this.#shards.send(entry.owner, { type: 'engine', streamId, engine: null });
      return;
    }
    if (!next) {
      // A live stream's viewers are waiting (null packets): start another round, the failures may pass.
      entry.triedEngines.clear();
      entry.triedEngines.add(failed.id);
      next = this.#engines.select(entry.triedEngines) ?? this.#engines.select();
    }
    if (!next) {
      if (this.#waitsForEngine(entry, failed)) return;
      this.#shards.send(entry.owner, { type: 'engine', streamId, engine: null });
      return;
    }
    const from = entry.engine;
    this.#engines.release(from.id);
    this.#engines.assign(next.id);
    entry.engine = next;
    entry.triedEngines.add(next.id);
    if (next.id !== from.id) {
      entry.failovers++;
      this.#log.warn({ stream: entry.token, from: from.url, to: next.url, reason }, 'stream failing over');
      this.emit('failover', entry, from, next);
    }
    this.#shards.send(entry.owner, { type: 'engine', streamId, engine: ref(next) });
  }

  /**
   * A live stream whose engine left the registry gets no answer while no engine has room (see #homeless):
   * true when it now waits for one.
   */
  #waitsForEngine(entry: StreamEntry, failed: EngineRef): boolean {
    if (entry.state !== 'live' || this.#engines.get(failed.id) !== undefined) return false;
    if (!this.#homeless.has(entry.id))
      this.#log.warn(
        { stream: entry.token, engine: failed.url },
        'engine gone and none has room; the stream waits',
      );
    this.#homeless.add(entry.id);
    return true;
  }

  /** Streams waiting for an engine ask again (an engine was added, turned healthy or has room now). */
  #rehome(): void {
    for (const id of [...this.#homeless]) {
      const entry = this.#byId.get(id);
      if (!entry || entry.state === 'closing') {
        this.#homeless.delete(id);
        continue;
      }
      const gone = entry.engine;
      // Still without room: it stays in the set (quietly); else it got its engine. A channel's source
      // failed once, when its engine went: asking again is no new failure.
      if (entry.channel) this.#nextSource(entry, entry.channel, ref(gone), 'its engine is gone', false);
      else this.needEngine(id, ref(gone), 'its engine is gone');
      if (entry.engine !== gone) this.#homeless.delete(id);
    }
  }

  /**
   * An engine left the registry (its container died): its streams fail over at once. `running`: it is
   * drained but still runs, so its streams move and their sessions on it are stopped.
   */
  engineGone(engineId: string, running = false): void {
    // A drained engine still serves its streams: they move only once another engine has room. A move with
    // nowhere to go would restart each on the same engine, a glitch for its viewers every time provisioning
    // asks again (every 5 s while its replacement starts).
    if (running && this.#engines.select(new Set([engineId])) === null) return;
    for (const entry of this.#byId.values()) {
      if (entry.engine.id !== engineId || entry.state === 'closing') continue;
      this.#log.warn(
        { stream: entry.token, engine: entry.engine.url },
        running ? 'engine draining; moving the stream' : 'engine gone; failing the stream over',
      );
      this.#shards.send(entry.owner, { type: 'engineLost', streamId: entry.id, running });
    }
  }

  /** Operator or shutdown: close a stream now, whatever its leases. */
  forceClose(streamId: number, reason: string): boolean {
    const entry = this.#byId.get(streamId);
    if (!entry) return false;
    entry.control.forceClose();
    this.#close(entry, reason, errorData('SC_ERR_STREAM_NOT_FOUND', 'The stream was closed by an operator.'));
    return true;
  }

  /**
   * A channel's sources changed, or it left the catalog (already in use): its stream closes now, and the
   * viewers still waiting for it to open are answered from the new catalog — opened on the new sources,
   * or `404 SC_ERR_CHANNEL_NOT_FOUND` — instead of an error (they got `404 SC_ERR_STREAM_NOT_FOUND` "closed
   * by an operator" for a channel that was there).
   */
  closeChangedChannel(streamId: number, reason: string): boolean {
    const entry = this.#byId.get(streamId);
    if (!entry) return false;
    if (entry.waiters.length > 0) {
      const list = this.#deferred.get(entry.token) ?? [];
      for (const w of entry.waiters) list.push({ ...w, key: entry.key });
      this.#deferred.set(entry.token, list);
      entry.waiters = [];
    }
    entry.control.forceClose();
    this.#close(entry, reason, errorData('SC_ERR_STREAM_NOT_FOUND', 'The channel changed.'));
    return true;
  }

  /**
   * A shard died: its owned streams get a new owner that resumes writing the same ring, and its pending
   * opens are forgotten — their clients died with it, and its successor numbers requests from 1 again, so a
   * late reply would settle one of the successor's own requests with the wrong stream.
   */
  shardDown(shardId: number): void {
    for (const entry of this.#byId.values())
      entry.waiters = entry.waiters.filter((w) => w.shardId !== shardId);
    for (const [token, p] of this.#pending) {
      const kept = p.waiters.filter((w) => w.shardId !== shardId);
      p.waiters.splice(0, p.waiters.length, ...kept);
      // Nobody waits for it any more: no engine is wanted, no stream opened for it.
      if (kept.length === 0) {
        clearTimeout(p.timer);
        this.#pending.delete(token);
      }
    }
    for (const [token, list] of this.#deferred) {
      const kept = list.filter((w) => w.shardId !== shardId);
      if (kept.length > 0) this.#deferred.set(token, kept);
      else this.#deferred.delete(token);
    }
    for (const entry of this.#byId.values()) {
      if (entry.owner !== shardId || entry.state === 'closing') continue;
      // Its new owner is not waiting for an answer: told its engine is gone, it asks again.
      this.#homeless.delete(entry.id);
      entry.owner = this.#pickOwner(shardId);
      // A URL source's stand-in engine is never in the registry; any other engine missing from it is gone.
      const urlSource = entry.channel?.sources[entry.channel.index]?.kind === 'url';
      const engineGone = !urlSource && this.#engines.get(entry.engine.id) === undefined;
      this.#log.warn(
        { stream: entry.token, from: shardId, to: entry.owner },
        'owner shard died; moving stream',
      );
      this.#shards.send(entry.owner, {
        type: 'own',
        streamId: entry.id,
        key: entry.key,
        ring: entry.ring,
        engine: ref(entry.engine),
        // The ring keeps its numbering: the new owner continues after the last published segment.
        hls: entry.control.hlsNext(),
        ...(entry.channel ? { source: sourceRef(entry.channel) } : {}),
        // The engine still runs the dead owner's session: its successor stops it.
        ...(entry.session ? { staleSession: entry.session } : {}),
        ...(engineGone ? { engineGone: true } : {}),
      });
      entry.session = null;
    }
  }

  /** The owner started an engine session for the stream (ShardToMain `ownerSession`). */
  ownerSession(streamId: number, engine: EngineRef, session: EngineSessionRef): void {
    const entry = this.#byId.get(streamId);
    if (entry) entry.session = { engine, session };
  }

  /**
   * Every stream a shard must know to serve: the `start` snapshot a freshly spawned shard applies before it
   * listens. A closing stream is left out (it is already gone from the maps, its `detach` was broadcast).
   */
  snapshot(): StreamAttachment[] {
    const out: StreamAttachment[] = [];
    for (const e of this.#byId.values())
      if (e.state !== 'closing') out.push({ streamId: e.id, key: e.key, ring: e.ring });
    return out;
  }

  recordShardStats(shardId: number, stats: readonly ShardStreamStats[]): void {
    for (const s of stats) this.#byId.get(s.streamId)?.shardStats.set(shardId, s);
  }

  recordOwnerStats(stats: readonly OwnerStats[]): void {
    for (const s of stats) {
      const entry = this.#byId.get(s.streamId);
      if (!entry) continue;
      entry.ownerStats = s;
      const play = entry.channel;
      // The owner has media from the source main last chose: it plays (a new round starts on its failure).
      if (play && s.source?.index === play.index && s.source.playing && entry.state === 'live') {
        if (this.channels.result(play.id, play.sources[play.index]!)?.result !== 'ok')
          this.#sourcePlays(play);
      }
    }
  }

  #sourcePlays(play: ChannelPlay): void {
    this.channels.succeeded(play.id, play.sources[play.index]!, Date.now());
    play.tried.clear();
    play.tried.add(play.index);
  }

  /** Stops opening new streams and closes every open one (shutdown). */
  closeAll(reason: string): void {
    this.#accepting = false;
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer);
      for (const w of p.waiters) this.#replyError(w, errorData('SC_ERR_SHUTTING_DOWN'));
    }
    this.#pending.clear();
    for (const entry of [...this.#byId.values()]) {
      entry.control.forceClose();
      this.#close(entry, reason, errorData('SC_ERR_SHUTTING_DOWN'));
    }
    clearInterval(this.#reaper);
  }

  #openTimedOut(entry: StreamEntry): void {
    if (entry.state !== 'opening') return;
    this.#log.warn({ stream: entry.token, engine: entry.engine.url }, 'stream open timed out');
    const error = errorData('SC_ERR_OPEN_TIMEOUT');
    this.emit('failed', entry, error);
    entry.control.forceClose();
    this.#close(entry, 'failed_to_start', error);
  }

  /** Lease bookkeeping: close a live stream once no client has held it for the grace period. */
  #reap(now: number): void {
    if (this.#pending.size > 0 || this.#homeless.size > 0) this.retryPending();
    const graceMs = this.#config.graceSeconds * 1000;
    for (const entry of this.#byId.values()) {
      if (entry.state !== 'live') continue;
      const c = entry.control;
      if (c.leaseCount() > 0) {
        entry.zeroSinceMs = null;
        continue;
      }
      const attaches = c.attachCount();
      if (entry.zeroSinceMs === null || attaches !== entry.attachSnapshot) {
        // Someone joined (and maybe left) since we last looked: the grace period starts again.
        entry.zeroSinceMs = now;
        entry.attachSnapshot = attaches;
        continue;
      }
      if (now - entry.zeroSinceMs < graceMs) continue;
      if (entry.readyAtMs !== null && now - entry.readyAtMs < JOIN_ALLOWANCE_MS) continue;
      if (!c.tryClose()) continue; // a client leased it between our two reads
      this.#close(entry, 'normal', errorData('SC_ERR_STREAM_NOT_FOUND'));
    }
  }

  /**
   * At a limit, a live stream that no client holds (in its grace period, or warmed up by a HEAD) gives its
   * place to the new open, as a tuner does once its viewer has tuned away: the grace period is for
   * zapping back, not for refusing the next channel (Plex and Jellyfin, zapping on a full tuner, got
   * `503 SC_ERR_TUNER_LIMIT` for the whole grace period). The longest idle goes first; a stream just gone
   * live keeps its join allowance, and `tryClose` loses to any client that leases it meanwhile.
   */
  #reclaimIdle(channelsOnly: boolean, now = Date.now()): boolean {
    const idle: StreamEntry[] = [];
    for (const e of this.#byId.values()) {
      if (e.state !== 'live' || (channelsOnly && !e.channel)) continue;
      if (e.control.leaseCount() > 0) continue;
      if (e.readyAtMs !== null && now - e.readyAtMs < JOIN_ALLOWANCE_MS) continue;
      idle.push(e);
    }
    idle.sort((a, b) => (a.zeroSinceMs ?? now) - (b.zeroSinceMs ?? now));
    for (const e of idle) {
      if (!e.control.tryClose()) continue; // a client leased it just now
      this.#log.info({ stream: e.token }, 'idle stream closed to make room for a new one');
      this.#close(e, 'normal', errorData('SC_ERR_STREAM_NOT_FOUND'));
      return true;
    }
    return false;
  }

  #close(entry: StreamEntry, reason: string, error: ErrorData): void {
    if (entry.state === 'closing') return;
    entry.state = 'closing';
    this.#homeless.delete(entry.id);
    if (entry.openTimer) clearTimeout(entry.openTimer);
    for (const w of entry.waiters) this.#replyError(w, error);
    entry.waiters = [];
    this.#hlsMemory.remember(entry.token, entry.control.hlsNext(), Date.now());
    this.#shards.send(entry.owner, { type: 'disown', streamId: entry.id, reason });
    this.#shards.broadcast({ type: 'detach', streamId: entry.id, reason });
    this.#engines.release(entry.engine.id);
    this.#byId.delete(entry.id);
    this.#byToken.delete(entry.token);
    this.#log.info({ stream: entry.token, reason, ageMs: Date.now() - entry.openedAtMs }, 'stream closed');
    this.emit('closed', entry, reason);
    const deferred = this.#deferred.get(entry.token);
    if (deferred) {
      this.#deferred.delete(entry.token);
      for (const d of deferred) this.open(d.shardId, d.reqId, d.key);
    }
  }

  /**
   * A success carries the ring: the asking shard attaches it if its `attach` never arrived or it holds a
   * stale entry for the key, so a viewer never fails because of what its shard was or was not told.
   */
  #replyOk(w: Waiter, entry: StreamEntry): void {
    const { id: streamId, key, ring } = entry;
    this.#shards.send(w.shardId, { type: 'opened', reqId: w.reqId, streamId, key, ring, error: null });
  }

  #replyError(w: Waiter, error: ErrorData): void {
    this.#shards.send(w.shardId, { type: 'opened', reqId: w.reqId, streamId: null, error });
  }

  /** Owner = the ready shard owning the fewest streams (ties: lowest id), avoiding `avoid`. */
  #pickOwner(avoid = -1): number {
    const owned = new Array<number>(this.#shards.size).fill(0);
    for (const e of this.#byId.values()) if (e.owner < owned.length) owned[e.owner]!++;
    let best = -1;
    for (let i = 0; i < owned.length; i++) {
      if (i === avoid || !this.#shards.isReady(i)) continue;
      if (best === -1 || owned[i]! < owned[best]!) best = i;
    }
    return best === -1 ? 0 : best;
  }

  #hlsStart(token: string): HlsStart {
    return this.#hlsMemory.next(token, Date.now());
  }
}

/** 503 SC_ERR_NO_ENGINE naming why no engine can be had. */
function noEngine(why: string): ErrorData {
  return errorData('SC_ERR_NO_ENGINE', `No engine has room for a new stream: ${why}.`);
}

/** A URL source's stand-in engine: its origin (the owner fetches only that origin's URLs). */
function urlEngine(url: string): EngineInfo {
  const origin = new URL(url).origin;
  return { id: `url:${origin}`, url: origin, source: 'static' };
}

function sourceRef(play: ChannelPlay): SourceRef {
  return { index: play.index, source: play.sources[play.index]! };
}

function ref(e: EngineInfo): EngineRef {
  return { id: e.id, url: e.url };
}
