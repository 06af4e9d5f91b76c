/**
 * The shard's MPEG-TS client pump: one timer walks the attached clients stream by stream and writes the
 * ring bytes each one has not had yet, straight from shared memory (no copies), corked per client.
 *
 * Per stream and tick: one commit-cursor load, one lazy random-access read. Per client:
 *   blocked (uWS buffering)     → wait for onWritable; blocked past the stuck deadline → close (counted)
 *   lapped or too far behind    → skip to the newest keyframe with PSI first (counted)
 *   behind                      → write up to the tick budget, in chunks, then the seqlock check:
 *                                 overwritten during the send → close (counted; bytes may be corrupt)
 *   caught up, upstream stalled → a few TS null packets now and then, up to a cap, to keep the socket warm
 * A blocked client holds at most one chunk in uWS, so its memory stays bounded however long it stalls.
 */
import { TS_PACKET_SIZE } from '@shardcast/ring';
import type { GatewayConfig } from '../config/types.js';
import type { Logger } from '../log.js';
import type { LocalStream } from './streams.js';
import type { FinishReason, TsClient } from './ts-client.js';

/** Largest single write (whole packets, ~64 KiB); also the most a blocked client can make uWS hold. */
export const MAX_WRITE_BYTES = 348 * TS_PACKET_SIZE;
/** Most bytes one client gets in one tick (whole packets, ~1 MiB: join bursts, catching up). */
const MAX_TICK_BYTES = 16 * MAX_WRITE_BYTES;
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

/** Keep-alive bytes: null packets (PID 0x1FFF, payload only, ISO/IEC 13818-1 §2.4.3.3). */
const NULL_BURST = buildNullPackets(NULL_PACKETS_PER_BURST);

interface StreamTick {
  lastCommit: number;
  lastAdvanceMs: number;
}

export interface PumpCounters {
  skips: number;
  drops: number;
}

export class TsPump {
  readonly #byStream = new Map<LocalStream, Set<TsClient>>();
  readonly #ticks = new Map<LocalStream, StreamTick>();
  readonly #lagSeconds: number;
  readonly #stuckMs: number;
  readonly #nullCapMs: number;
  readonly #timer: NodeJS.Timeout;
  #clients = 0;

  readonly #log: Logger;

  constructor(config: GatewayConfig, log: Logger) {
    this.#log = log;
    this.#lagSeconds = config.clientLagSeconds;
    this.#stuckMs = config.clientStuckSeconds * 1000;
    this.#nullCapMs = config.nullCapSeconds * 1000;
    this.#timer = setInterval(() => this.tick(Date.now()), config.flushMs);
  }

  get clients(): number {
    return this.#clients;
  }

  clientsOf(stream: LocalStream): number {
    return this.#byStream.get(stream)?.size ?? 0;
  }

  add(client: TsClient): void {
    let set = this.#byStream.get(client.stream);
    if (!set) {
      set = new Set();
      this.#byStream.set(client.stream, set);
      const commit = client.stream.reader.commitCursor;
      this.#ticks.set(client.stream, { lastCommit: commit, lastAdvanceMs: Date.now() });
    }
    set.add(client);
    this.#clients++;
  }

  remove(client: TsClient): void {
    const set = this.#byStream.get(client.stream);
    if (!set?.delete(client)) return;
    this.#clients--;
    if (set.size === 0) {
      this.#byStream.delete(client.stream);
      this.#ticks.delete(client.stream);
    }
  }

  /** Ends every client (shutdown). */
  finishAll(reason: FinishReason): void {
    for (const set of [...this.#byStream.values()]) for (const c of [...set]) c.finish(reason);
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Writes to one client right away (a join), outside the timer. */
  kick(client: TsClient, now: number): void {
    this.#serve(client, client.stream.reader.commitCursor, now);
  }

  tick(now: number): void {
    for (const [stream, clients] of this.#byStream) {
      const commit = stream.reader.commitCursor;
      const t = this.#ticks.get(stream)!;
      if (commit !== t.lastCommit) {
        t.lastCommit = commit;
        t.lastAdvanceMs = now;
      }
      const silentMs = now - t.lastAdvanceMs;
      const keepAlive = silentMs >= NULL_AFTER_MS && silentMs < NULL_AFTER_MS + this.#nullCapMs;
      for (const client of clients) {
        try {
          if (client.cursor < commit) {
            if (commit - client.cursor >= MIN_BATCH_BYTES || now - client.lastWriteMs >= MAX_BATCH_DELAY_MS) {
              this.#serve(client, commit, now);
            }
          } else if (keepAlive && !client.blocked && now - client.lastNullMs >= NULL_INTERVAL_MS)
            this.#keepAlive(client, now);
        } catch (err) {
          // Nothing throws across the pump boundary: one broken client is dropped, counted, the rest go on.
          this.#log.error({ err, stream: stream.token }, 'client pump failed for one client');
          client.stream.counters.drops++;
          client.finish('lapped');
        }
      }
    }
  }

  #serve(client: TsClient, commit: number, now: number): void {
    if (client.finished) return;
    if (client.blocked) {
      if (now - client.blockedSinceMs > this.#stuckMs) {
        client.stream.counters.drops++;
        client.finish('stuck');
      }
      return;
    }
    const { reader } = client.stream;
    if (this.#tooFarBehind(client, commit) && !this.#skipToKeyframe(client)) return;
    const res = client.res;
    let budget = MAX_TICK_BYTES;
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

  /** Lapped already, about to be, or more than the lag limit behind live. */
  #tooFarBehind(client: TsClient, commit: number): boolean {
    const { reader } = client.stream;
    if (!reader.intact(client.cursor)) return true;
    const safe = reader.oldestSafe(Math.min(LAP_MARGIN_BYTES, reader.capacityBytes / 4));
    if (client.cursor < safe) return true;
    const bitrate = client.stream.control.bitrate;
    return bitrate > 0 && commit - client.cursor > (bitrate / 8) * this.#lagSeconds;
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

function buildNullPackets(n: number): Uint8Array {
  const out = new Uint8Array(n * TS_PACKET_SIZE).fill(0xff);
  for (let i = 0; i < n; i++) {
    const p = i * TS_PACKET_SIZE;
    out[p] = 0x47; // sync byte
    out[p + 1] = 0x1f; // TEI 0, PUSI 0, priority 0, PID high bits 0x1F
    out[p + 2] = 0xff; // PID low bits: 0x1FFF
    out[p + 3] = 0x10; // not scrambled, payload only, continuity counter 0
  }
  return out;
}
