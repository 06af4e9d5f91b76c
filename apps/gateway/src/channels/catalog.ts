/**
 * The channel catalog: channels, each an ordered list of sources, read from JSON or from an M3U / M3U Plus
 * playlist. Pure: text in, catalog or one sentence out (for M3U, the sentence names the line), never a
 * throw on bad input.
 *
 * M3U entries that share a `tvg-id` (else a name) become one channel whose sources are in file order, so a
 * hand-made playlist listing three ids of "Sports 1" gives one channel with three fallbacks.
 */
import { jsonErrorPlace } from '../json-syntax.js';
import { type ChannelSource, parseSource } from './source.js';

export interface Channel {
  /** URL-safe id: `/channel/<id>.ts`. */
  readonly id: string;
  /**
   * Guide number (`tvg-chno`, HDHomeRun GuideNumber): digits, optionally `.` and a sub-number, in canonical
   * form (`07` and `7.0` are `7`, `7.01` is `7.1`), so two spellings of one number cannot both be used.
   */
  readonly number: string;
  readonly name: string;
  readonly group: string | null;
  readonly logo: string | null;
  readonly tvgId: string | null;
  readonly sources: readonly ChannelSource[];
}

export interface Catalog {
  readonly channels: readonly Channel[];
}

export type CatalogParse = { catalog: Catalog; error: null } | { catalog: null; error: string };

export const CHANNEL_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const GUIDE_NUMBER = /^\d{1,6}(\.\d{1,3})?$/;
const MAX_TEXT = 512;
const MAX_SOURCES = 64;
const MAX_CHANNELS = 10_000;

/** Picks the format by content: a file whose first non-blank line starts with `#EXTM3U` is M3U. */
export function parseCatalog(text: string): CatalogParse {
  const body = text.replace(/^\uFEFF/, '');
  return /^\s*#EXTM3U/.test(body) ? parseM3u(body) : parseJsonCatalog(body);
}

// ---------------------------------------------------------------------------------------------- JSON

export function parseJsonCatalog(text: string): CatalogParse {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    // By position only: the parser's own message quotes the text around the mistake (a source URL, maybe).
    return fail(
      `it is neither JSON (a syntax error at ${jsonErrorPlace(text, err)}) nor an M3U playlist (#EXTM3U first)`,
    );
  }
  if (!isObject(doc) || !Array.isArray(doc.channels))
    return fail('it must be a JSON object with a "channels" array');
  if (doc.channels.length > MAX_CHANNELS) return fail(`it lists more than ${MAX_CHANNELS} channels`);
  const channels: Channel[] = [];
  for (let i = 0; i < doc.channels.length; i++) {
    const r = channelFromJson(doc.channels[i], `channels[${i}]`);
    if (typeof r === 'string') return fail(r);
    channels.push(r);
  }
  return finish(channels, (i) => `channels[${i}]`);
}

/** One channel object (the file's entries and the admin API's bodies); a string is the mistake. */
export function channelFromJson(raw: unknown, where: string): Channel | string {
  if (!isObject(raw)) return `${where} must be an object`;
  const id = raw.id;
  if (typeof id !== 'string' || !CHANNEL_ID.test(id))
    return `${where}.id must be 1 to 64 lower-case letters, digits, - or _ (starting with a letter or digit)`;
  const name = raw.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > MAX_TEXT)
    return `${where}.name must be a non-empty string of at most ${MAX_TEXT} characters`;
  const nameMistake = unprintable(name.trim());
  if (nameMistake) return `${where}.name ${nameMistake}`;
  let number: string | null = null;
  if (raw.number !== undefined && raw.number !== null) {
    const n = typeof raw.number === 'number' ? String(raw.number) : raw.number;
    if (typeof n !== 'string' || !GUIDE_NUMBER.test(n))
      return `${where}.number must be a guide number such as 7 or "7.1"`;
    number = canonicalNumber(n);
  }
  const text = (key: string): string | null | false => {
    const v = raw[key];
    if (v === undefined || v === null || v === '') return null;
    return typeof v === 'string' && v.length <= MAX_TEXT ? v : false;
  };
  const group = text('group');
  const logo = text('logo');
  const tvgId = text('tvg_id');
  if (group === false) return `${where}.group must be a string of at most ${MAX_TEXT} characters`;
  if (logo === false) return `${where}.logo must be a string of at most ${MAX_TEXT} characters`;
  if (tvgId === false) return `${where}.tvg_id must be a string of at most ${MAX_TEXT} characters`;
  for (const [key, v] of [
    ['group', group],
    ['logo', logo],
    ['tvg_id', tvgId],
  ] as const) {
    const mistake = v === null ? null : unprintable(v);
    if (mistake) return `${where}.${key} ${mistake}`;
  }
  if (!Array.isArray(raw.sources) || raw.sources.length === 0)
    return `${where}.sources must be a non-empty array`;
  if (raw.sources.length > MAX_SOURCES) return `${where}.sources lists more than ${MAX_SOURCES} sources`;
  const sources: ChannelSource[] = [];
  for (let j = 0; j < raw.sources.length; j++) {
    const s = raw.sources[j];
    if (typeof s !== 'string') return `${where}.sources[${j}] must be a string`;
    const p = parseSource(s);
    if (p.error !== null) return `${where}.sources[${j}]: ${p.error}`;
    sources.push(p.source);
  }
  return { id, number: number ?? '', name: name.trim(), group, logo, tvgId, sources };
}

/**
 * Control characters (C0 but tab, DEL, C1), the Unicode line and paragraph separators, and unpaired
 * surrogates. A tab is let through (hand-written catalogs have them; the exports turn it into a space).
 */
const UNPRINTABLE =
  /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a name or attribute cannot be exported as one line of text (an M3U line, an XML value), or null.
 * Names the character by code point and position, never quoting the text around it.
 */
function unprintable(s: string): string | null {
  const m = UNPRINTABLE.exec(s);
  if (!m) return null;
  const code = m[0].charCodeAt(0);
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const what =
    code >= 0xd800 && code <= 0xdfff
      ? 'half of a surrogate pair'
      : code === 0x2028 || code === 0x2029
        ? 'a line separator'
        : 'a control character';
  return `has ${hex} (${what}) at character ${m.index + 1}: control characters, line separators and unpaired surrogates are not allowed`;
}

// ----------------------------------------------------------------------------------------------- M3U

interface M3uEntry {
  readonly line: number;
  readonly attrs: Map<string, string>;
  readonly name: string;
}

interface Merging {
  readonly line: number;
  readonly key: string;
  name: string;
  tvgId: string | null;
  group: string | null;
  logo: string | null;
  number: string | null;
  numberLine: number;
  readonly sources: ChannelSource[];
}

export function parseM3u(text: string): CatalogParse {
  const lines = text.split(/\r?\n/);
  let sawHeader = false;
  let pending: M3uEntry | null = null;
  const byKey = new Map<string, Merging>();
  const order: Merging[] = [];
  for (let i = 0; i < lines.length; i++) {
    const n = i + 1;
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (!sawHeader) {
      if (!line.startsWith('#EXTM3U')) return fail(`line ${n}: an M3U playlist must start with #EXTM3U`);
      sawHeader = true;
      continue;
    }
    if (line.startsWith('#EXTINF')) {
      if (pending) return fail(`line ${pending.line}: #EXTINF has no source line after it`);
      const e = parseExtinf(line, n);
      if (typeof e === 'string') return fail(`line ${n}: ${e}`);
      pending = e;
      continue;
    }
    if (line.startsWith('#')) continue; // #EXTVLCOPT, #EXTGRP, comments: not ours
    if (!pending) return fail(`line ${n}: a source line needs an #EXTINF line before it`);
    const p = parseSource(line);
    if (p.error !== null) return fail(`line ${n}: ${p.error}`);
    const entry = pending;
    pending = null;
    const tvgId = nonEmpty(entry.attrs.get('tvg-id'));
    const name = nonEmpty(entry.name) ?? nonEmpty(entry.attrs.get('tvg-name'));
    if (!name)
      return fail(`line ${entry.line}: #EXTINF names no channel (no name after the comma, no tvg-name)`);
    if (name.length > MAX_TEXT)
      return fail(`line ${entry.line}: the channel name is longer than ${MAX_TEXT} characters`);
    const chno = nonEmpty(entry.attrs.get('tvg-chno'));
    if (chno !== null && !GUIDE_NUMBER.test(chno))
      return fail(`line ${entry.line}: tvg-chno "${chno}" is not a guide number such as 7 or 7.1`);
    const key = tvgId !== null ? `id:${tvgId}` : `name:${name}`;
    let m = byKey.get(key);
    if (!m) {
      if (order.length >= MAX_CHANNELS)
        return fail(`line ${n}: the playlist has more than ${MAX_CHANNELS} channels`);
      m = {
        line: entry.line,
        key,
        name,
        tvgId,
        group: null,
        logo: null,
        number: null,
        numberLine: entry.line,
        sources: [],
      };
      byKey.set(key, m);
      order.push(m);
    }
    // The first entry names the channel; later ones only fill in what it left out.
    m.group ??= nonEmpty(entry.attrs.get('group-title'));
    m.logo ??= nonEmpty(entry.attrs.get('tvg-logo'));
    if (m.number === null && chno !== null) {
      m.number = canonicalNumber(chno);
      m.numberLine = entry.line;
    }
    if (m.sources.length >= MAX_SOURCES)
      return fail(`line ${n}: channel "${m.name}" has more than ${MAX_SOURCES} sources`);
    m.sources.push(p.source);
  }
  if (!sawHeader) return fail('line 1: an M3U playlist must start with #EXTM3U');
  if (pending) return fail(`line ${pending.line}: #EXTINF has no source line after it`);
  const used = new Set<string>();
  const channels: Channel[] = order.map((m) => {
    const id = uniqueId(slug(m.tvgId ?? m.name), used);
    return {
      id,
      number: m.number ?? '',
      name: m.name,
      group: m.group,
      logo: m.logo,
      tvgId: m.tvgId,
      sources: m.sources,
    };
  });
  return finish(channels, (i) => `line ${order[i]!.numberLine}`);
}

/** `#EXTINF:<duration> key="value" ...,<name>`; a string is the mistake. */
function parseExtinf(line: string, n: number): M3uEntry | string {
  let i = line.indexOf(':');
  if (i < 0) return '#EXTINF needs a ":" and a duration';
  i++;
  const attrs = new Map<string, string>();
  // Duration first (e.g. -1), then attributes, then a comma outside quotes, then the name.
  while (i < line.length && line[i] !== ' ' && line[i] !== ',') i++;
  for (;;) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) return '#EXTINF has no comma before the channel name';
    if (line[i] === ',') break;
    const eq = line.indexOf('=', i);
    if (eq < 0) return `#EXTINF attribute "${line.slice(i, i + 40)}" has no ="value"`;
    const key = line.slice(i, eq).trim().toLowerCase();
    if (!/^[a-z0-9_-]+$/.test(key)) return `#EXTINF attribute name "${key.slice(0, 40)}" is malformed`;
    if (line[eq + 1] !== '"') return `#EXTINF attribute ${key} needs a quoted value (${key}="...")`;
    const close = line.indexOf('"', eq + 2);
    if (close < 0) return `#EXTINF attribute ${key} has no closing quote`;
    attrs.set(key, line.slice(eq + 2, close));
    i = close + 1;
  }
  return { line: n, attrs, name: line.slice(i + 1).trim() };
}

// -------------------------------------------------------------------------------------------- shared

/** A catalog edited through the API: the same cross-channel checks as a file, naming channels by id. */
export function checkChannels(channels: Channel[]): CatalogParse {
  return finish(channels, (i) => `channel "${channels[i]!.id}"`);
}

/** Checks ids and numbers across channels and numbers the channels that have none (after the highest). */
function finish(channels: Channel[], where: (i: number) => string): CatalogParse {
  const ids = new Map<string, number>();
  const numbers = new Map<string, number>();
  let highest = 0;
  for (let i = 0; i < channels.length; i++) {
    const c = channels[i]!;
    if (ids.has(c.id)) return fail(`${where(i)}: channel id "${c.id}" is used twice`);
    ids.set(c.id, i);
    if (c.number === '') continue;
    const other = numbers.get(c.number);
    if (other !== undefined)
      return fail(`${where(i)}: guide number ${c.number} is already channel "${channels[other]!.id}"'s`);
    numbers.set(c.number, i);
    highest = Math.max(highest, Math.floor(Number(c.number)));
  }
  const out = channels.map((c) => {
    if (c.number !== '') return c;
    highest++;
    return { ...c, number: String(highest) };
  });
  return { catalog: { channels: out }, error: null };
}

/**
 * A guide number as clients read it (major and minor as integers, a zero minor dropped): `07` → `7`,
 * `7.0` → `7`, `007.01` → `7.1`. `n` matches GUIDE_NUMBER.
 */
function canonicalNumber(n: string): string {
  const [major, minor] = n.split('.');
  const m = minor === undefined ? 0 : Number.parseInt(minor, 10);
  return m === 0 ? String(Number.parseInt(major!, 10)) : `${Number.parseInt(major!, 10)}.${m}`;
}

/** A URL-safe id from a tvg-id or a name: `Sports 1 HD` → `sports-1-hd`. */
export function slug(text: string): string {
  const s = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 56)
    .replace(/-+$/, '');
  return s === '' ? 'channel' : s;
}

function uniqueId(base: string, used: Set<string>): string {
  let id = base;
  for (let k = 2; used.has(id); k++) id = `${base}-${k}`;
  used.add(id);
  return id;
}

function nonEmpty(s: string | undefined): string | null {
  const t = s?.trim();
  return t ? t : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(error: string): CatalogParse {
  return { catalog: null, error };
}
