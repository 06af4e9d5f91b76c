// Media playlist rendering. `renderMediaPlaylist` is the plain function; `PlaylistRenderer` keeps the
// text of each segment between versions, so a new playlist version formats only its new segments.

import { HlsError } from './errors.js';
import { type PlaylistWindow, selectWindow, type WindowOptions } from './playlist.js';
import type { PlaylistEntry } from './types.js';

/** Rendering options; the window options decide which segments are listed. */
export interface RenderOptions extends WindowOptions {
  /** URI line of a segment, relative to the playlist URL or absolute. Must not contain a line break. */
  readonly uri: (seq: number) => string;
  /** Emit EXT-X-INDEPENDENT-SEGMENTS when every listed segment is independent. Default true. */
  readonly independent?: boolean;
  /** Emit EXT-X-PROGRAM-DATE-TIME on the first segment and after every discontinuity. Default true. */
  readonly programDateTime?: boolean;
  /** EXT-X-VERSION; at least 3 because EXTINF carries decimals (RFC 8216 §7). Default 3. */
  readonly version?: number;
  /** Append EXT-X-ENDLIST: only once the stream has ended for good, never while live (§4.3.3.4). */
  readonly endList?: boolean;
}

const DEFAULT_VERSION = 3;
// Decimal-floating-point EXTINF durations need protocol version 3 (RFC 8216 §4.3.2.1, §7).
const MIN_VERSION = 3;
const US_PER_MS = 1000;
const MS_PER_SECOND = 1000;
// The segment text cache may hold at most this many times the window's segment count.
const CACHE_SLACK = 4;

/** EXTINF duration with 3 decimals, rounded to the millisecond: 4000000 µs → "4.000". */
export function formatExtinf(durationUs: number): string {
  const ms = Math.round(durationUs / US_PER_MS);
  const frac = ms % MS_PER_SECOND;
  return `${(ms - frac) / MS_PER_SECOND}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

/** EXT-X-PROGRAM-DATE-TIME value: ISO 8601 with milliseconds and a time zone (RFC 8216 §4.3.2.6). */
export function formatProgramDateTime(ms: number): string {
  return new Date(ms).toISOString();
}

function checkVersion(options: RenderOptions): number {
  const v = options.version ?? DEFAULT_VERSION;
  if (!Number.isSafeInteger(v) || v < MIN_VERSION) {
    throw new HlsError('SC_ERR_HLS_OPTION', 'version must be an integer of at least 3.');
  }
  return v;
}

function pdtLine(ms: number): string {
  return `#EXT-X-PROGRAM-DATE-TIME:${formatProgramDateTime(ms)}\n`;
}

function segmentText(e: PlaylistEntry, uri: string, programDateTime: boolean): string {
  let text = '';
  // A discontinuity tag precedes the first segment after any upstream change (RFC 8216 §4.3.2.3).
  if (e.discontinuity) {
    text += '#EXT-X-DISCONTINUITY\n';
    // Re-date the new timeline: dates do not carry across a discontinuity (§4.3.2.6).
    if (programDateTime && e.programDateTimeMs > 0) text += pdtLine(e.programDateTimeMs);
  }
  return `${text}#EXTINF:${formatExtinf(e.durationUs)},\n${uri}\n`;
}

function header(window: PlaylistWindow, options: RenderOptions, version: number): string {
  let text =
    `#EXTM3U\n#EXT-X-VERSION:${version}\n` +
    // Constant for the stream's lifetime and >= every rounded EXTINF (RFC 8216 §4.3.3.1).
    `#EXT-X-TARGETDURATION:${options.targetDuration}\n` +
    `#EXT-X-MEDIA-SEQUENCE:${window.mediaSequence}\n` +
    // Keeps discontinuity numbers stable after flagged segments age out (§4.3.3.3, §6.2.2).
    `#EXT-X-DISCONTINUITY-SEQUENCE:${window.discontinuitySequence}\n`;
  // Only when true for every listed segment (§4.3.5.1).
  if ((options.independent ?? true) && window.allIndependent) text += '#EXT-X-INDEPENDENT-SEGMENTS\n';
  const head = window.segments[0];
  // Date the first segment so clients can map the whole playlist to wall-clock time (§4.3.2.6).
  if ((options.programDateTime ?? true) && head && !head.discontinuity && head.programDateTimeMs > 0) {
    text += pdtLine(head.programDateTimeMs);
  }
  return text;
}

/** Renders a media playlist for an already selected window. */
export function renderMediaPlaylist(window: PlaylistWindow, options: RenderOptions): string {
  const version = checkVersion(options);
  const pdt = options.programDateTime ?? true;
  let text = header(window, options, version);
  for (const e of window.segments) text += segmentText(e, options.uri(e.seq), pdt);
  return options.endList ? `${text}#EXT-X-ENDLIST\n` : text;
}

interface CachedSegment {
  readonly durationUs: number;
  readonly discontinuity: boolean;
  readonly programDateTimeMs: number;
  readonly text: string;
}

/**
 * Renders successive versions of one stream's playlist, reusing each segment's text. Not shared
 * between threads; one per stream per shard.
 */
export class PlaylistRenderer {
  readonly #options: RenderOptions;
  readonly #version: number;
  readonly #pdt: boolean;
  readonly #cache = new Map<number, CachedSegment>();
  #window: PlaylistWindow | null = null;

  constructor(options: RenderOptions) {
    this.#version = checkVersion(options);
    selectWindow([], options); // validates the window options now, not on the first request
    this.#options = options;
    this.#pdt = options.programDateTime ?? true;
  }

  /** The window of the last render, or null. */
  get window(): PlaylistWindow | null {
    return this.#window;
  }

  /** Selects the window from `entries` (oldest first) and renders it; null when nothing is listable. */
  render(entries: readonly PlaylistEntry[]): string | null {
    return this.renderWindow(selectWindow(entries, this.#options));
  }

  /** Renders a window already selected (see `selectWindowFrom`); null for none. */
  renderWindow(window: PlaylistWindow | null): string | null {
    this.#window = window;
    if (window === null) return null;
    let text = header(window, this.#options, this.#version);
    for (const e of window.segments) text += this.#segment(e);
    // Forget segments that left the window; Map order is insertion order, i.e. ascending seq.
    for (const seq of this.#cache.keys()) {
      if (seq >= window.mediaSequence) break;
      this.#cache.delete(seq);
    }
    // Seqs only grow, so this bound holds; it guards the cache if an index ever hands them out of order.
    if (this.#cache.size > CACHE_SLACK * window.segments.length) this.#cache.clear();
    return this.#options.endList ? `${text}#EXT-X-ENDLIST\n` : text;
  }

  #segment(e: PlaylistEntry): string {
    const hit = this.#cache.get(e.seq);
    if (
      hit &&
      hit.durationUs === e.durationUs &&
      hit.discontinuity === e.discontinuity &&
      hit.programDateTimeMs === e.programDateTimeMs
    ) {
      return hit.text;
    }
    const text = segmentText(e, this.#options.uri(e.seq), this.#pdt);
    this.#cache.set(e.seq, {
      durationUs: e.durationUs,
      discontinuity: e.discontinuity,
      programDateTimeMs: e.programDateTimeMs,
      text,
    });
    return text;
  }
}

/** The one variant of a multivariant playlist the gateway serves. */
export interface VariantLine {
  /** URI of the media playlist, relative or absolute. Must not contain a line break. */
  readonly uri: string;
  /** Peak bits per second (RFC 8216 §4.3.4.2: BANDWIDTH is required). */
  readonly bandwidth: number;
}

/**
 * A multivariant playlist listing one media playlist (RFC 8216 §4.3.4). A player loads it once and then
 * polls the variant's URI, so a URI that carries a per-player parameter identifies that player on every
 * reload, whatever its address, user agent or connection.
 */
export function renderMultivariantPlaylist(variant: VariantLine, version = DEFAULT_VERSION): string {
  if (/[\r\n]/.test(variant.uri))
    throw new HlsError('SC_ERR_HLS_OPTION', 'the variant URI must not contain a line break.');
  if (!Number.isSafeInteger(variant.bandwidth) || variant.bandwidth <= 0) {
    throw new HlsError('SC_ERR_HLS_OPTION', 'BANDWIDTH must be a positive integer.');
  }
  return `#EXTM3U\n#EXT-X-VERSION:${version}\n#EXT-X-STREAM-INF:BANDWIDTH=${variant.bandwidth}\n${variant.uri}\n`;
}
