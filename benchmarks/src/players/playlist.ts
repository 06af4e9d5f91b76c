/**
 * Just enough of an HLS playlist parser for a load-testing player (RFC 8216 §4.3): target duration, media
 * sequence, segments with their durations, end list; or, for a multivariant playlist, the first variant.
 * Pure; a playlist it cannot use is an error value, never a throw.
 */

export interface MediaSegmentRef {
  /** Media sequence number (§4.3.3.2 plus the segment's position). */
  readonly seq: number;
  readonly uri: string;
  readonly durationS: number;
}

export type ParsedPlaylist =
  | {
      readonly kind: 'media';
      readonly targetDurationS: number;
      readonly mediaSequence: number;
      readonly segments: readonly MediaSegmentRef[];
      readonly endList: boolean;
    }
  | { readonly kind: 'multivariant'; readonly variantUri: string }
  | { readonly kind: 'error'; readonly detail: string };

export function parsePlaylist(text: string): ParsedPlaylist {
  const lines = text.split(/\r?\n/);
  if (lines[0]?.trim() !== '#EXTM3U') return { kind: 'error', detail: 'no #EXTM3U header' }; // §4.3.1.1
  let target = -1;
  let mediaSequence = 0;
  let endList = false;
  let pendingDuration = -1;
  let variantNext = false;
  const segments: MediaSegmentRef[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      if (line.startsWith('#EXT-X-TARGETDURATION:')) target = Number(line.slice(22));
      else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) mediaSequence = Number(line.slice(22));
      else if (line.startsWith('#EXTINF:')) pendingDuration = Number.parseFloat(line.slice(8));
      else if (line === '#EXT-X-ENDLIST') endList = true;
      else if (line.startsWith('#EXT-X-STREAM-INF:')) variantNext = true;
      continue;
    }
    if (variantNext) return { kind: 'multivariant', variantUri: line };
    if (pendingDuration < 0) return { kind: 'error', detail: `URI without #EXTINF: ${line.slice(0, 80)}` };
    segments.push({ seq: mediaSequence + segments.length, uri: line, durationS: pendingDuration });
    pendingDuration = -1;
  }
  if (!(target > 0) || !Number.isFinite(target))
    return { kind: 'error', detail: 'missing or invalid #EXT-X-TARGETDURATION' };
  if (!Number.isSafeInteger(mediaSequence) || mediaSequence < 0)
    return { kind: 'error', detail: 'invalid #EXT-X-MEDIA-SEQUENCE' };
  return { kind: 'media', targetDurationS: target, mediaSequence, segments, endList };
}
