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

/** Attribute values cannot hold a double quote or a line break in M3U; they are replaced. */
export function m3uAttr(s: string): string {
  return s.replace(/"/g, "'").replace(/[\r\n]+/g, ' ');
}

/** `#EXTINF` attributes of a channel (M3U Plus). */
export function extinf(c: Channel): string {
  const attrs: string[] = [];
  if (c.tvgId) attrs.push(`tvg-id="${m3uAttr(c.tvgId)}"`);
  attrs.push(`tvg-name="${m3uAttr(c.name)}"`);
  if (c.logo) attrs.push(`tvg-logo="${m3uAttr(c.logo)}"`);
  if (c.group) attrs.push(`group-title="${m3uAttr(c.group)}"`);
  attrs.push(`tvg-chno="${c.number}"`);
  return `#EXTINF:-1 ${attrs.join(' ')},${c.name.replace(/[\r\n]+/g, ' ')}`;
}
