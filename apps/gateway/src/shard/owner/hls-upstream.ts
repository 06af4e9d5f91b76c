/**
 * One HLS engine session: poll the engine's live media playlist at the RFC 8216 §6.3.4 cadence and append
 * EVERY new segment, oldest first, to the ingest (not only the newest, which is how the proxy we replace
 * lost media). Segments are fetched one at a time over the engine client's keep-alive pool, and only from
 * URLs that resolve to the engine's own origin (a URL source's client takes other hosts too, within its
 * address guard). Relative URIs resolve against the URL that answered the playlist, after any redirects
 * (RFC 8216 §4.1), while every reload starts at the listed URL again. Lost segments (expired upstream, fell out of the window
 * between polls, EXT-X-GAP, refused URL) and upstream discontinuities or restarts become a discontinuity
 * of the sink, i.e. a new ring generation.
 *
 *   load playlist ─► tracker.update ─► fetch each new segment ─► sink ─► sleep until began + reloadMs ─┐
 *        ▲                                                                                           │
 *        └───────────────────────────────────────────────────────────────────────────────────────────┘
 * The tracker lives as long as this object, so a rerun after a stall continues where it stopped.
 */
import { type EngineClient, isEngineError } from '@shardcast/engine-client';
import { type MediaPlaylist, type ParsedSegment, parsePlaylist, UpstreamTracker } from '@shardcast/hls';
import type { Recorder } from '@shardcast/metrics';
import { SYNC_BYTE, TS_PACKET_SIZE } from '@shardcast/mpegts';
import { type Logger, redactTokens } from '../../log.js';
import { sleep } from './sleep.js';
import { type Upstream, type UpstreamSink, UpstreamStall, UpstreamUnsupported } from './upstream.js';

/** Segments taken from the live edge when a session starts (what hls.js and ffmpeg do, §6.3.3). */
const LIVE_EDGE_SEGMENTS = 3;
const SKIPPED = { bytes: 0, media: false } as const;
/** A retryable failure of one fetch is retried once after this pause before the run fails. */
const RETRY_DELAY_MS = 300;

/** Settings of an {@link HlsUpstream}. */
export interface HlsUpstreamOptions {
  readonly client: EngineClient;
  /** The session's `playback_url`: the engine's media (or master) playlist, on the engine's origin. */
  readonly playlistUrl: string;
  /** No new segment for this long: the run fails with {@link UpstreamStall}. */
  readonly stallMs: number;
  readonly sink: UpstreamSink;
  readonly recorder: Recorder;
  readonly log: Logger;
}

/** An HLS engine session as an {@link Upstream}. Single-threaded; `run` is never called concurrently. */
export class HlsUpstream implements Upstream {
  readonly kind = 'hls';
  readonly #o: HlsUpstreamOptions;
  readonly #tracker = new UpstreamTracker({ liveEdgeSegments: LIVE_EDGE_SEGMENTS });
  /** The media (or master) playlist URL fetched on every reload: the listed one, never a redirect's target. */
  #playlistUrl: string;
  /** The URL that answered the last load (after redirects, for a URL source): relative URIs resolve against it. */
  #baseUrl: string;
  /** The next segment starts a new timeline: a new session, or something was lost before it. */
  #pendingDiscontinuity = true;
  #warnedForeign = false;

  constructor(options: HlsUpstreamOptions) {
    this.#o = options;
    this.#playlistUrl = options.playlistUrl;
    this.#baseUrl = options.playlistUrl;
  }

  async run(signal: AbortSignal): Promise<number> {
    let bytes = 0;
    let progressMs = Date.now();
    while (!signal.aborted) {
      const began = Date.now();
      const update = this.#tracker.update(await this.#loadPlaylist(signal));
      // The tracker also flags the first segment after a gap or restart; this covers a skipped one too.
      if (update.missed > 0 || update.restarted) this.#pendingDiscontinuity = true;
      for (const seg of update.segments) {
        if (signal.aborted) return bytes;
        const got = await this.#ingest(seg, signal);
        bytes += got.bytes;
        // A segment of padding or of PIDs the program does not list is no progress.
        if (got.media) progressMs = Date.now();
      }
      // EXT-X-ENDLIST: the broadcast ended; the owner decides whether to reopen.
      if (update.ended || update.reloadMs === null) return bytes;
      if (Date.now() - progressMs >= this.#o.stallMs) {
        throw new UpstreamStall(`no new upstream HLS segment with media for ${this.#o.stallMs / 1000} s`);
      }
      await sleep(Math.max(0, began + update.reloadMs - Date.now()), signal);
    }
    return bytes;
  }

  /** Loads and checks the media playlist; a master playlist is followed once to its best variant. */
  async #loadPlaylist(signal: AbortSignal, followed = false): Promise<MediaPlaylist> {
    // Each reload starts at the listed URL: a redirect's target often carries a token that expires.
    const { text, url } = await retryOnce(
      () => this.#o.client.fetchTextAt(this.#playlistUrl, { signal }),
      signal,
    );
    this.#baseUrl = url;
    const parsed = parsePlaylist(text, url);
    if (!parsed.ok) throw new Error(`engine HLS playlist refused: ${parsed.error.message}`);
    const p = parsed.value;
    if (p.kind === 'master') {
      if (followed || p.variants.length === 0) {
        throw new UpstreamUnsupported('the engine HLS playlist names no media playlist');
      }
      // The highest bandwidth: an engine relays one broadcast, the best rendition of it is the one to keep.
      const best = p.variants.reduce((a, b) => (b.bandwidth > a.bandwidth ? b : a));
      this.#playlistUrl = this.#o.client.resolveUrl(best.uri, url).url;
      return this.#loadPlaylist(signal, true);
    }
    refuseUnsupported(p);
    return p;
  }

  /** Fetches one listed segment and hands it to the sink: the bytes ingested (0 = skipped), and whether they were media. */
  async #ingest(seg: ParsedSegment, signal: AbortSignal): Promise<{ bytes: number; media: boolean }> {
    const o = this.#o;
    if (seg.discontinuity) this.#pendingDiscontinuity = true;
    // EXT-X-GAP: the segment must not be loaded (RFC 8216bis §4.4.4.7).
    if (seg.gap) return this.#skip(seg, 'gap');
    let url: string;
    try {
      // Never a URL the client may not fetch: off an engine's own host, or (a URL source) into a private network.
      url = o.client.resolveUrl(seg.uri, this.#baseUrl).url;
    } catch {
      if (!this.#warnedForeign) {
        this.#warnedForeign = true;
        o.log.warn(
          { uri: redactTokens(seg.uri).slice(0, 200) },
          "playlist names a segment the gateway may not fetch (off the engine's origin, or a private address); skipped",
        );
      }
      return this.#skip(seg, 'foreign');
    }
    const t0 = performance.now();
    let bytes: Uint8Array;
    try {
      bytes = await retryOnce(() => o.client.fetchBytes(url, { signal }), signal);
      o.recorder.recordMs('hls_segment_fetch', performance.now() - t0, true);
    } catch (err) {
      o.recorder.recordMs('hls_segment_fetch', performance.now() - t0, false);
      // Expired upstream (404) or too large: lose this one segment, keep the session.
      if (!signal.aborted && isEngineError(err) && !err.retryable) return this.#skip(seg, err.code);
      throw err;
    }
    if (bytes.length === 0) return this.#skip(seg, 'empty');
    if (!looksLikeTs(bytes)) {
      throw new UpstreamUnsupported('the engine HLS segments are not MPEG-TS (fMP4 or packed audio?)');
    }
    if (this.#pendingDiscontinuity) {
      this.#pendingDiscontinuity = false;
      o.sink.discontinuity();
    }
    const media = o.sink.data(bytes, Date.now());
    return { bytes: bytes.length, media };
  }

  #skip(seg: ParsedSegment, why: string): { bytes: number; media: boolean } {
    this.#pendingDiscontinuity = true;
    this.#o.log.debug({ seq: seg.seq, why }, 'engine HLS segment skipped');
    return SKIPPED;
  }
}

/** Encrypted, fMP4 and byte-range playlists cannot be concatenated into one TS byte stream. */
function refuseUnsupported(p: MediaPlaylist): void {
  for (const s of p.segments) {
    if (s.key) {
      throw new UpstreamUnsupported(
        `the engine HLS playlist is encrypted (EXT-X-KEY METHOD=${s.key.method}); Shardcast cannot ingest it`,
      );
    }
    if (s.map) {
      throw new UpstreamUnsupported(
        'the engine HLS playlist carries fMP4 segments (EXT-X-MAP); Shardcast ingests MPEG-TS only',
      );
    }
    if (s.byteRange) {
      throw new UpstreamUnsupported('the engine HLS playlist uses byte-range segments (EXT-X-BYTERANGE)');
    }
  }
}

/** A TS segment starts on a packet: sync byte at 0 and again one packet later (ISO/IEC 13818-1 §2.4.3.2). */
function looksLikeTs(b: Uint8Array): boolean {
  return b[0] === SYNC_BYTE && (b.length <= TS_PACKET_SIZE || b[TS_PACKET_SIZE] === SYNC_BYTE);
}

async function retryOnce<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (signal.aborted || !isEngineError(err) || !err.retryable) throw err;
    await sleep(RETRY_DELAY_MS, signal);
    return fn();
  }
}
