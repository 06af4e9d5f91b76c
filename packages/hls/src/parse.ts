// Upstream playlist parser: media and master playlists (RFC 8216 §4). Tolerant of what real servers
// send (CRLF, a BOM, blank lines, unknown tags, a missing target duration); refuses what would make
// the segment list wrong. Never throws: errors come back as data (HlsParseError).

import {
  parseAttributes,
  parseByteRange,
  parseDecimalFloat,
  parseDecimalInteger,
  parseResolution,
} from './attributes.js';
import { type HlsErrorCode, HlsParseError, type ParseResult } from './errors.js';
import type {
  ByteRange,
  MasterPlaylist,
  MediaPlaylist,
  ParsedSegment,
  Playlist,
  SegmentKey,
  SegmentMap,
  Variant,
} from './types.js';

/** Parser limits. */
export interface ParseOptions {
  /** Longest accepted text, in UTF-16 code units. Default 2 MiB. */
  readonly maxChars?: number;
}

const DEFAULT_MAX_CHARS = 2 * 1024 * 1024;
const BOM = '\uFEFF';
const US_PER_SECOND = 1_000_000;
const US_PER_MS = 1000;

class Fail {
  constructor(
    readonly code: HlsErrorCode,
    readonly message: string,
    readonly line: number,
  ) {}
}

function resolve(uri: string, base: string, line: number): string {
  try {
    // Relative URIs resolve against the playlist URL (RFC 8216 §4.1, RFC 3986 §5).
    return new URL(uri, base).href;
  } catch {
    throw new Fail('SC_ERR_HLS_BAD_URI', `Cannot resolve URI "${uri.slice(0, 200)}"`, line);
  }
}

function attributes(value: string, tag: string, line: number): Map<string, string> {
  const attrs = parseAttributes(value);
  if (attrs === null) throw new Fail('SC_ERR_HLS_BAD_TAG', `Malformed attribute list in ${tag}`, line);
  return attrs;
}

function integer(value: string, tag: string, line: number): number {
  const v = parseDecimalInteger(value.trim());
  if (v === undefined) throw new Fail('SC_ERR_HLS_BAD_TAG', `${tag} needs a decimal integer`, line);
  return v;
}

/** Mutable state of one parse. */
class State {
  version = 1;
  targetDuration: number | undefined;
  mediaSequence = 0;
  discontinuitySequence = 0;
  playlistType: 'EVENT' | 'VOD' | undefined;
  endList = false;
  independent = false;
  encrypted = false;
  segments: ParsedSegment[] = [];
  variants: Variant[] = [];
  // Pending tags for the next URI line.
  extinf: { durationUs: number; title: string } | undefined;
  streamInf: Map<string, string> | undefined;
  discontinuity = false;
  gap = false;
  pdtMs: number | undefined;
  byteRange: { length: number; offset: number | undefined } | undefined;
  // Tags that apply until changed (§4.3.2.4, §4.3.2.5).
  key: SegmentKey | undefined;
  map: SegmentMap | undefined;
  discontinuities = 0;
  nextPdtMs: number | undefined;
  lastRangeUri = '';
  lastRangeEnd = 0;
  constructor(readonly base: string) {}
}

function onTag(s: State, tag: string, value: string, line: number): void {
  switch (tag) {
    case '#EXT-X-VERSION':
      s.version = integer(value, tag, line);
      return;
    case '#EXT-X-TARGETDURATION': {
      // decimal-integer per §4.3.3.1; some servers write "10.0", which is read and rounded up.
      const v = parseDecimalFloat(value.trim());
      if (v === undefined) throw new Fail('SC_ERR_HLS_BAD_TAG', `${tag} needs a number`, line);
      s.targetDuration = Math.ceil(v);
      return;
    }
    case '#EXT-X-MEDIA-SEQUENCE':
    case '#EXT-X-DISCONTINUITY-SEQUENCE': {
      // Both MUST precede the first Media Segment (§4.3.3.2, §4.3.3.3): later, seq numbers would be wrong.
      if (s.segments.length > 0) throw new Fail('SC_ERR_HLS_BAD_TAG', `${tag} after the first segment`, line);
      const v = integer(value, tag, line);
      if (tag === '#EXT-X-MEDIA-SEQUENCE') s.mediaSequence = v;
      else s.discontinuitySequence = v;
      return;
    }
    case '#EXTINF': {
      // #EXTINF:<duration>,[<title>] (§4.3.2.1)
      const comma = value.indexOf(',');
      const seconds = parseDecimalFloat((comma < 0 ? value : value.slice(0, comma)).trim());
      if (seconds === undefined)
        throw new Fail('SC_ERR_HLS_BAD_TAG', 'EXTINF needs a non-negative duration', line);
      s.extinf = {
        durationUs: Math.round(seconds * US_PER_SECOND),
        title: comma < 0 ? '' : value.slice(comma + 1),
      };
      return;
    }
    case '#EXT-X-DISCONTINUITY':
      s.discontinuity = true;
      return;
    case '#EXT-X-GAP':
      s.gap = true;
      return;
    case '#EXT-X-PROGRAM-DATE-TIME': {
      // An unparseable date is not worth refusing the playlist for: the segment is just undated.
      const ms = Date.parse(value.trim());
      if (Number.isFinite(ms)) s.pdtMs = ms;
      return;
    }
    case '#EXT-X-BYTERANGE': {
      const r = parseByteRange(value);
      if (r === undefined) throw new Fail('SC_ERR_HLS_BAD_TAG', `${tag} needs <n>[@<o>]`, line);
      s.byteRange = r;
      return;
    }
    case '#EXT-X-KEY': {
      const a = attributes(value, tag, line);
      const method = a.get('METHOD');
      if (method === undefined) throw new Fail('SC_ERR_HLS_BAD_TAG', `${tag} needs METHOD`, line);
      const uri = a.get('URI');
      s.key =
        method === 'NONE' ? undefined : { method, uri: uri && resolve(uri, s.base, line), iv: a.get('IV') };
      return;
    }
    case '#EXT-X-MAP': {
      const a = attributes(value, tag, line);
      const uri = a.get('URI');
      if (uri === undefined) throw new Fail('SC_ERR_HLS_BAD_TAG', `${tag} needs URI`, line);
      const rangeText = a.get('BYTERANGE');
      const r = rangeText === undefined ? undefined : parseByteRange(rangeText);
      if (rangeText !== undefined && r === undefined) {
        throw new Fail('SC_ERR_HLS_BAD_TAG', `${tag} BYTERANGE needs <n>[@<o>]`, line);
      }
      const byteRange: ByteRange | undefined = r && { length: r.length, offset: r.offset ?? 0 };
      s.map = { uri: resolve(uri, s.base, line), byteRange };
      return;
    }
    case '#EXT-X-ENDLIST':
      s.endList = true;
      return;
    case '#EXT-X-PLAYLIST-TYPE': {
      const v = value.trim();
      // Unrecognized enumerated values are ignored (§6.3.1).
      if (v === 'EVENT' || v === 'VOD') s.playlistType = v;
      return;
    }
    case '#EXT-X-INDEPENDENT-SEGMENTS':
      s.independent = true;
      return;
    case '#EXT-X-STREAM-INF':
      s.streamInf = attributes(value, tag, line);
      return;
    default:
      // Unknown tags are ignored (§6.3.1).
      return;
  }
}

function onSegment(s: State, uriText: string, line: number): void {
  const ext = s.extinf;
  if (ext === undefined) throw new Fail('SC_ERR_HLS_MISSING_EXTINF', 'Segment URI without EXTINF', line);
  const uri = resolve(uriText, s.base, line);
  let byteRange: ByteRange | undefined;
  if (s.byteRange) {
    // Without an offset the range follows the previous range of the same resource (§4.3.2.2).
    const offset = s.byteRange.offset ?? (s.lastRangeUri === uri ? s.lastRangeEnd : 0);
    byteRange = { offset, length: s.byteRange.length };
    s.lastRangeUri = uri;
    s.lastRangeEnd = offset + s.byteRange.length;
  }
  if (s.discontinuity) {
    s.discontinuities++;
    // Dates do not carry across a discontinuity (§4.3.2.6).
    s.nextPdtMs = undefined;
  }
  const pdt = s.pdtMs ?? s.nextPdtMs;
  s.segments.push({
    seq: s.mediaSequence + s.segments.length,
    uri,
    durationUs: ext.durationUs,
    title: ext.title,
    discontinuity: s.discontinuity,
    // A segment's number counts the tags before its URI line, its own included (§4.3.3.3).
    discontinuitySequence: s.discontinuitySequence + s.discontinuities,
    programDateTimeMs: pdt,
    byteRange,
    key: s.key,
    map: s.map,
    gap: s.gap,
  });
  if (s.key) s.encrypted = true;
  s.nextPdtMs = pdt === undefined ? undefined : pdt + ext.durationUs / US_PER_MS;
  s.extinf = undefined;
  s.discontinuity = false;
  s.gap = false;
  s.pdtMs = undefined;
  s.byteRange = undefined;
}

function onVariant(s: State, attrs: Map<string, string>, uriText: string, line: number): void {
  // BANDWIDTH is REQUIRED (§4.3.4.2).
  const bandwidth = parseDecimalInteger(attrs.get('BANDWIDTH') ?? '');
  if (bandwidth === undefined) throw new Fail('SC_ERR_HLS_BAD_TAG', 'EXT-X-STREAM-INF needs BANDWIDTH', line);
  const avg = attrs.get('AVERAGE-BANDWIDTH');
  const res = attrs.get('RESOLUTION');
  const fps = attrs.get('FRAME-RATE');
  const codecs = attrs.get('CODECS');
  s.variants.push({
    uri: resolve(uriText, s.base, line),
    bandwidth,
    averageBandwidth: avg === undefined ? undefined : parseDecimalInteger(avg),
    resolution: res === undefined ? undefined : parseResolution(res),
    codecs:
      codecs === undefined
        ? []
        : codecs
            .split(',')
            .map((c) => c.trim())
            .filter((c) => c.length > 0),
    frameRate: fps === undefined ? undefined : parseDecimalFloat(fps),
  });
  s.streamInf = undefined;
}

function finish(s: State): Playlist {
  if (s.variants.length > 0) {
    const master: MasterPlaylist = {
      kind: 'master',
      url: s.base,
      version: s.version,
      independentSegments: s.independent,
      variants: s.variants,
    };
    return master;
  }
  let longest = 0;
  for (const seg of s.segments) longest = Math.max(longest, Math.round(seg.durationUs / US_PER_SECOND));
  const media: MediaPlaylist = {
    kind: 'media',
    url: s.base,
    version: s.version,
    // Missing tag (a MUST, §4.3.3.1): the smallest value that would have been valid; 0 if no segments.
    targetDuration: s.targetDuration ?? longest,
    mediaSequence: s.mediaSequence,
    discontinuitySequence: s.discontinuitySequence,
    playlistType: s.playlistType,
    endList: s.endList,
    independentSegments: s.independent,
    encrypted: s.encrypted,
    segments: s.segments,
  };
  return media;
}

function parseLines(text: string, url: string): Playlist {
  let base: string;
  try {
    base = new URL(url).href;
  } catch {
    throw new Fail('SC_ERR_HLS_BAD_URI', 'The playlist URL is not an absolute URL', 0);
  }
  // Lines end in LF or CRLF (§4.1); a BOM is forbidden but harmless to skip.
  const lines = (text.startsWith(BOM) ? text.slice(1) : text).split(/\r\n|\r|\n/);
  let i = 0;
  while (i < lines.length && lines[i]!.trim() === '') i++;
  // The first line MUST be EXTM3U (§4.3.1.1).
  if (i >= lines.length || !lines[i]!.trim().startsWith('#EXTM3U')) {
    throw new Fail('SC_ERR_HLS_NOT_PLAYLIST', 'The text does not start with #EXTM3U', i + 1);
  }
  const s = new State(base);
  for (i++; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      // Anything starting with # that is not #EXT is a comment (§4.1).
      if (!line.startsWith('#EXT')) continue;
      const colon = line.indexOf(':');
      onTag(s, colon < 0 ? line : line.slice(0, colon), colon < 0 ? '' : line.slice(colon + 1), i + 1);
      continue;
    }
    if (s.streamInf) onVariant(s, s.streamInf, line, i + 1);
    else onSegment(s, line, i + 1);
    if (s.variants.length > 0 && s.segments.length > 0) {
      throw new Fail(
        'SC_ERR_HLS_MIXED_PLAYLIST',
        'Media segments and variant streams in one playlist',
        i + 1,
      );
    }
  }
  return finish(s);
}

/**
 * Parses a media or master playlist fetched from `url` (absolute; relative URIs resolve against it).
 * Never throws; a refused playlist comes back as `{ ok: false, error }` with an {@link HlsParseError}.
 */
export function parsePlaylist(text: string, url: string, options: ParseOptions = {}): ParseResult<Playlist> {
  const max = options.maxChars ?? DEFAULT_MAX_CHARS;
  if (typeof text !== 'string') {
    return { ok: false, error: new HlsParseError('SC_ERR_HLS_NOT_PLAYLIST', 'The playlist is not text', 0) };
  }
  if (text.length > max) {
    return {
      ok: false,
      error: new HlsParseError('SC_ERR_HLS_TOO_LARGE', `The playlist exceeds ${max} characters`, 0),
    };
  }
  try {
    return { ok: true, value: parseLines(text, url) };
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: new HlsParseError(e.code, e.message, e.line) };
    // Anything else is a bug in this parser; still reported as data, never thrown at the pump.
    return {
      ok: false,
      error: new HlsParseError('SC_ERR_HLS_INTERNAL', `Unexpected parser failure: ${String(e)}`, 0),
    };
  }
}

/** Like {@link parsePlaylist}, but a master playlist is an error (an engine session must be a media playlist). */
export function parseMediaPlaylist(
  text: string,
  url: string,
  options: ParseOptions = {},
): ParseResult<MediaPlaylist> {
  const r = parsePlaylist(text, url, options);
  if (!r.ok) return r;
  if (r.value.kind === 'media') return { ok: true, value: r.value };
  return {
    ok: false,
    error: new HlsParseError(
      'SC_ERR_HLS_NO_MEDIA_PLAYLIST',
      'Expected a media playlist, got a master playlist',
      0,
    ),
  };
}
