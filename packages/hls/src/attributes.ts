// Attribute lists (RFC 8216 §4.2) and the scalar value grammars the parser needs.

/** Parses `NAME=value,NAME="quoted, value"`; names upper-cased, quotes removed. Null when malformed. */
export function parseAttributes(text: string): Map<string, string> | null {
  const out = new Map<string, string>();
  const n = text.length;
  let i = 0;
  while (i < n) {
    while (i < n && (text[i] === ' ' || text[i] === ',')) i++;
    if (i >= n) break;
    const eq = text.indexOf('=', i);
    if (eq < 0) return null;
    const name = text.slice(i, eq).trim().toUpperCase();
    if (!/^[A-Z0-9_-]+$/.test(name)) return null;
    i = eq + 1;
    let value: string;
    if (text[i] === '"') {
      // quoted-string: no escapes, so the value ends at the next double quote (§4.2).
      const close = text.indexOf('"', i + 1);
      if (close < 0) return null;
      value = text.slice(i + 1, close);
      i = close + 1;
    } else {
      const comma = text.indexOf(',', i);
      const end = comma < 0 ? n : comma;
      value = text.slice(i, end).trim();
      i = end;
    }
    // Duplicate names: the first wins; the RFC forbids repeats (§4.2).
    if (!out.has(name)) out.set(name, value);
  }
  return out;
}

/** decimal-integer (§4.2) within the safe integer range, else undefined. */
export function parseDecimalInteger(text: string): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Non-negative decimal-floating-point (§4.2), tolerant of `10` and `10.`; else undefined. */
export function parseDecimalFloat(text: string): number | undefined {
  if (!/^(\d{1,16}(\.\d*)?|\.\d+)$/.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? v : undefined;
}

/** `<n>[@<o>]` byte range (§4.3.2.2); offset undefined when absent. */
export function parseByteRange(text: string): { length: number; offset: number | undefined } | undefined {
  const at = text.indexOf('@');
  const length = parseDecimalInteger(at < 0 ? text.trim() : text.slice(0, at).trim());
  if (length === undefined) return undefined;
  if (at < 0) return { length, offset: undefined };
  const offset = parseDecimalInteger(text.slice(at + 1).trim());
  return offset === undefined ? undefined : { length, offset };
}

/** `<width>x<height>` decimal-resolution (§4.2). */
export function parseResolution(text: string): { width: number; height: number } | undefined {
  const m = /^(\d{1,6})[xX](\d{1,6})$/.exec(text);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}
