/**
 * HLS on any shard, from the shared ring: the live playlist is rendered from the stream's segment index
 * (cached per index version, no locks, no waiting on the owner except for a new stream's first segment,
 * with a deadline), and segments are byte ranges of the ring served with PAT/PMT first and a
 * Content-Length. HLS players hold no socket between requests, so the shard keeps one "presence" lease per
 * stream while any of its HLS players polled within the viewer timeout.
 */

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import {
  LIVE_PLAYLIST_CACHE_CONTROL,
  PLAYLIST_CONTENT_TYPE,
  type PlaylistEntry,
  PlaylistRenderer,
  SEGMENT_CACHE_CONTROL,
  SEGMENT_CONTENT_TYPE,
} from '@shardcast/hls';
import type { Recorder } from '@shardcast/metrics';
import { TS_PACKET_SIZE } from '@shardcast/ring';
import type { GatewayConfig } from '../config/types.js';
import { statusLine } from '../errors.js';
import { type HlsTiming, hlsTiming, listingMarginBytes, windowMicros } from '../hls-timing.js';
import { failReply } from '../http/guard.js';
import { sendKnownLength } from '../http/known-length.js';
import { endHead, markStarted, Reply, type RequestContext } from '../http/respond.js';
import type { Logger } from '../log.js';
import { parseKeyToken } from '../stream-key.js';
import { parseStreamQuery } from './query.js';
import type { LocalStream, StreamTable } from './streams.js';

const FIRST_SEGMENT_POLL_MS = 50;
/** Presence sweep period: at most this, and at least twice per viewer timeout. */
const PRESENCE_SWEEP_MAX_MS = 5000;
const PRESENCE_SWEEP_MIN_MS = 250;
const SEGMENT_PATH = /^(\d{1,15})\.ts$/;

interface StreamHls {
  readonly stream: LocalStream;
  readonly renderer: PlaylistRenderer;
  version: number;
  body: string | null;
  /** Presence lease held by this shard for its HLS players. */
  leased: boolean;
  /** viewer key (address + user agent) → last request ms */
  readonly viewers: Map<string, number>;
  lastSeenMs: number;
}

export class HlsService {
  readonly #streams: StreamTable;
  readonly #recorder: Recorder;
  readonly #accepting: () => boolean;
  readonly #timing: HlsTiming;
  readonly #windowUs: number;
  readonly #byStream = new Map<number, StreamHls>();
  readonly #sweep: NodeJS.Timeout;

  readonly #log: Logger;

  constructor(
    config: GatewayConfig,
    streams: StreamTable,
    recorder: Recorder,
    accepting: () => boolean,
    log: Logger,
  ) {
    this.#log = log;
    this.#streams = streams;
    this.#recorder = recorder;
    this.#accepting = accepting;
    this.#timing = hlsTiming(config);
    this.#windowUs = windowMicros(this.#timing);
    const sweepMs = Math.min(
      PRESENCE_SWEEP_MAX_MS,
      Math.max(PRESENCE_SWEEP_MIN_MS, this.#timing.viewerTimeoutMs / 2),
    );
    this.#sweep = setInterval(() => this.#expire(Date.now()), sweepMs);
    this.#sweep.unref();
  }

  viewersOf(streamId: number): number {
    return this.#byStream.get(streamId)?.viewers.size ?? 0;
  }

  /** `GET/HEAD /ace/manifest.m3u8?id=|infohash=` */
  playlist(res: HttpResponse, req: HttpRequest, ctx: RequestContext): void {
    const t0 = performance.now();
    const viewer = viewerKey(res, req);
    const parsed = parseStreamQuery(req.getQuery() ?? '');
    const reply = new Reply(res, ctx);
    if (parsed.error) return reply.error(parsed.error);
    if (!this.#accepting()) return reply.error('SC_ERR_SHUTTING_DOWN');
    const local = this.#streams.byToken(parsed.key.kind === 'id' ? parsed.key.hex : `ih-${parsed.key.hex}`);
    const hls = local?.playable ? this.#byStream.get(local.id) : undefined;
    const ready = hls?.leased ? this.#render(hls) : null;
    if (hls && ready !== null) {
      // Hot path, synchronous: this shard already holds the presence lease; the playlist is the cached
      // text of the current index version, or rendered once for a new version.
      this.#touch(hls, viewer);
      this.#sendPlaylist(reply, ready);
      this.#recorder.recordMs('hls_manifest_generation', performance.now() - t0, true);
      return;
    }
    void this.#streams
      .acquire(parsed.key)
      .then(async (acquired) => {
        if (!acquired.stream) {
          this.#recorder.recordMs('hls_manifest_generation', performance.now() - t0, false);
          return reply.error(acquired.error.code, acquired.error.message);
        }
        const state = this.#state(acquired.stream);
        if (state.leased) acquired.stream.control.release();
        else state.leased = true;
        this.#touch(state, viewer);
        // The deadline runs from here: opening the stream had its own (--open-timeout-seconds).
        const body = await this.#waitForPlaylist(state, performance.now());
        if (reply.done) return;
        if (body === null) {
          this.#recorder.recordMs('hls_manifest_generation', performance.now() - t0, false);
          return reply.error('SC_ERR_NOT_READY');
        }
        this.#sendPlaylist(reply, body);
        this.#recorder.recordMs('hls_manifest_generation', performance.now() - t0, true);
      })
      .catch((err: unknown) => failReply(this.#log, reply, err));
  }

  /** `GET/HEAD /ace/hls/<stream>/<seq>.ts` */
  segment(res: HttpResponse, req: HttpRequest, ctx: RequestContext): void {
    const t0 = performance.now();
    const token = req.getParameter(0) ?? '';
    const name = req.getParameter(1) ?? '';
    const viewer = viewerKey(res, req);
    const reply = new Reply(res, ctx);
    const m = SEGMENT_PATH.exec(name);
    if (!parseKeyToken(token) || !m) return reply.error('SC_ERR_SEGMENT_NOT_FOUND');
    const stream = this.#streams.byToken(token);
    const entry = stream?.reader.readSegment(Number(m[1]));
    if (!stream || !entry) return reply.error('SC_ERR_SEGMENT_NOT_FOUND');
    const state = this.#byStream.get(stream.id);
    // A segment request keeps the presence lease and a known viewer alive, but only playlist polls add
    // viewers: a player's segment requests may land on another shard (another connection), which would
    // count it twice.
    if (state) this.#touch(state, viewer, false);
    const { psi, start, end } = entry;
    const total = psi.length + (end - start);
    const reader = stream.reader;
    reply.done = true;
    markStarted(res);
    res.cork(() => {
      res.writeStatus(statusLine(200));
      res.writeHeader('Content-Type', SEGMENT_CONTENT_TYPE);
      res.writeHeader('Cache-Control', SEGMENT_CACHE_CONTROL);
      for (const [k, v] of ctx.cors) res.writeHeader(k, v);
      if (ctx.head) {
        endHead(res, total);
        return;
      }
      sendKnownLength(
        res,
        {
          total,
          // PAT/PMT first (ISO/IEC 13818-1 decoders need them before the keyframe), then the ring bytes.
          pieceAt: (offset, max) => {
            if (offset < psi.length) return psi.subarray(offset, Math.min(psi.length, offset + max));
            // uWS may have taken part of a packet under backpressure: read whole packets, then trim.
            const from = start + (offset - psi.length);
            const skip = (from - start) % TS_PACKET_SIZE;
            const alignedFrom = from - skip;
            const alignedTo = Math.min(
              end,
              alignedFrom + Math.max(1, Math.floor(max / TS_PACKET_SIZE)) * TS_PACKET_SIZE,
            );
            return reader.regions(alignedFrom, alignedTo).first.subarray(skip);
          },
          stillValid: () => reader.intact(start),
        },
        (outcome) => {
          const ok = outcome === 'done';
          if (ok) stream.counters.hlsSegmentsServed++;
          else if (outcome === 'invalidated') stream.counters.drops++;
          this.#recorder.recordMs('hls_segment_delivery', performance.now() - t0, ok);
        },
      );
    });
  }

  /** The stream is gone: forget its playlist state (its ring lease died with it). */
  forget(streamId: number): void {
    this.#byStream.delete(streamId);
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const s of this.#byStream.values()) if (s.leased && !s.stream.detached) s.stream.control.release();
    this.#byStream.clear();
  }

  #state(stream: LocalStream): StreamHls {
    let s = this.#byStream.get(stream.id);
    if (!s) {
      const t = this.#timing;
      s = {
        stream,
        renderer: new PlaylistRenderer({
          targetDuration: t.targetDuration,
          windowSeconds: t.windowSeconds,
          uri: (seq) => `hls/${stream.token}/${seq}.ts`,
        }),
        version: -1,
        body: null,
        leased: false,
        viewers: new Map(),
        lastSeenMs: 0,
      };
      this.#byStream.set(stream.id, s);
    }
    return s;
  }

  #touch(s: StreamHls, viewer: string, add = true): void {
    const now = Date.now();
    s.lastSeenMs = now;
    if (add || s.viewers.has(viewer)) s.viewers.set(viewer, now);
  }

  /** The playlist for the current index version (rendered once per version), waiting for a first segment. */
  async #waitForPlaylist(s: StreamHls, since: number): Promise<string | null> {
    for (;;) {
      const body = this.#render(s);
      if (body !== null) return body;
      if (performance.now() - since > this.#timing.firstSegmentDeadlineMs || s.stream.detached) return null;
      await new Promise((r) => setTimeout(r, FIRST_SEGMENT_POLL_MS));
    }
  }

  #render(s: StreamHls): string | null {
    const reader = s.stream.reader;
    const version = reader.indexVersion;
    if (version === s.version && s.body !== null) return s.body;
    const bounds = reader.segmentBounds();
    if (!bounds || bounds.firstAvailable > bounds.last) return null;
    // A segment is listed only while it will outlive its removal by the RFC 8216 §6.2.2 time.
    const safeFrom = reader.oldestSafe(
      listingMarginBytes(this.#timing, reader.capacityBytes, s.stream.control.bitrate),
    );
    // Newest first, just enough to cover the window (selectWindow takes the newest that fill it).
    const entries: PlaylistEntry[] = [];
    let covered = 0;
    for (let seq = bounds.last; seq >= bounds.firstAvailable && covered < this.#windowUs; seq--) {
      const e = reader.readSegment(seq);
      if (!e) break;
      if (e.start < safeFrom) {
        // Older ones are even closer to being overwritten: the window stops here.
        entries.push({ ...e, available: false });
        break;
      }
      entries.push(e);
      covered += e.durationUs;
    }
    entries.reverse();
    const body = s.renderer.render(entries);
    if (body === null) return null;
    s.body = body;
    s.version = version;
    return body;
  }

  #sendPlaylist(reply: Reply, body: string): void {
    reply.end(
      200,
      [
        ['Content-Type', PLAYLIST_CONTENT_TYPE],
        ['Cache-Control', LIVE_PLAYLIST_CACHE_CONTROL],
      ],
      body,
    );
  }

  /** Drops viewers that stopped polling; releases the presence lease when none is left. */
  #expire(now: number): void {
    const timeout = this.#timing.viewerTimeoutMs;
    for (const s of this.#byStream.values()) {
      for (const [k, at] of s.viewers) if (now - at > timeout) s.viewers.delete(k);
      if (s.leased && now - s.lastSeenMs > timeout) {
        s.leased = false;
        s.stream.control.release();
      }
    }
  }
}

function viewerKey(res: HttpResponse, req: HttpRequest): string {
  const addr = Buffer.from(res.getRemoteAddressAsText()).toString();
  return `${addr} ${req.getHeader('user-agent')}`;
}
