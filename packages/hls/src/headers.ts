// HTTP header values for serving HLS (README.md, "HLS"); constants only, the gateway owns the I/O.

/** Content-Type of a playlist (RFC 8216 §4). */
export const PLAYLIST_CONTENT_TYPE = 'application/vnd.apple.mpegurl';

/** Content-Type of an MPEG-TS media segment. */
export const SEGMENT_CONTENT_TYPE = 'video/mp2t';

/**
 * Cache-Control of a live playlist: revalidate every time, so no cache holds it past a reload
 * (clients reload every target duration or half of it, RFC 8216 §6.3.4).
 */
export const LIVE_PLAYLIST_CACHE_CONTROL = 'no-cache';

/**
 * Cache-Control of a segment. Safe only because a segment URL never names different bytes: media
 * sequence numbers are never reused for a stream, also across re-creation (start the segmenter above
 * the last seq served under the same URL prefix).
 */
export const SEGMENT_CACHE_CONTROL = 'public, max-age=31536000, immutable';
