/**
 * One HLS player on a keep-alive socket, following RFC 8216 §6.3: it starts three segments from the live
 * edge (§6.3.3), fetches every new segment exactly once and in order, and reloads the playlist one target
 * duration after the start of the previous load when it changed, half a target duration when it did not
 * (§6.3.4). Playlist and segment latencies are request-to-last-byte; segments go through a playout buffer
 * (stalls) and a check that they start with PAT then PMT and keep sync.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { NULL_PID, PAT_PID, readPid, SYNC_BYTE, TS_PACKET_SIZE } from '@shardcast/mpegts';
import { type ResponseHead, ResponseParser } from '../http/response-parser.js';
import { recordMs } from '../util/histogram.js';
import { type PlayerContext, socketErrorKind } from './context.js';
import { parsePlaylist } from './playlist.js';
import { Playout } from './playout.js';
import type { PlayerSpec } from './types.js';

/** Segments back from the live edge at join (RFC 8216 §6.3.3: not within three target durations of the end). */
const LIVE_EDGE_SEGMENTS = 3;
/** Retry delay after a failed playlist load. */
const RETRY_MS = 1000;
/** Largest playlist body accepted. */
const MAX_PLAYLIST_BYTES = 4 * 1024 * 1024;

type Pending =
  | { kind: 'playlist'; t0: number }
  | { kind: 'segment'; t0: number; seq: number; durationS: number };

export class HlsPlayer {
  readonly spec: PlayerSpec;
  readonly #ctx: PlayerContext;
  readonly #parser: ResponseParser;
  #socket: Socket | null = null;
  #connected = false;
  #done = false;
  #playlistPath: string;
  #pending: Pending | null = null;
  #status = 0;
  #body: Buffer[] = [];
  #bodyBytes = 0;
  readonly #queue: Array<{ seq: number; path: string; durationS: number }> = [];
  #lastSeq = -1;
  #lastSignature = '';
  #reloadAtMs = 0;
  #targetS = 0;
  #firstRequestMs = -1;
  #startedUp = false;
  #playlists = 0;
  #timer: NodeJS.Timeout | null = null;
  #playout: Playout | null = null;
  readonly #check = new SegmentCheck();
  readonly joined: Promise<void>;
  #onJoined: () => void = () => {};

  constructor(ctx: PlayerContext, spec: PlayerSpec) {
    this.#ctx = ctx;
    this.spec = spec;
    this.#playlistPath = `${ctx.options.hlsPath}?id=${spec.streamId}`;
    this.joined = new Promise((resolve) => {
      this.#onJoined = resolve;
    });
    this.#parser = new ResponseParser({
      onHead: (head) => this.#onHead(head),
      onBody: (chunk) => this.#onBody(chunk),
      onEnd: () => this.#onComplete(),
      onError: () => this.#fail('http_protocol'),
    });
  }

  start(): void {
    this.#ctx.counters.started++;
    this.#next();
  }

  tick(nowMs: number): void {
    if (this.#done) return;
    const p = this.#playout;
    if (p) {
      const before = p.stalls;
      p.advance(nowMs);
      if (p.stalls > before) this.#ctx.stalled(p.stalls - before);
    }
    const pending = this.#pending;
    if (pending && nowMs - pending.t0 > this.#ctx.options.readTimeoutS * 1000) this.#fail('timeout');
  }

  finish(nowMs: number): void {
    const t = this.#ctx.totals;
    if (!this.#done) t.connectedAtEnd++;
    this.#stop();
    t.hlsPlayers++;
    const p = this.#playout;
    if (p) {
      const before = p.stalls;
      p.finish(nowMs);
      if (p.stalls > before) this.#ctx.stalled(p.stalls - before);
      if (p.stalls > 0) t.stalledPlayers++;
      t.hlsStalls += p.stalls;
      t.stalledMs += p.stalledMs;
      t.playedMs += p.playedMs;
    }
    if (!p || p.startedAtMs < 0) t.neverStarted++;
  }

  // The next request: due segments first, then the playlist when its reload time has come.
  #next(): void {
    if (this.#done || this.#pending) return;
    const seg = this.#queue.shift();
    if (seg) return this.#send({ kind: 'segment', t0: 0, seq: seg.seq, durationS: seg.durationS }, seg.path);
    const wait = this.#reloadAtMs - performance.now();
    if (wait > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#next();
      }, wait);
      return;
    }
    this.#send({ kind: 'playlist', t0: 0 }, this.#playlistPath);
  }

  #send(pending: Pending, path: string): void {
    const now = performance.now();
    pending.t0 = now;
    if (pending.kind === 'playlist' && this.#firstRequestMs < 0) this.#firstRequestMs = now;
    this.#pending = pending;
    this.#status = 0;
    this.#body = [];
    this.#bodyBytes = 0;
    this.#check.reset();
    this.#parser.next();
    const socket = this.#socket ?? this.#connect();
    const req = this.#ctx.request(path);
    if (this.#connected) socket.write(req);
    else socket.once('connect', () => socket.write(req));
  }

  #connect(): Socket {
    const ctx = this.#ctx;
    const socket = connect({ host: ctx.target.host, port: ctx.target.port, noDelay: true });
    this.#socket = socket;
    socket.once('connect', () => {
      this.#connected = true;
      ctx.counters.connected++;
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.#socket === socket) this.#parser.push(chunk);
    });
    socket.once('error', (err) => {
      if (this.#socket === socket) this.#lost(socketErrorKind(err));
    });
    socket.once('close', () => {
      if (this.#socket === socket) this.#lost('closed');
    });
    return socket;
  }

  // The connection ended: harmless between requests (keep-alive timeout: reconnect on the next one),
  // an error inside one.
  #lost(kind: string): void {
    if (this.#connected) this.#ctx.counters.connected--;
    this.#connected = false;
    const s = this.#socket;
    this.#socket = null;
    s?.destroy();
    if (this.#pending && !this.#done) this.#fail(kind);
  }

  #onHead(head: ResponseHead): void {
    this.#status = head.status;
  }

  #onBody(chunk: Buffer): void {
    this.#bodyBytes += chunk.length;
    this.#ctx.received(chunk.length);
    if (this.#pending?.kind === 'segment') {
      // Segments are checked as they stream by, never held.
      if (this.#ctx.options.validate !== 'off') this.#check.push(chunk);
      return;
    }
    if (this.#bodyBytes > MAX_PLAYLIST_BYTES) return this.#fail('playlist_too_large');
    this.#body.push(chunk);
  }

  #onComplete(): void {
    const pending = this.#pending;
    if (!pending || this.#done) return;
    this.#pending = null;
    const now = performance.now();
    if (pending.kind === 'playlist') {
      const body = this.#body.length === 1 ? this.#body[0]! : Buffer.concat(this.#body);
      this.#body = [];
      this.#playlistDone(pending.t0, now, body);
    } else this.#segmentDone(pending.t0, now, pending.durationS);
    this.#next();
  }

  #playlistDone(t0: number, now: number, body: Buffer): void {
    const ctx = this.#ctx;
    if (this.#status !== 200) {
      ctx.error(`playlist_http_${this.#status}`);
      this.#reloadAtMs = now + RETRY_MS;
      return;
    }
    ctx.counters.playlists++;
    const first = this.#playlists++ === 0;
    recordMs(first && this.spec.cold ? ctx.hist.playlistCold : ctx.hist.playlist, now - t0);
    const pl = parsePlaylist(body.toString('utf8'));
    if (pl.kind === 'multivariant') {
      this.#playlistPath = this.#resolve(pl.variantUri, this.#playlistPath) ?? this.#playlistPath;
      this.#reloadAtMs = now;
      return;
    }
    if (pl.kind === 'error') {
      ctx.error('playlist_invalid');
      this.#reloadAtMs = now + RETRY_MS;
      return;
    }
    this.#targetS = pl.targetDurationS;
    const segs = pl.segments;
    const last = segs[segs.length - 1];
    const signature = `${pl.mediaSequence}/${last?.seq ?? -1}`;
    const changed = signature !== this.#lastSignature;
    this.#lastSignature = signature;
    // §6.3.4: wait a target duration after the start of a load that changed, half of one otherwise.
    this.#reloadAtMs = t0 + (changed ? this.#targetS : this.#targetS / 2) * 1000;
    if (this.#lastSeq < 0 && segs.length > 0)
      this.#lastSeq = segs[Math.max(0, segs.length - LIVE_EDGE_SEGMENTS)]!.seq - 1;
    for (const s of segs) {
      if (s.seq <= this.#lastSeq) continue;
      const path = this.#resolve(s.uri, this.#playlistPath);
      if (path === null) {
        ctx.error('segment_foreign_host');
        continue;
      }
      this.#queue.push({ seq: s.seq, path, durationS: s.durationS });
      this.#lastSeq = s.seq;
    }
  }

  #segmentDone(t0: number, now: number, durationS: number): void {
    const ctx = this.#ctx;
    if (this.#status !== 200) {
      ctx.error(`segment_http_${this.#status}`);
      return;
    }
    ctx.counters.segments++;
    ctx.counters.segmentBytes += this.#bodyBytes;
    if (ctx.windowOpen) ctx.windowSegments++;
    recordMs(ctx.hist.segment, now - t0);
    if (ctx.options.validate !== 'off' && !this.#check.ok()) ctx.totals.segmentsInvalid++;
    if (!this.#startedUp) {
      this.#startedUp = true;
      ctx.counters.joined++;
      recordMs(ctx.hist.hlsStartup, now - this.#firstRequestMs);
      this.#onJoined();
    }
    if (ctx.options.pace !== 'realtime') return;
    this.#playout ??= new Playout(ctx.options.bufferS, now);
    const p = this.#playout;
    const before = p.stalls;
    p.add(durationS, now);
    if (p.stalls > before) ctx.stalled(p.stalls - before);
  }

  // A URI of the playlist as a path on the same server, or null for another host.
  #resolve(uri: string, base: string): string | null {
    const t = this.#ctx.target;
    const origin = `http://${t.authority}`;
    const u = new URL(uri, `${origin}${t.prefix}${base}`);
    if (u.host !== t.authority) return null;
    const path = `${u.pathname}${u.search}`;
    return t.prefix && path.startsWith(t.prefix) ? path.slice(t.prefix.length) : path;
  }

  #fail(kind: string): void {
    if (this.#done) return;
    this.#ctx.error(kind);
    this.#stop();
    this.#onJoined();
  }

  #stop(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#pending = null;
    if (this.#connected) this.#ctx.counters.connected--;
    this.#connected = false;
    const s = this.#socket;
    this.#socket = null;
    s?.destroy();
  }
}

/**
 * A segment checked as it streams: PAT first, then a non-null packet (the PMT), every packet in sync, whole
 * packets only (RFC 8216 §3.2: a TS segment carries its PAT and PMT).
 */
class SegmentCheck {
  #pos = 0;
  #firstPids: number[] = [];
  #head = Buffer.alloc(3);
  #headLen = 0;
  #sync = true;

  reset(): void {
    this.#pos = 0;
    this.#firstPids = [];
    this.#headLen = 0;
    this.#sync = true;
  }

  push(chunk: Buffer): void {
    // Offset in `chunk` of the next packet start.
    let off = (TS_PACKET_SIZE - (this.#pos % TS_PACKET_SIZE)) % TS_PACKET_SIZE;
    if (this.#headLen > 0) {
      // A packet header split across chunks: finish it first.
      const n = Math.min(3 - this.#headLen, chunk.length);
      chunk.copy(this.#head, this.#headLen, 0, n);
      this.#headLen += n;
      if (this.#headLen === 3) {
        this.#header(this.#head, 0);
        this.#headLen = 0;
      }
    }
    for (; off < chunk.length; off += TS_PACKET_SIZE) {
      if (off + 3 <= chunk.length) this.#header(chunk, off);
      else {
        chunk.copy(this.#head, 0, off);
        this.#headLen = chunk.length - off;
      }
    }
    this.#pos += chunk.length;
  }

  #header(data: Buffer, off: number): void {
    if (data[off] !== SYNC_BYTE) this.#sync = false;
    if (this.#firstPids.length < 2) this.#firstPids.push(readPid(data, off));
  }

  ok(): boolean {
    return (
      this.#sync &&
      this.#pos >= 2 * TS_PACKET_SIZE &&
      this.#pos % TS_PACKET_SIZE === 0 &&
      this.#firstPids[0] === PAT_PID &&
      this.#firstPids[1] !== NULL_PID
    );
  }
}
