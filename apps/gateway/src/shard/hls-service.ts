/**
 * HLS on any shard, from the shared ring: the live playlist is rendered from the stream's segment index
 * (cached per index version, no locks, no waiting on the owner except for a new stream's first segment,
 * with a deadline), and segments are byte ranges of the ring served with PAT/PMT first and a
 * Content-Length. HLS players hold no socket between requests, so the shard keeps one "presence" lease per
 * stream while any of its HLS players polled within the viewer timeout.
 *
 * Viewers are sessions: a player's first request (no `session`) gets a one-variant multivariant playlist
 * whose media-playlist URI carries a fresh session id; every reload of that URI names the player, whatever
 * its address, user agent or connection (and so whichever shard answers). Shards report the sessions that
 * polled; main counts them once gateway-wide. Sessions per address are bounded, so one host cannot
 * inflate the figures (or the maps) by varying its user agent.
 */

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { randomBytes } from 'node:crypto';
import {
  coldStartReady,
  LIVE_PLAYLIST_CACHE_CONTROL,
  listingMarginBytes,
  PLAYLIST_CONTENT_TYPE,
  PlaylistRenderer,
  renderMultivariantPlaylist,
  SEGMENT_CACHE_CONTROL,
  SEGMENT_CONTENT_TYPE,
  selectWindowFrom,
} from '@shardcast/hls';
import type { Recorder } from '@shardcast/metrics';
import { TS_PACKET_SIZE } from '@shardcast/ring';
import { type Admission, TokenGate, tokenOf } from '../access/token-gate.js';
import type { GatewayConfig } from '../config/types.js';
import { type ErrorCode, statusLine } from '../errors.js';
import { type HlsTiming, hlsTiming, windowOptions } from '../hls-timing.js';
import { FULL_BODY, noneMatch, rangeOf } from '../http/conditional.js';
import { ForwardedTrust } from '../http/forwarded.js';
import { failReply } from '../http/guard.js';
import { sendKnownLength } from '../http/known-length.js';
import { endHead, markStarted, Reply, type RequestContext } from '../http/respond.js';
import type { Logger } from '../log.js';
import { keyString, parseKeyToken, type StreamKey } from '../stream-key.js';
import { type ParsedStream, parseStreamQuery } from './query.js';
import type { LocalStream, StreamTable } from './streams.js';
import { type TokenClient, TokenClients } from './token-clients.js';

const FIRST_SEGMENT_POLL_MS = 50;
/** Presence sweep period: at most this, and at least twice per viewer timeout. */
const PRESENCE_SWEEP_MAX_MS = 5000;
const PRESENCE_SWEEP_MIN_MS = 250;
/** A sequence number as the playlist writes it (no leading zero): one URL per segment, for caches. */
const SEGMENT_PATH = /^(0|[1-9]\d{0,14})\.ts$/;
/** BANDWIDTH of the multivariant playlist before the stream's bitrate is measured (bits/s). */
const DEFAULT_BANDWIDTH = 5_000_000;
/** Headroom over the measured mean bitrate: BANDWIDTH is a peak rate (RFC 8216 §4.3.4.2). */
const BANDWIDTH_HEADROOM = 1.25;
const SESSION_BYTES = 12;

interface Viewer {
  atMs: number;
  readonly address: string;
  /** The player token this session counts against (index -1: tokens off). */
  readonly admission: Admission;
  /** Its entry among the shard's token clients (null: tokens off), where a tokens reload can end it. */
  holder: TokenClient | null;
}

interface StreamHls {
  readonly stream: LocalStream;
  readonly renderer: PlaylistRenderer;
  version: number;
  body: string | null;
  /** Presence lease held by this shard for its HLS players. */
  leased: boolean;
  /** session id → last playlist poll and the address it came from */
  readonly viewers: Map<string, Viewer>;
  /** Sessions that polled since the last stats report (main counts them gateway-wide). */
  readonly polled: Set<string>;
  lastSeenMs: number;
}

export class HlsService {
  readonly #streams: StreamTable;
  readonly #recorder: Recorder;
  readonly #accepting: () => boolean;
  readonly #timing: HlsTiming;
  readonly #byStream = new Map<number, StreamHls>();
  /** Live sessions per client address, over every stream of this shard (bounded by the config). */
  readonly #perAddress = new Map<string, number>();
  readonly #maxPerAddress: number;
  readonly #sweep: NodeJS.Timeout;

  readonly #log: Logger;
  readonly #tokens: TokenGate;
  readonly #tokenClients: TokenClients;
  readonly #trust: ForwardedTrust;
  readonly #bootId: string;

  constructor(
    config: GatewayConfig,
    streams: StreamTable,
    recorder: Recorder,
    accepting: () => boolean,
    log: Logger,
    tokens: TokenGate = new TokenGate(null),
    trust: ForwardedTrust = new ForwardedTrust([]),
    bootId = '0',
    tokenClients: TokenClients = new TokenClients(tokens),
  ) {
    this.#bootId = bootId;
    this.#log = log;
    this.#tokens = tokens;
    this.#tokenClients = tokenClients;
    this.#trust = trust;
    this.#streams = streams;
    this.#recorder = recorder;
    this.#accepting = accepting;
    this.#timing = hlsTiming(config);
    this.#maxPerAddress = config.hlsSessionsPerAddress;
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

  /** The sessions of `streamId` that polled since the last call (for the stats report), then forgets them. */
  takePolled(streamId: number): string[] {
    const s = this.#byStream.get(streamId);
    if (!s || s.polled.size === 0) return [];
    const out = [...s.polled];
    s.polled.clear();
    return out;
  }

  /**
   * `GET/HEAD /ace/manifest.m3u8?id=|infohash=`: a multivariant playlist naming this viewer's session;
   * with `&session=`, the live media playlist.
   */
  playlist(
    res: HttpResponse,
    req: HttpRequest,
    ctx: RequestContext,
    parsed: ParsedStream = parseStreamQuery(req.getQuery() ?? ''),
  ): void {
    const t0 = performance.now();
    const address = this.#trust.origin(res, req).address;
    const reply = new Reply(res, ctx);
    const token = tokenOf(req.getQuery() ?? '');
    const gate = this.#tokens.admit(token, parsed.key);
    if (gate.error) return reply.error(gate.error);
    const admission = gate.ok;
    // Playlists carry the token on to the variant and the segments (IPTV players keep no cookies).
    const carry = this.#tokens.enabled && token !== null ? token : null;
    if (parsed.error) return reply.error(parsed.error);
    if (parsed.session === false) {
      return reply.error('SC_ERR_BAD_PARAM', 'session must be 8 to 64 letters, digits, - or _.');
    }
    if (!this.#accepting()) return reply.error('SC_ERR_SHUTTING_DOWN');
    const { key, session } = parsed;
    const local = this.#streams.byToken(keyString(key));
    const hls = local?.playable ? this.#byStream.get(local.id) : undefined;
    if (hls?.leased && session === null) {
      // Hot path for a new player of a playing stream: no waiting, the variant names its new session.
      hls.lastSeenMs = Date.now();
      this.#sendVariant(reply, hls, key, carry);
      return;
    }
    const ready = hls?.leased ? this.#render(hls) : null;
    if (hls && ready !== null && session !== null) {
      // Hot path, synchronous: this shard already holds the presence lease; the playlist is the cached
      // text of the current index version, or rendered once for a new version.
      const refused = this.#touch(hls, session, address, admission);
      if (refused) return reply.error(refused);
      this.#sendPlaylist(reply, ready, carry);
      this.#recorder.recordMs('hls_manifest_generation', performance.now() - t0, true);
      return;
    }
    void this.#streams
      .acquire(key)
      .then(async (acquired) => {
        if (!acquired.stream) {
          if (session !== null)
            this.#recorder.recordMs('hls_manifest_generation', performance.now() - t0, false);
          return reply.error(acquired.error.code, acquired.error.message);
        }
        const state = this.#state(acquired.stream);
        if (state.leased) acquired.stream.control.release();
        else state.leased = true;
        state.lastSeenMs = Date.now();
        if (session === null) {
          // The stream is open and ingesting; the player's first media-playlist poll waits for a segment.
          if (!reply.done) this.#sendVariant(reply, state, key, carry);
          return;
        }
        const refused = this.#touch(state, session, address, admission);
        if (refused) return reply.error(refused);
        // The deadline runs from here: opening the stream had its own (--open-timeout-seconds).
        const body = await this.#waitForPlaylist(state, session, performance.now());
        if (reply.done) return;
        if (body === null) {
          this.#recorder.recordMs('hls_manifest_generation', performance.now() - t0, false);
          return reply.error('SC_ERR_NOT_READY');
        }
        this.#sendPlaylist(reply, body, carry);
        this.#recorder.recordMs('hls_manifest_generation', performance.now() - t0, true);
      })
      .catch((err: unknown) => failReply(this.#log, reply, err));
  }

  /** `GET/HEAD /ace/hls/<stream>/<seq>.ts` */
  segment(res: HttpResponse, req: HttpRequest, ctx: RequestContext): void {
    const t0 = performance.now();
    const token = req.getParameter(0) ?? '';
    const name = req.getParameter(1) ?? '';
    const reply = new Reply(res, ctx);
    // The token is checked against the segment's stream: a token limited to some channels got the
    // segments of every other stream (their URLs are predictable) while their playlists answered 403.
    const key = parseKeyToken(token);
    const gate = this.#tokens.admit(tokenOf(req.getQuery() ?? ''), key);
    if (gate.error) return reply.error(gate.error);
    const m = SEGMENT_PATH.exec(name);
    if (!key || !m) return reply.error('SC_ERR_SEGMENT_NOT_FOUND');
    const stream = this.#streams.byToken(token);
    const entry = stream?.reader.readSegment(Number(m[1]));
    if (!stream || !entry) return reply.error('SC_ERR_SEGMENT_NOT_FOUND');
    // A segment request keeps this shard's presence lease alive; viewers are counted by their playlist
    // polls, which carry their session (segment URLs stay the same for every viewer, so caches share them).
    const state = this.#byStream.get(stream.id);
    if (state) state.lastSeenMs = Date.now();
    const { psi, start, end } = entry;
    const total = psi.length + (end - start);
    const reader = stream.reader;
    // A segment never changes once cut: its name in this stream's life in this run of the gateway.
    const etag = `"${this.#bootId}.${stream.id.toString(36)}.${m[1]}.${total.toString(36)}"`;
    const notModified = noneMatch(req.getHeader('if-none-match'), etag);
    const range = notModified
      ? FULL_BODY
      : rangeOf(req.getHeader('range'), total, etag, req.getHeader('if-range'));
    // An error like any other (JSON, not cacheable): only the segment itself is immutable.
    if (range.kind === 'unsatisfiable')
      return reply.error('SC_ERR_RANGE_NOT_SATISFIABLE', undefined, [['Content-Range', `bytes */${total}`]]);
    reply.done = true;
    markStarted(res);
    res.cork(() => {
      const status = notModified ? 304 : range.kind === 'partial' ? 206 : 200;
      res.writeStatus(statusLine(status));
      res.writeHeader('Content-Type', SEGMENT_CONTENT_TYPE);
      res.writeHeader('Cache-Control', SEGMENT_CACHE_CONTROL);
      res.writeHeader('ETag', etag);
      res.writeHeader('Accept-Ranges', 'bytes');
      for (const [k, v] of ctx.cors) res.writeHeader(k, v);
      if (notModified) {
        // A 304 has no body and describes the stored one: no Content-Length (RFC 9110 15.4.5).
        res.endWithoutBody();
        this.#recorder.recordMs('hls_segment_delivery', performance.now() - t0, true);
        return;
      }
      const from = range.kind === 'partial' ? range.start : 0;
      const length = range.kind === 'partial' ? range.end - range.start + 1 : total;
      if (range.kind === 'partial')
        res.writeHeader('Content-Range', `bytes ${range.start}-${range.end}/${total}`);
      if (ctx.head) {
        endHead(res, length);
        return;
      }
      sendKnownLength(
        res,
        {
          total: length,
          // PAT/PMT first (ISO/IEC 13818-1 decoders need them before the keyframe), then the ring bytes.
          pieceAt: (offset, max) => {
            const at = from + offset;
            const room = Math.min(max, length - offset);
            if (at < psi.length) return psi.subarray(at, Math.min(psi.length, at + room));
            // uWS may have taken part of a packet under backpressure, and a range may start anywhere:
            // read whole packets, then trim to where the body is and to what is left of it.
            const pos = start + (at - psi.length);
            const skip = (pos - start) % TS_PACKET_SIZE;
            const alignedFrom = pos - skip;
            const alignedTo = Math.min(
              end,
              alignedFrom + Math.max(1, Math.ceil((skip + room) / TS_PACKET_SIZE)) * TS_PACKET_SIZE,
            );
            const piece = reader.regions(alignedFrom, alignedTo).first.subarray(skip);
            return piece.length > room ? piece.subarray(0, room) : piece;
          },
          stillValid: () => reader.intact(start),
        },
        (outcome) => {
          const ok = outcome === 'done';
          if (ok && length === total) stream.counters.hlsSegmentsServed++;
          else if (outcome === 'invalidated') stream.counters.drops++;
          this.#recorder.recordMs('hls_segment_delivery', performance.now() - t0, ok);
        },
      );
    });
  }

  /** The stream is gone: forget its playlist state (its ring lease died with it). */
  forget(streamId: number): void {
    const s = this.#byStream.get(streamId);
    if (!s) return;
    for (const v of s.viewers.values()) this.#releaseViewer(v);
    this.#byStream.delete(streamId);
  }

  close(): void {
    clearInterval(this.#sweep);
    for (const s of this.#byStream.values()) {
      if (s.leased && !s.stream.detached) s.stream.control.release();
      for (const v of s.viewers.values()) {
        this.#tokens.release(v.admission);
        this.#tokenClients.remove(v.holder);
      }
    }
    this.#byStream.clear();
    this.#perAddress.clear();
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
        polled: new Set(),
        lastSeenMs: 0,
      };
      this.#byStream.set(stream.id, s);
    }
    return s;
  }

  /**
   * A playlist poll of `session`: it counts as a viewer unless its address is at its session bound. A new
   * session is also a client of its player token; null when served, else why not (the token is at its
   * limit, or a reload took it away while this request waited for the stream).
   */
  #touch(s: StreamHls, session: string, address: string, admission: Admission): ErrorCode | null {
    const now = Date.now();
    s.lastSeenMs = now;
    const known = s.viewers.get(session);
    if (known) {
      known.atMs = now;
    } else {
      const live = this.#perAddress.get(address) ?? 0;
      // Over the bound the player is still served, just not counted (nor remembered) — unless it plays
      // under a token, whose client count must see every session.
      if (live >= this.#maxPerAddress) return admission.index < 0 ? null : 'SC_ERR_TOKEN_LIMIT';
      // Admitted before the stream opened: a reload since then is enforced like on every other client.
      const revoked = this.#tokens.revoked(admission, s.stream.key);
      if (revoked) return revoked;
      if (!this.#tokens.acquire(admission)) return 'SC_ERR_TOKEN_LIMIT';
      this.#perAddress.set(address, live + 1);
      const viewer: Viewer = { atMs: now, address, admission, holder: null };
      // A reload that cuts this session forgets it: its slot is free at once, and its next poll is
      // checked like a new player's (401, 403, or counted again if its token still has room).
      viewer.holder = this.#tokenClients.add(admission, s.stream.key, 'hls', () => {
        if (s.viewers.get(session) !== viewer) return;
        s.viewers.delete(session);
        this.#releaseViewer(viewer);
      });
      s.viewers.set(session, viewer);
    }
    s.polled.add(session);
    return null;
  }

  #releaseViewer(v: Viewer): void {
    this.#releaseAddress(v.address);
    this.#tokens.release(v.admission);
    this.#tokenClients.remove(v.holder);
  }

  #releaseAddress(address: string): void {
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(address, left);
    else this.#perAddress.delete(address);
  }

  #sendVariant(reply: Reply, s: StreamHls, key: StreamKey, token: string | null): void {
    const bitrate = s.stream.control.bitrate;
    const bandwidth = bitrate > 0 ? Math.ceil(bitrate * BANDWIDTH_HEADROOM) : DEFAULT_BANDWIDTH;
    const session = randomBytes(SESSION_BYTES).toString('base64url');
    // Relative to this playlist, so proxies and path prefixes need no configuration.
    const uri =
      key.kind === 'channel'
        ? `${key.hex}.m3u8?session=${session}`
        : `manifest.m3u8?${key.kind === 'id' ? 'id' : 'infohash'}=${key.hex}&session=${session}`;
    const withToken = token === null ? uri : `${uri}&token=${encodeURIComponent(token)}`;
    reply.end(
      200,
      [
        ['Content-Type', PLAYLIST_CONTENT_TYPE],
        ['Cache-Control', 'no-store'],
      ],
      renderMultivariantPlaylist({ uri: withToken, bandwidth }),
    );
  }

  /**
   * The playlist for the current index version (rendered once per version), waiting for a new stream's
   * first playlist (the cold-start rule). A waiting request is a player polling: it keeps its session and
   * the stream's presence alive, however long the wait and however short the viewer timeout.
   */
  async #waitForPlaylist(s: StreamHls, session: string, since: number): Promise<string | null> {
    for (;;) {
      const body = this.#render(s);
      if (body !== null) return body;
      if (performance.now() - since > this.#timing.firstSegmentDeadlineMs || s.stream.detached) return null;
      const now = Date.now();
      s.lastSeenMs = now;
      const viewer = s.viewers.get(session);
      if (viewer) viewer.atMs = now;
      await new Promise((r) => setTimeout(r, FIRST_SEGMENT_POLL_MS));
    }
  }

  #render(s: StreamHls): string | null {
    const reader = s.stream.reader;
    const version = reader.indexVersion;
    if (version === s.version && s.body !== null) return s.body;
    const bounds = reader.segmentBounds();
    if (!bounds || bounds.firstAvailable > bounds.last) return null;
    // A segment is listed only while it will outlive its removal by the RFC 8216 §6.2.2 time; older ones
    // are even closer to being overwritten, so the window stops at the first that would not.
    const options = windowOptions(this.#timing);
    const safeFrom = reader.oldestSafe(
      listingMarginBytes(options, reader.capacityBytes, s.stream.control.bitrate),
    );
    const first = bounds.firstAvailable;
    const window = selectWindowFrom(
      bounds.last,
      (seq) => {
        if (seq < first) return null;
        const e = reader.readSegment(seq);
        return e && e.start >= safeFrom ? e : null;
      },
      options,
    );
    // Cold start: hold a new stream's first playlist until it lists enough media for the player's runway.
    if (!coldStartReady(window, Date.now(), this.#timing.coldStart)) return null;
    const body = s.renderer.renderWindow(window);
    if (body === null) return null;
    s.body = body;
    s.version = version;
    return body;
  }

  #sendPlaylist(reply: Reply, cached: string, token: string | null): void {
    // The cached text is shared by every viewer; a token is added to this answer's segment lines only.
    const body =
      token === null ? cached : cached.replace(/\.ts$/gm, `.ts?token=${encodeURIComponent(token)}`);
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
      for (const [k, v] of s.viewers) {
        if (now - v.atMs <= timeout) continue;
        s.viewers.delete(k);
        this.#releaseViewer(v);
      }
      if (s.leased && now - s.lastSeenMs > timeout) {
        s.leased = false;
        s.stream.control.release();
      }
    }
  }
}
