/**
 * XMLTV reduced to the catalog: keeps the document's prolog and `<tv>` element, and of its children only
 * the `<channel id>` and `<programme channel>` elements whose id is a `tvg_id` of the catalog. A guide of
 * a whole country shrinks to the channels the gateway serves, which is what media servers then import.
 * Pure, a linear scan (no DOM of a file that can be hundreds of MB): text is skipped with `indexOf`,
 * comments, CDATA sections, processing instructions and quoted attribute values are skipped whole, so
 * markup inside them is never taken for an element. Kept elements are copied verbatim, so a well-formed
 * guide gives a well-formed answer; an element cut off by the end of the text is dropped. Never throws.
 */

export interface Reduced {
  readonly xml: string;
  readonly channels: number;
  readonly programmes: number;
}

/** A start tag read from `<`: its name, where it ends (after `>`), whether it closes itself, one attribute. */
interface Tag {
  readonly name: string;
  readonly end: number;
  readonly selfClosing: boolean;
  /** The raw value of the attribute asked for, or null. */
  readonly attr: string | null;
}

/**
 * The root `<tv>` start tag of `text`, after its prolog (XML declaration, comments, processing
 * instructions, DOCTYPE); null when the root element is not `tv` (not XMLTV).
 */
export function findTvRoot(text: string): Tag | null {
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (;;) {
    pos = skipSpace(text, pos);
    if (text.charCodeAt(pos) !== 0x3c /* < */) return null;
    if (text.startsWith('<?', pos)) pos = after(text, '?>', pos + 2);
    else if (text.startsWith('<!--', pos)) pos = after(text, '-->', pos + 4);
    else if (text.startsWith('<!DOCTYPE', pos)) pos = skipDoctype(text, pos + 9);
    else {
      const tag = readTag(text, pos, '');
      return tag && tag.name === 'tv' ? tag : null;
    }
    if (pos < 0) return null;
  }
}

/** Null when `text` has no `<tv>` root element (not XMLTV). */
export function reduceXmltv(text: string, tvgIds: ReadonlySet<string>): Reduced | null {
  const root = findTvRoot(text);
  if (!root) return null;
  const head = text
    .slice(0, root.end)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (root.selfClosing) return { xml: `${xmlChars(head)}\n`, channels: 0, programmes: 0 };
  const parts: string[] = [xmlChars(head), '\n'];
  let channels = 0;
  let programmes = 0;
  let pos = root.end;
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) break;
    const skipped = skipNonElement(text, lt);
    if (skipped === -1) break;
    if (skipped > 0) {
      pos = skipped;
      continue;
    }
    if (text.startsWith('</', lt)) break; // `</tv>`
    const name = nameAt(text, lt + 1);
    const tag = readTag(text, lt, name === 'channel' ? 'id' : name === 'programme' ? 'channel' : '');
    if (!tag) break;
    const end = tag.selfClosing ? tag.end : elementEnd(text, tag.end);
    if (end < 0) break;
    pos = end;
    if (tag.attr === null || !tvgIds.has(decodeEntities(tag.attr))) continue;
    parts.push('  ', xmlChars(text.slice(lt, end)), '\n');
    if (name === 'channel') channels++;
    else programmes++;
  }
  parts.push('</tv>\n');
  return { xml: parts.join(''), channels, programmes };
}

/**
 * At a `<`: for a comment, CDATA section, processing instruction or other `<!` declaration, the index
 * after it (-1 when it is not closed); 0 for a start or end tag.
 */
function skipNonElement(text: string, lt: number): number {
  const c = text.charCodeAt(lt + 1);
  if (c === 0x3f /* ? */) return after(text, '?>', lt + 2);
  if (c !== 0x21 /* ! */) return 0;
  if (text.startsWith('<!--', lt)) return after(text, '-->', lt + 4);
  if (text.startsWith('<![CDATA[', lt)) return after(text, ']]>', lt + 9);
  return after(text, '>', lt + 2);
}

/** From just after an element's start tag: the index after its matching end tag, or -1. */
function elementEnd(text: string, from: number): number {
  let depth = 1;
  let pos = from;
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) return -1;
    const skipped = skipNonElement(text, lt);
    if (skipped === -1) return -1;
    if (skipped > 0) {
      pos = skipped;
    } else if (text.charCodeAt(lt + 1) === 0x2f /* / */) {
      pos = after(text, '>', lt + 2);
      if (pos < 0) return -1;
      if (--depth === 0) return pos;
    } else {
      const tag = readTag(text, lt, '');
      if (!tag) return -1;
      if (!tag.selfClosing) depth++;
      pos = tag.end;
    }
  }
}

/**
 * The start tag at `lt`, reading attributes (quoted values may hold `>` or `/`) up to its `>`; `want`
 * names the attribute whose raw value is returned. Null when the tag is cut off or has no name.
 */
function readTag(text: string, lt: number, want: string): Tag | null {
  const name = nameAt(text, lt + 1);
  if (!name) return null;
  let attr: string | null = null;
  let pos = lt + 1 + name.length;
  for (;;) {
    pos = skipSpace(text, pos);
    const c = text.charCodeAt(pos);
    if (Number.isNaN(c)) return null;
    if (c === 0x3e /* > */) return { name, end: pos + 1, selfClosing: false, attr };
    if (c === 0x2f /* / */ && text.charCodeAt(pos + 1) === 0x3e) {
      return { name, end: pos + 2, selfClosing: true, attr };
    }
    const attrName = nameAt(text, pos);
    if (!attrName) {
      pos++; // not well-formed: step over the character rather than loop on it
      continue;
    }
    pos = skipSpace(text, pos + attrName.length);
    if (text.charCodeAt(pos) !== 0x3d /* = */) continue;
    pos = skipSpace(text, pos + 1);
    const q = text[pos];
    if (q !== '"' && q !== "'") continue;
    const close = text.indexOf(q, pos + 1);
    if (close < 0) return null;
    if (attrName === want && attr === null) attr = text.slice(pos + 1, close);
    pos = close + 1;
  }
}

/** The XML name starting at `pos` (letters, digits, `_ : . -` and non-ASCII), '' when there is none. */
function nameAt(text: string, pos: number): string {
  let end = pos;
  for (;;) {
    const c = text.charCodeAt(end);
    const ok =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      c === 0x5f ||
      c === 0x3a ||
      c >= 0x80 ||
      (end > pos && ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2e));
    if (!ok) return text.slice(pos, end);
    end++;
  }
}

function skipSpace(text: string, pos: number): number {
  for (;;) {
    const c = text.charCodeAt(pos);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return pos;
    pos++;
  }
}

/** The index just after the next `token` from `from`, or -1. */
function after(text: string, token: string, from: number): number {
  const i = text.indexOf(token, from);
  return i < 0 ? -1 : i + token.length;
}

/** After `<!DOCTYPE`: the index after its `>`, past quoted ids and an internal subset `[...]`; or -1. */
function skipDoctype(text: string, from: number): number {
  let pos = from;
  let inSubset = false;
  for (;;) {
    const c = text[pos];
    if (c === undefined) return -1;
    if (c === '"' || c === "'") {
      pos = after(text, c, pos + 1);
    } else if (inSubset && text.startsWith('<!--', pos)) {
      pos = after(text, '-->', pos + 4);
    } else if (inSubset && text.startsWith('<?', pos)) {
      pos = after(text, '?>', pos + 2);
    } else {
      if (c === '[') inSubset = true;
      else if (c === ']') inSubset = false;
      else if (c === '>' && !inSubset) return pos + 1;
      pos++;
    }
    if (pos < 0) return -1;
  }
}

/** What XML 1.0 does not allow in a document: C0 controls but tab, CR and LF; U+FFFE, U+FFFF; lone surrogates. */
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text an XML parser accepts: each character XML 1.0 forbids becomes U+FFFD (a guide with one stray byte
 * would otherwise be refused whole by a strict parser).
 */
export function xmlChars(s: string): string {
  return s.replace(NOT_XML, '\uFFFD');
}

function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (all, e: string) => {
    if (e === 'amp') return '&';
    if (e === 'lt') return '<';
    if (e === 'gt') return '>';
    if (e === 'quot') return '"';
    if (e === 'apos') return "'";
    const code = e.startsWith('#x') ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
    return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}
