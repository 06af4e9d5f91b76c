// One playback (MPEG-TS) connection: streams the endless loop from the live position, paced by PCR at the
// configured rate (batched by the shared pacer) or unpaced as fast as the socket drains. Bytes are views
// of the shared rendered loops, so a write copies nothing. Faults (stall, EOF, drop, garbage) are timers/limits
// anchored at the connection start, or at the moment an admin applied them to a live connection.
import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { TS_PACKET_SIZE } from '@shardcast/mpegts';
import type { LiveClock } from './clock.js';
import type { Faults, GarbageKind } from './faults.js';
import { garbageBytes } from './garbage.js';
import type { LoopRenderer } from './loop-renderer.js';
import type { Paced, Pacer } from './pacer.js';
import type { Session, SessionConnection } from './session.js';
import type { SimCounters } from './stats.js';

// Unpaced writes: about 256 KiB per write call.
const MAX_WRITE_PACKETS = 1394;
// Unpaced: writes per turn of the event loop before yielding, so one fast socket cannot starve others.
const MAX_WRITES_PER_TURN = 8;

export interface PlaybackDeps {
  readonly clock: LiveClock;
  readonly renderer: LoopRenderer;
  readonly pacer: Pacer;
  readonly counters: SimCounters;
}

export interface PlaybackOptions {
  /** Playback speed factor, or 'max' for unpaced. */
  readonly rate: number | 'max';
  /** Seconds behind live to start at; they are sent at once. */
  readonly burstSeconds: number;
  readonly faults: Faults;
}

export class PlaybackConnection implements Paced, SessionConnection {
  readonly session: Session;
  readonly #res: ServerResponse;
  readonly #deps: PlaybackDeps;
  readonly #rate: number | 'max';
  readonly #startMs: number;
  readonly #liveAtStart: number;
  #next: number;
  #pausedMs = 0;
  #stalledSinceMs = -1;
  #faults: Faults = {};
  /** Set once the garbage fault is due: what goes out instead of the program. */
  #garbage: GarbageKind | null = null;
  #anchorBytes = 0;
  #timers: NodeJS.Timeout[] = [];
  #waitingDrain = false;
  #pumpQueued = false;
  #closed = false;
  bytes = 0;

  constructor(session: Session, res: ServerResponse, deps: PlaybackDeps, options: PlaybackOptions) {
    this.session = session;
    this.#res = res;
    this.#deps = deps;
    this.#rate = options.rate;
    this.#startMs = performance.now();
    this.#liveAtStart = deps.clock.now(this.#startMs);
    // Start on a packet boundary at the live position (minus the burst), not necessarily a keyframe.
    this.#next = deps.clock.packetAfter(this.#liveAtStart - options.burstSeconds);
    this.#faults = options.faults;
    res.on('close', () => this.#close());
    // A write racing a client reset must not become an unhandled 'error'.
    res.on('error', () => this.#close());
    res.on('drain', () => this.#onDrain());
  }

  /** Sends headers and starts streaming. */
  start(): void {
    const { counters } = this.#deps;
    counters.playbackConnections++;
    counters.playbackConnectionsTotal++;
    this.session.connections.add(this);
    this.#res.writeHead(200, {
      'Content-Type': 'video/mp2t',
      'Cache-Control': 'no-cache, no-store',
      Connection: 'keep-alive',
    });
    this.#res.socket?.setNoDelay(true);
    this.#res.flushHeaders();
    if (this.#faults.zeroByteEof) {
      counters.faults.zeroByteEofs++;
      this.#res.end();
      this.#close();
      return;
    }
    this.#schedule(this.#startMs);
    if (this.#rate === 'max') this.#pump();
    else {
      this.#deps.pacer.add(this);
      this.tick(performance.now());
    }
  }

  /** Replaces the playback faults of a live connection, anchored now. */
  applyFaults(faults: Faults): void {
    if (this.#closed) return;
    this.#faults = faults;
    this.#anchorBytes = this.bytes;
    this.#endStall(performance.now());
    this.#schedule(performance.now());
  }

  /** Ends the connection from the session side (stop) or the admin side (kill). */
  end(reason: 'stopped' | 'killed'): void {
    if (this.#closed) return;
    if (reason === 'killed') {
      this.#deps.counters.faults.kills++;
      this.#res.destroy();
    } else this.#res.end();
    this.#close();
  }

  /** Paced mode: write everything due by now in one batch. */
  tick(nowMs: number): void {
    if (this.#closed || this.#waitingDrain || this.#stalledSinceMs >= 0 || this.#rate === 'max') return;
    const due = this.#liveAtStart + ((nowMs - this.#startMs - this.#pausedMs) / 1000) * this.#rate;
    const target = this.#deps.clock.packetAfter(due);
    if (target > this.#next) this.#send(target);
  }

  #pump(): void {
    this.#pumpQueued = false;
    for (let i = 0; i < MAX_WRITES_PER_TURN; i++) {
      if (this.#closed || this.#waitingDrain || this.#stalledSinceMs >= 0) return;
      this.#send(this.#next + MAX_WRITE_PACKETS);
    }
    if (!this.#closed && !this.#waitingDrain && this.#stalledSinceMs < 0) this.#queuePump();
  }

  #queuePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    setImmediate(() => this.#pump());
  }

  #onDrain(): void {
    this.#waitingDrain = false;
    if (this.#rate === 'max') this.#queuePump();
  }

  // Writes packets [next, to) as views of the rendered loops, honouring the drop limit.
  #send(to: number): void {
    const { renderer, counters } = this.#deps;
    const n = renderer.plan.packetCount;
    const limit = this.#faults.dropAfterBytes;
    let budget = limit === undefined ? Number.POSITIVE_INFINITY : limit - (this.bytes - this.#anchorBytes);
    let ok = true;
    let dropped = false;
    this.#res.cork();
    try {
      let g = this.#next;
      while (g < to && budget > 0) {
        const loop = Math.floor(g / n);
        const base = loop * n;
        const end = Math.min(to, base + n);
        let view: Uint8Array = renderer
          .loop(loop)
          .subarray((g - base) * TS_PACKET_SIZE, (end - base) * TS_PACKET_SIZE);
        if (this.#garbage !== null) view = garbageBytes(this.#garbage, view.length);
        if (view.length >= budget) {
          view = view.subarray(0, budget);
          dropped = true;
        }
        ok = this.#res.write(view);
        this.bytes += view.length;
        this.session.bytesSent += view.length;
        counters.bytesSent += view.length;
        budget -= view.length;
        g = end;
      }
      this.#next = to;
      if (budget <= 0) dropped = true;
    } finally {
      this.#res.uncork();
    }
    if (dropped) {
      counters.faults.drops++;
      // Cut below HTTP: the socket flushes what was written, then FIN without the chunked terminator, so
      // the client sees exactly `dropAfterBytes` body bytes and a premature end.
      this.#res.socket?.end();
      this.#close();
      return;
    }
    if (!ok) this.#waitingDrain = true;
  }

  // Arms the EOF and stall timers of the current faults, measured from `anchorMs`.
  #schedule(anchorMs: number): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    this.#garbage = null;
    const now = performance.now();
    const f = this.#faults;
    const at = (seconds: number, fn: () => void): void => {
      const t = setTimeout(fn, Math.max(0, anchorMs + seconds * 1000 - now));
      t.unref();
      this.#timers.push(t);
    };
    if (f.eofAfterS !== undefined) {
      at(f.eofAfterS, () => {
        this.#deps.counters.faults.eofs++;
        this.#res.end();
        this.#close();
      });
    }
    if (f.stallForS !== undefined && f.stallForS > 0) {
      const after = f.stallAfterS ?? 0;
      at(after, () => {
        if (this.#closed) return;
        this.#deps.counters.faults.stalls++;
        this.#stalledSinceMs = performance.now();
      });
      at(after + f.stallForS, () => this.#endStall(performance.now()));
    }
    if (f.garbage !== undefined || f.garbageAfterS !== undefined) {
      const kind = f.garbage ?? 'random';
      const turn = (): void => {
        if (this.#closed) return;
        this.#deps.counters.faults.garbage++;
        this.#garbage = kind;
      };
      // Garbage from the start is set before the first write (a 0 ms timer fires after the burst).
      if ((f.garbageAfterS ?? 0) <= 0) turn();
      else at(f.garbageAfterS ?? 0, turn);
    }
  }

  #endStall(nowMs: number): void {
    if (this.#stalledSinceMs < 0) return;
    // Resume where the stream left off: the stalled time does not count as played.
    this.#pausedMs += nowMs - this.#stalledSinceMs;
    this.#stalledSinceMs = -1;
    if (this.#rate === 'max') this.#queuePump();
  }

  #close(): void {
    const wasOpen = this.session.connections.delete(this);
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers = [];
    this.#deps.pacer.delete(this);
    if (wasOpen) {
      this.#deps.counters.playbackConnections--;
      this.session.touch();
    }
  }
}
