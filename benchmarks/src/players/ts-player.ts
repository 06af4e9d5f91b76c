/**
 * One progressive MPEG-TS player on a raw socket: GET the stream, time the first body byte (join), check
 * the bytes (ts-validator.ts), and play them at real time through a buffer (playout.ts). Above the buffer
 * limit it stops reading, as a real player does, so a healthy server sees backpressure, not a firehose.
 * With pace "none" it reads as fast as it can (unpaced load) and keeps no playout.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CLOSED_INSIDE, type ResponseHead, ResponseParser } from '../http/response-parser.js';
import { recordMs } from '../util/histogram.js';
import { type PlayerContext, socketErrorKind } from './context.js';
import { Playout } from './playout.js';
import { TsValidator } from './ts-validator.js';
import type { PlayerSpec } from './types.js';

/** With validate "join", bytes checked before the validator steps aside. */
const JOIN_VALIDATE_BYTES = 256 * 1024;

export class TsPlayer {
  readonly spec: PlayerSpec;
  readonly #ctx: PlayerContext;
  #socket: Socket | null = null;
  readonly #parser: ResponseParser;
  readonly #validator: TsValidator | null;
  #playout: Playout | null = null;
  #t0 = 0;
  #joined = false;
  #done = false;
  #paused = false;
  #connected = false;
  #lastDataMs = 0;
  #bytes = 0;
  #mediaBytesPlayed = 0;
  /** Resolves when the player joined (first body byte) or failed. */
  readonly joined: Promise<void>;
  #onJoined: () => void = () => {};

  constructor(ctx: PlayerContext, spec: PlayerSpec) {
    this.#ctx = ctx;
    this.spec = spec;
    const o = ctx.options;
    // Real-time playout without a fixed bitrate needs the PCR, so the validator then always runs.
    const needPcr = o.pace === 'realtime' && o.bitrate <= 0;
    this.#validator = o.validate !== 'off' || needPcr ? new TsValidator(o.validate !== 'off') : null;
    this.joined = new Promise((resolve) => {
      this.#onJoined = resolve;
    });
    this.#parser = new ResponseParser({
      onHead: (head) => this.#onHead(head),
      onBody: (chunk) => this.#onBody(chunk),
      onEnd: () => this.#fail('closed'),
      // A server that hangs up inside the body (a slow-client close) is a close, not a protocol bug.
      onError: (detail) => this.#fail(detail === CLOSED_INSIDE ? 'closed' : 'http_protocol'),
    });
  }

  start(): void {
    const ctx = this.#ctx;
    ctx.counters.started++;
    this.#t0 = performance.now();
    this.#lastDataMs = this.#t0;
    const socket = connect({ host: ctx.target.host, port: ctx.target.port, noDelay: true });
    this.#socket = socket;
    const path = `${ctx.options.tsPath}?id=${this.spec.streamId}`;
    socket.once('connect', () => {
      ctx.counters.connected++;
      this.#connected = true;
      socket.write(ctx.request(path, 'GET', true));
    });
    socket.on('data', (chunk: Buffer) => this.#parser.push(chunk));
    socket.once('end', () => this.#parser.eof());
    socket.once('error', (err) => this.#fail(socketErrorKind(err)));
    socket.once('close', () => {
      if (!this.#done) this.#fail('closed');
    });
  }

  /** Periodic: play the buffer, resume reading below the limit, enforce the read timeout. */
  tick(nowMs: number): void {
    if (this.#done) return;
    const p = this.#playout;
    if (p) {
      const before = p.stalls;
      p.advance(nowMs);
      if (p.stalls > before) this.#ctx.stalled(p.stalls - before);
      if (this.#paused && p.bufferedS < this.#ctx.options.maxBufferS) {
        this.#paused = false;
        this.#socket?.resume();
      }
    }
    // A paused player reads nothing on purpose; only a starved one can time out.
    if (!this.#paused && nowMs - this.#lastDataMs > this.#ctx.options.readTimeoutS * 1000)
      this.#fail('timeout');
  }

  /** End of the run: settle the books and hang up. */
  finish(nowMs: number): void {
    if (!this.#done) {
      this.#ctx.totals.connectedAtEnd++;
      this.#close();
    }
    const t = this.#ctx.totals;
    t.tsPlayers++;
    const p = this.#playout;
    if (p) {
      const before = p.stalls;
      p.finish(nowMs);
      if (p.stalls > before) this.#ctx.stalled(p.stalls - before);
      if (p.stalls > 0) t.stalledPlayers++;
      t.tsStalls += p.stalls;
      if (p.startedAtMs < 0) t.neverStarted++;
      t.stalledMs += p.stalledMs;
      t.playedMs += p.playedMs;
    } else if (this.#ctx.options.pace === 'realtime') t.neverStarted++;
    const v = this.#ctx.options.validate === 'off' ? undefined : this.#validator?.stats;
    if (v) {
      t.syncErrors += v.syncErrors;
      t.ccErrors += v.ccErrors;
      if (v.psiAtJoin === 'failed') t.psiAtJoinFailed++;
      if (v.keyframeAtJoin === 'failed') t.keyframeAtJoinFailed++;
    }
  }

  #onHead(head: ResponseHead): void {
    if (head.status !== 200) this.#fail(`http_${head.status}`);
  }

  #onBody(chunk: Buffer): void {
    if (this.#done) return;
    const ctx = this.#ctx;
    const now = performance.now();
    this.#lastDataMs = now;
    if (!this.#joined) {
      this.#joined = true;
      ctx.counters.joined++;
      recordMs(this.spec.cold ? ctx.hist.joinCold : ctx.hist.joinWarm, now - this.#t0);
      if (ctx.options.pace === 'realtime') this.#playout = new Playout(ctx.options.bufferS, now);
      this.#onJoined();
    }
    ctx.received(chunk.length);
    this.#bytes += chunk.length;
    const v = this.#validator;
    if (v) {
      const joining = this.#bytes - chunk.length < JOIN_VALIDATE_BYTES;
      if (!joining && ctx.options.validate === 'join') v.checkContinuity = false;
      // Unpaced players with join-only checks skip the validator after the join: it would be the bottleneck.
      if (joining || this.#playout || ctx.options.validate === 'full') v.push(chunk);
    }
    const p = this.#playout;
    if (!p) return;
    const seconds = this.#mediaSeconds(chunk.length);
    if (seconds > 0) {
      const before = p.stalls;
      const wasPlaying = p.startedAtMs >= 0;
      p.add(seconds, now);
      if (p.stalls > before) ctx.stalled(p.stalls - before);
      if (!wasPlaying && p.startedAtMs >= 0) recordMs(ctx.hist.startup, p.startedAtMs - this.#t0);
    }
    if (!this.#paused && p.bufferedS >= ctx.options.maxBufferS) {
      this.#paused = true;
      this.#socket?.pause();
    }
  }

  // Media seconds in the bytes not yet accounted: a fixed bitrate, else the PCR estimate (null packets
  // excluded on both sides); 0 until the estimate exists (the bytes wait in the validator's count).
  #mediaSeconds(chunkBytes: number): number {
    const fixed = this.#ctx.options.bitrate;
    if (fixed > 0) return (chunkBytes * 8) / fixed;
    const v = this.#validator;
    if (!v || v.bitrate <= 0) return 0;
    const fresh = v.mediaBytes - this.#mediaBytesPlayed;
    this.#mediaBytesPlayed = v.mediaBytes;
    return (fresh * 8) / v.bitrate;
  }

  #fail(kind: string): void {
    if (this.#done) return;
    this.#ctx.error(kind);
    this.#close();
    this.#onJoined();
  }

  #close(): void {
    if (this.#done) return;
    this.#done = true;
    const s = this.#socket;
    if (this.#connected) this.#ctx.counters.connected--;
    this.#connected = false;
    s?.destroy();
  }
}
