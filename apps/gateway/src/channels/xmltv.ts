/**
 * XMLTV reduced to the catalog: keeps the document's prolog and `<tv>` element, and of its children only
 * the `<channel id>` and `<programme channel>` elements whose id is a `tvg_id` of the catalog. A guide of
 * a whole country shrinks to the channels the gateway serves, which is what media servers then import.
 * Pure, a linear scan (no DOM of a file that can be hundreds of MB); never throws.
 */

const TV_OPEN = /<tv\b[^>]*>/;
/** A top-level `<channel>` or `<programme>` element, self-closing or with content. */
const ELEMENT = /<(channel|programme)\b([^>]*?)(?:\/>|>([\s\S]*?)<\/\1\s*>)/g;
const ATTR = (name: string): RegExp => new RegExp(`\\b${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)')`);
const ID_ATTR = ATTR('id');
const CHANNEL_ATTR = ATTR('channel');

export interface Reduced {
  readonly xml: string;
  readonly channels: number;
  readonly programmes: number;
}

/** Null when `text` has no `<tv>` element (not XMLTV). */
export function reduceXmltv(text: string, tvgIds: ReadonlySet<string>): Reduced | null {
  const open = TV_OPEN.exec(text);
  if (!open) return null;
  const head = text.slice(0, open.index + open[0].length);
  const parts: string[] = [head.trimStart(), '\n'];
  let channels = 0;
  let programmes = 0;
  ELEMENT.lastIndex = open.index + open[0].length;
  for (let m = ELEMENT.exec(text); m !== null; m = ELEMENT.exec(text)) {
    const isChannel = m[1] === 'channel';
    const attr = (isChannel ? ID_ATTR : CHANNEL_ATTR).exec(m[2] ?? '');
    const id = attr ? decodeEntities(attr[1] ?? attr[2] ?? '') : '';
    if (!tvgIds.has(id)) continue;
    parts.push('  ', m[0], '\n');
    if (isChannel) channels++;
    else programmes++;
  }
  parts.push('</tv>\n');
  return { xml: parts.join(''), channels, programmes };
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
