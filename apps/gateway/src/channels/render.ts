/**
 * Writing channels out: JSON in the catalog file's own shape (the admin API's answers, and its file writes,
 * which keep the keys an operator wrote into the file that the gateway does not know),
 * and the M3U Plus `#EXTINF` line of a channel (the playlist export). Pure.
 */
import type { Catalog, Channel } from './catalog.js';
import { sourceText } from './source.js';

/** The fields of a channel object (`channelJson` writes exactly these, in this order). */
export const CHANNEL_FIELDS: readonly string[] = [
  'id',
  'number',
  'name',
  'group',
  'logo',
  'tvg_id',
  'sources',
];

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

/**
 * The catalog file's text. `file` is the file's JSON as read just before the edit (null: no file): its
 * top-level keys other than `channels`, and the keys the gateway does not know in each channel that is still
 * in `catalog` (matched by id), are kept — see mergeCatalogJson.
 */
export function renderCatalogJson(catalog: Catalog, file: unknown = null): string {
  return `${JSON.stringify(mergeCatalogJson(catalog, file), null, 2)}\n`;
}

/**
 * The catalog as the file's JSON object, keeping what an operator wrote by hand in `file` (the file's JSON as
 * read before the edit; null, or anything but an object, when there is none). The known fields are always
 * the catalog's, in canonical form (`channelJson`); the rest comes from `file`:
 * - top-level keys other than `channels` stay, in the file's order (`channels` keeps its place among them);
 * - a channel of `catalog` whose id is in the file keeps the file's other keys, with the file's key order: a
 *   known field the file's entry lacks goes right after the known field before it (`id` first);
 * - a channel not in the file (a new one) has the known fields only; a file entry whose id is no longer in
 *   `catalog` (a deleted channel) is dropped with its keys.
 * Channels are in `catalog`'s order. Pure; `file` is not changed.
 */
export function mergeCatalogJson(catalog: Catalog, file: unknown): Record<string, unknown> {
  const doc = isObject(file) ? file : null;
  const entries = new Map<string, Record<string, unknown>>();
  if (doc && Array.isArray(doc.channels))
    for (const raw of doc.channels)
      if (isObject(raw) && typeof raw.id === 'string' && !entries.has(raw.id)) entries.set(raw.id, raw);
  const channels = catalog.channels.map((c) => mergeChannel(channelJson(c), entries.get(c.id)));
  const out = bare();
  if (doc) for (const [k, v] of Object.entries(doc)) put(out, k, k === 'channels' ? channels : v);
  put(out, 'channels', channels);
  return out;
}

/** The known fields `known` (in canonical order) merged into the key order and unknown keys of `raw`. */
function mergeChannel(known: Record<string, unknown>, raw: Record<string, unknown> | undefined): unknown {
  if (!raw) return known;
  const keys = Object.keys(raw);
  // Each known field the entry lacks goes right after the nearest known field before it in canonical order
  // (the entry has `id`, the first: it was matched by it; without one, the field goes first).
  for (let i = 0; i < CHANNEL_FIELDS.length; i++) {
    const field = CHANNEL_FIELDS[i]!;
    if (keys.includes(field)) continue;
    let at = -1;
    for (let j = i - 1; j >= 0 && at < 0; j--) at = keys.indexOf(CHANNEL_FIELDS[j]!);
    keys.splice(at + 1, 0, field);
  }
  const out = bare();
  for (const k of keys) put(out, k, CHANNEL_FIELDS.includes(k) ? known[k] : raw[k]);
  return out;
}

/**
 * An object without a prototype, so that a key read from the file (even `__proto__`) is an own property
 * like any other and JSON.stringify writes it back.
 */
function bare(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

function put(o: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
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
