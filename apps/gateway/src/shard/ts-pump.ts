/**
 * The shard's MPEG-TS client pump: a timer walks the attached clients round-robin and writes the ring
 * bytes each one has not had yet, straight from shared memory (no copies), corked per client.
 *
 * Per stream and tick (computed lazily, once): the commit cursor, the measured ingest rate, whether the
 * upstream is silent. Per client:
 *   blocked (uWS buffering)     → wait; onWritable resumes it at once; blocked past the stuck deadline →
 *                                 closed (counted)
 *   lapped or too far behind    → skip to the newest keyframe with PSI first (counted)
 *   behind                      → batched: once 16 KiB are pending or 100 ms passed, write up to 1 MiB in
 *                                 64 KiB chunks, then the seqlock check: overwritten during the send →
 *                                 closed (counted; the bytes may be corrupt)
 *   caught up, upstream stalled → a few TS null packets now and then, up to a cap, to keep the socket warm
 * A tick stops after half a period of work and the next one continues where it stopped, so a backlog
 * (after a pause, a burst of joins) spreads over ticks instead of stalling the event loop. A blocked
 * client holds at most one chunk in uWS, so its memory stays bounded however long it stalls.
 * The timer runs only while clients are attached: an idle shard does not wake 50 times a second for nothing.
 */
import { buildNullPackets } from '@shardcast/mpegts';
import { TS_PACKET_SIZE } from '@shardcast/ring';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { LocalStream } from './streams.js';
import type { FinishReason, TsClient } from './ts-client.js';

/** Largest single write (whole packets, ~64 KiB); also the most a blocked client can make uWS hold. */
export const MAX_WRITE_BYTES = 348 * TS_PACKET_SIZE;
/** Most bytes one client gets per visit (whole packets, ~1 MiB: join bursts, catching up). */
const MAX_VISIT_BYTES = 16 * MAX_WRITE_BYTES;
/**
 * Per-client batching: a client is written to once it has at least MIN_BATCH_BYTES pending or its last
 * write is MAX_BATCH_DELAY_MS old. At ~1 Mbit/s that is ~10 writes (syscalls) a second instead of 50,
 * which is what bounds clients per core; players buffer seconds, so 100 ms is invisible to them.
 */
const MIN_BATCH_BYTES = 88 * TS_PACKET_SIZE;
const MAX_BATCH_DELAY_MS = 100;
/** Headroom before the writer's overwrite point; a client closer than this is treated as lapped. */
const LAP_MARGIN_BYTES = 1024 * 1024;
/** Upstream silence before keep-alive null packets start, and their spacing. */
const NULL_AFTER_MS = 1000;
const NULL_INTERVAL_MS = 250;
const NULL_PACKETS_PER_BURST = 4;
/** Ingest rate measurement: sample every RATE_SAMPLE_MS, smoothed (time constant ~2.5 s). */
const RATE_SAMPLE_MS = 500;
const RATE_WEIGHT = 0.2;
/** A client blocked longer than this is not "reading" and does not hold a fast upstream back. */
const READING_BLOCKED_MS = 1000;
/** Clients visited between two looks at the clock. */
const BUDGET_CHECK_EVERY = 32;

/** Keep-alive bytes: null packets (PID 0x1FFF, ISO/IEC 13818-1 §2.4.3.3). */
const NULL_BURST = buildNullPackets(NULL_PACKETS_PER_BURST);

/** What a tick needs to know about one stream, refreshed once per tick. */
interface StreamView {
  clients: number;
  tick: number;
  commit: number;
  lastCommit: number;
  lastAdvanceMs: number;
  /** Bytes per second the ring's commit cursor advanced, smoothed. */
  rate: number;
  rateAtMs: number;
  rateAtCursor: number;
  keepAlive: boolean;
  /** A client further behind than this skips to the newest keyframe. */
  maxLagBytes: number;
  /** Below this cursor a client is (about to be) lapped. */
  oldestSafe: number;
  /** Least advanced cursor of this tick's reading clients (reported to the ring at the end of the tick). */
  slowest: number;
}

export class TsPump {
  readonly #clients: TsClient[] = [];
  readonly #slot = new Map<TsClient, number>();
  readonly #views = new Map<LocalStream, StreamView>();
  readonly #lagSeconds: number;
  readonly #stuckMs: number;
  readonly #nullCapMs: number;
  readonly #budgetMs: number;
  readonly #flushMs: number;
  /** The tick interval, while clients are attached (and until `stop()`). */
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  readonly #log: Logger;
  #tick = 0;
  #next = 0;

  readonly #shardId: number;
  /** Wall clock in ms (injectable so unit tests drive the pump in simulated time). */
  readonly #now: () => number;

  constructor(config: GatewayConfig, log: Logger, shardId: number, now: () => number = Date.now) {
    this.#log = log;
    this.#shardId = shardId;
    this.#now = now;
    this.#lagSeconds = config.clientLagSeconds;
    this.#stuckMs = config.clientStuckSeconds * 1000;
    this.#nullCapMs = config.nullCapSeconds * 1000;
    this.#budgetMs = Math.max(2, config.flushMs / 2);
    this.#flushMs = config.flushMs;
  }

  get clients(): number {
    return this.#clients.length;
  }

  clientsOf(stream: LocalStream): number {
    return this.#views.get(stream)?.clients ?? 0;
  }

  add(client: TsClient): void {
    if (this.#slot.has(client)) return;
    this.#slot.set(client, this.#clients.length);
    this.#clients.push(client);
    if (this.#timer === undefined && !this.#stopped)
      this.#timer = setInterval(() => this.tick(this.#now()), this.#flushMs);
    let view = this.#views.get(client.stream);
    if (!view) {
      const commit = client.stream.reader.commitCursor;
      const now = this.#now();
      view = {
        clients: 0,
        tick: -1,
        commit,
        lastCommit: commit,
        lastAdvanceMs: now,
        rate: 0,
        rateAtMs: now,
        rateAtCursor: commit,
        keepAlive: false,
        maxLagBytes: Number.POSITIVE_INFINITY,
        oldestSafe: 0,
        slowest: Number.POSITIVE_INFINITY,
      };
      this.#views.set(client.stream, view);
    }
    view.clients++;
    client.onDrain = () => this.#resume(client);
  }

  remove(client: TsClient): void {
    const i = this.#slot.get(client);
    if (i === undefined) return;
    this.#slot.delete(client);
    // Swap-remove: O(1); the moved client may miss the rest of this tick and gets served on the next.
    const last = this.#clients.pop()!;
    if (last !== client) {
      this.#clients[i] = last;
      this.#slot.set(last, i);
    }
    const view = this.#views.get(client.stream);
    if (view && --view.clients === 0) this.#views.delete(client.stream);
    if (this.#clients.length === 0) this.#clearTimer();
  }

  /** Ends every client (shutdown). */
  finishAll(reason: FinishReason): void {
    for (const c of [...this.#clients]) c.finish(reason);
  }

  /** No more ticks of its own, whatever joins later (shutdown; tests drive `tick()` by hand). */
  stop(): void {
    this.#stopped = true;
    this.#clearTimer();
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Writes to one client right away (a join), outside the timer. */
  kick(client: TsClient, now: number): void {
    const view = this.#views.get(client.stream);
    if (view) this.#serve(client, this.#refresh(client.stream, view, now), now);
  }

  tick(now: number): void {
    this.#tick++;
    const clients = this.#clients;
    const n = clients.length;
    if (n === 0) return;
    const started = performance.now();
    let visited = 0;
    let i = this.#next % n;
    while (visited < n) {
      const client = clients[i];
      visited++;
      i = i + 1 < clients.length ? i + 1 : 0;
      if (client) this.#visit(client, now);
      if (visited % BUDGET_CHECK_EVERY === 0 && performance.now() - started > this.#budgetMs) break;
    }
    // Next tick starts where this one stopped: fairness when the budget cuts a tick short.
    this.#next = i;
    // Tell each ring how far this shard's slowest client that is still reading has got: the owner paces an
    // upstream that runs ahead of real time by it. Stuck clients were left out: they must not hold others,
    // so a shard whose clients are all stuck reports the commit cursor (nobody to wait for) at once rather
    // than leaving its last report to go stale.
    for (const [stream, v] of this.#views) {
      if (v.tick === this.#tick)
        stream.reader.reportProgress(this.#shardId, Math.min(v.slowest, v.commit), now);
    }
  }

  #visit(client: TsClient, now: number): void {
    const view = this.#refresh(client.stream, this.#views.get(client.stream)!, now);
    try {
      // Blocked: only the stuck deadline, whether or not the stream has new bytes (a dead player of a
      // stalled stream holds everything it was handed, and must not hold the stream open).
      if (client.blocked) this.#checkStuck(client, now);
      else if (client.cursor < view.commit) {
        if (
          view.commit - client.cursor >= MIN_BATCH_BYTES ||
          now - client.lastWriteMs >= MAX_BATCH_DELAY_MS
        ) {
          this.#serve(client, view, now);
        }
      } else if (view.keepAlive && now - client.lastNullMs >= NULL_INTERVAL_MS) {
        this.#keepAlive(client, now);
      }
      if (!client.blocked || now - client.blockedSinceMs <= READING_BLOCKED_MS) {
        if (client.cursor < view.slowest) view.slowest = client.cursor;
      }
    } catch (err) {
      // Nothing throws across the pump boundary: one broken client is dropped, counted, the rest go on.
      this.#log.error({ err, stream: client.stream.token }, 'client pump failed for one client');
      client.stream.counters.drops++;
      client.finish('lapped');
    }
  }

  /** uWS drained a blocked client: continue at once instead of waiting for the next tick. */
  #resume(client: TsClient): void {
    if (client.finished) return;
    const view = this.#views.get(client.stream);
    if (!view) return;
    const now = this.#now();
    try {
      this.#serve(client, this.#refresh(client.stream, view, now), now);
    } catch (err) {
      this.#log.error({ err, stream: client.stream.token }, 'client pump failed for one client');
      client.stream.counters.drops++;
      client.finish('lapped');
    }
  }

  /** Per-stream facts, recomputed at most once per tick. */
  #refresh(stream: LocalStream, v: StreamView, now: number): StreamView {
    if (v.tick === this.#tick) return v;
    v.tick = this.#tick;
    v.slowest = Number.POSITIVE_INFINITY;
    const { reader, control } = stream;
    const commit = reader.commitCursor;
    v.commit = commit;
    if (commit !== v.lastCommit) {
      v.lastCommit = commit;
      v.lastAdvanceMs = now;
    }
    if (now - v.rateAtMs >= RATE_SAMPLE_MS) {
      const inst = ((commit - v.rateAtCursor) * 1000) / (now - v.rateAtMs);
      v.rate = v.rate === 0 ? inst : v.rate + RATE_WEIGHT * (inst - v.rate);
      v.rateAtMs = now;
      v.rateAtCursor = commit;
    }
    const silentMs = now - v.lastAdvanceMs;
    v.keepAlive = silentMs >= NULL_AFTER_MS && silentMs < NULL_AFTER_MS + this.#nullCapMs;
    // "Seconds behind live" in bytes: at the stream's bitrate (PCR) or at the rate bytes actually arrive,
    // whichever is faster, so an unpaced or bursting upstream is not mistaken for lagging clients.
    const bytesPerSecond = Math.max(control.bitrate / 8, v.rate);
    v.maxLagBytes = bytesPerSecond > 0 ? bytesPerSecond * this.#lagSeconds : Number.POSITIVE_INFINITY;
    v.oldestSafe = reader.oldestSafe(Math.min(LAP_MARGIN_BYTES, reader.capacityBytes / 4));
    return v;
  }

  #checkStuck(client: TsClient, now: number): void {
    if (now - client.blockedSinceMs > this.#stuckMs) {
      client.stream.counters.drops++;
      client.finish('stuck');
    }
  }

  #serve(client: TsClient, view: StreamView, now: number): void {
    if (client.finished || client.blocked) return;
    const { reader } = client.stream;
    const commit = view.commit;
    const behind =
      client.cursor < view.oldestSafe ||
      commit - client.cursor > view.maxLagBytes ||
      !reader.intact(client.cursor);
    if (behind && !this.#skipToKeyframe(client)) return;
    const res = client.res;
    let budget = MAX_VISIT_BYTES;
    let lapped = false;
    res.cork(() => {
      while (client.cursor < commit && budget > 0) {
        const from = client.cursor;
        const to = Math.min(commit, from + Math.min(MAX_WRITE_BYTES, budget));
        const r = reader.regions(from, to);
        let ok = res.write(r.first);
        let sent = r.first.length;
        if (ok && r.count === 2) {
          ok = res.write(r.second);
          sent += r.second.length;
        }
        // Seqlock rule: if the writer reached these bytes while the socket copied them, they may be torn.
        if (!reader.intact(from)) {
          lapped = true;
          return;
        }
        client.cursor = from + sent;
        client.lastWriteMs = now;
        client.bytesOut += sent;
        client.stream.counters.bytesOut += sent;
        budget -= sent;
        if (!ok) {
          client.blocked = true;
          client.blockedSinceMs = now;
          return;
        }
      }
    });
    if (lapped) {
      client.stream.counters.drops++;
      client.finish('lapped');
    }
  }

  /** Moves a lagging client to the newest keyframe, PSI first. False if the client had to go instead. */
  #skipToKeyframe(client: TsClient): boolean {
    const { reader } = client.stream;
    const rap = reader.readRandomAccess();
    if (!rap || !reader.intact(rap.cursor)) {
      client.stream.counters.drops++;
      client.finish('lapped');
      return false;
    }
    // Behind by the lag rule but the newest keyframe is older than the client's position: keep going.
    if (rap.cursor <= client.cursor && reader.intact(client.cursor)) return true;
    client.stream.counters.skips++;
    client.cursor = rap.cursor;
    const res = client.res;
    res.cork(() => {
      if (rap.psi.length > 0) res.write(rap.psi);
    });
    return true;
  }

  #keepAlive(client: TsClient, now: number): void {
    client.lastNullMs = now;
    const res = client.res;
    let ok = true;
    res.cork(() => {
      ok = res.write(NULL_BURST);
    });
    client.stream.counters.nullPackets += NULL_PACKETS_PER_BURST;
    if (!ok) {
      client.blocked = true;
      client.blockedSinceMs = now;
    }
  }
}
