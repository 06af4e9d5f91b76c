// Public entry of @shardcast/hls: segmenter, playlist model and renderer, upstream parser and tracker.
// Pure: no I/O imports anywhere in src.

export { HLS_ERROR_CODES, HlsError, type HlsErrorCode, HlsParseError, type ParseResult } from './errors.js';
export {
  LIVE_PLAYLIST_CACHE_CONTROL,
  PLAYLIST_CONTENT_TYPE,
  SEGMENT_CACHE_CONTROL,
  SEGMENT_CONTENT_TYPE,
} from './headers.js';
export { type ParseOptions, parseMediaPlaylist, parsePlaylist } from './parse.js';
export {
  type ColdStartPlan,
  coldStartPlan,
  coldStartReady,
  listingMarginBytes,
  listingMarginSeconds,
  type PlaylistWindow,
  requiredRingSeconds,
  selectWindow,
  selectWindowFrom,
  type WindowOptions,
  windowUs,
} from './playlist.js';
export {
  formatExtinf,
  formatProgramDateTime,
  PlaylistRenderer,
  type RenderOptions,
  renderMediaPlaylist,
  renderMultivariantPlaylist,
  type VariantLine,
} from './render.js';
export { Segmenter, type SegmenterOptions, type SegmenterStats } from './segmenter.js';
export { type TrackerOptions, type TrackerStats, type TrackerUpdate, UpstreamTracker } from './tracker.js';
export type {
  ByteRange,
  MasterPlaylist,
  MediaPlaylist,
  ParsedSegment,
  Playlist,
  PlaylistEntry,
  Segment,
  SegmentInfo,
  SegmentKey,
  SegmentMap,
  Variant,
} from './types.js';
