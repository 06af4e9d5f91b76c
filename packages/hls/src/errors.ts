// Stable error codes of the HLS package. Codes are never reused; a test checks each is documented here.

/** Every error code this package produces, with what it means. */
export const HLS_ERROR_CODES = {
  SC_ERR_HLS_OPTION: 'An option given to the segmenter, playlist renderer or upstream tracker is invalid.',
  SC_ERR_HLS_NOT_PLAYLIST: 'The text is not an HLS playlist: it does not start with #EXTM3U.',
  SC_ERR_HLS_TOO_LARGE: 'The playlist text is larger than the parser accepts.',
  SC_ERR_HLS_BAD_TAG: 'A tag the parser relies on has a malformed value.',
  SC_ERR_HLS_BAD_URI: 'A URI in the playlist cannot be resolved against the playlist URL.',
  SC_ERR_HLS_MISSING_EXTINF: 'A media segment URI is not preceded by an EXTINF tag.',
  SC_ERR_HLS_MIXED_PLAYLIST: 'The playlist mixes media segments and variant streams.',
  SC_ERR_HLS_NO_MEDIA_PLAYLIST: 'A media playlist was expected but the text is a master playlist.',
  SC_ERR_HLS_INTERNAL: 'The parser failed unexpectedly (a bug); the playlist is treated as refused.',
} as const;

export type HlsErrorCode = keyof typeof HLS_ERROR_CODES;

/** An error of this package; `code` is stable and safe to send across threads as data. */
export class HlsError extends Error {
  readonly code: HlsErrorCode;
  constructor(code: HlsErrorCode, message: string) {
    super(message);
    this.name = 'HlsError';
    this.code = code;
  }
}

/** A playlist the parser refuses; `line` is 1-based (0 when not tied to one line). */
export class HlsParseError extends HlsError {
  readonly line: number;
  constructor(code: HlsErrorCode, message: string, line: number) {
    super(code, line > 0 ? `${message} (line ${line})` : message);
    this.name = 'HlsParseError';
    this.line = line;
  }
}

/** Result of a parse: errors are data, the parser never throws. */
export type ParseResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: HlsParseError };
