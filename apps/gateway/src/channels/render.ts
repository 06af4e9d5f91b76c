/**
 * Writing channels out: JSON in the catalog file's own shape (the admin API's file writes and answers),
 * and the M3U Plus `#EXTINF` line of a channel (the playlist export). Pure.
 */
import type { Catalog, Channel } from './catalog.js';
import { sourceText } from './source.js';

export function channelJson(c: Channel): Record<string, unknown> {
  return {
    id: c.id,
    number: c.number,
    name: c.name,
    group: c.group,
    logo: c.logo,
    tvg_id: c.tvgId,
    sources: c.sources.map(sourceText),
  };
}

export function renderCatalogJson(catalog: Catalog): string {
  return `${JSON.stringify({ channels: catalog.channels.map(channelJson) }, null, 2)}\n`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/** Control characters (C0, DEL, C1) and the Unicode line and paragraph separators. */
const BREAKS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g;

/** Well-formed UTF-16 (so well-formed UTF-8 on the wire): an unpaired surrogate becomes U+FFFD. */
export function wellFormed(s: string): string {
  return s.replace(LONE_SURROGATE, '\uFFFD');
}

/**
 * One line of plain text: control characters and line separators (any of which a player may split a line
 * on) become a space, unpaired surrogates U+FFFD. The catalog refuses them in channels given as JSON; an
 * M3U catalog may still hold some, so every export passes its text through here.
 */
export function plainText(s: string): string {
  return wellFormed(s).replace(BREAKS, ' ');
}

/** Attribute values cannot hold a double quote or a line break in M3U; they are replaced. */
export function m3uAttr(s: string): string {
  return plainText(s).replace(/"/g, "'");
}

/** `#EXTINF` attributes of a channel (M3U Plus). */
export function extinf(c: Channel): string {
  const attrs: string[] = [];
  if (c.tvgId) attrs.push(`tvg-id="${m3uAttr(c.tvgId)}"`);
  attrs.push(`tvg-name="${m3uAttr(c.name)}"`);
  if (c.logo) attrs.push(`tvg-logo="${m3uAttr(c.logo)}"`);
  if (c.group) attrs.push(`group-title="${m3uAttr(c.group)}"`);
  attrs.push(`tvg-chno="${c.number}"`);
  // The name after the comma loses its `"` too: Kodi's IPTV Simple takes the name from the first comma
  // after the line's last `"` (else the last comma), so `Sports "1", HD` was listed as `HD`.
  return `#EXTINF:-1 ${attrs.join(' ')},${m3uAttr(c.name)}`;
}
