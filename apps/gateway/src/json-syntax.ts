/**
 * Where a JSON text stops being JSON, as "line L, column C" — for files that hold secrets (player tokens,
 * source URLs): `JSON.parse`'s own message quotes the text around the mistake, which would print part of
 * a token. Pure; an iterative scan, so deep nesting cannot overflow the stack.
 */

/** `line L, column C` (1-based) of the first syntax error of `text`; `err` is what `JSON.parse` threw. */
export function jsonErrorPlace(text: string, err: unknown): string {
  let offset = jsonErrorOffset(text);
  if (offset === null) {
    // The scan found no mistake where the parser did: fall back to the parser's position, if it gave one.
    const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
    if (!m) return 'somewhere in the file';
    offset = Math.min(Number(m[1]), text.length);
  }
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `line ${line}, column ${offset - lineStart + 1}`;
}

/** Offset of the first character where `text` is not JSON (its length when it ends early); null if valid. */
export function jsonErrorOffset(text: string): number | null {
  const n = text.length;
  const stack: Array<'{' | '['> = [];
  let i = 0;
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      i++;
    }
  };
  const string = (): boolean => {
    if (text[i] !== '"') return false;
    i++;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
            i++;
            return false;
          }
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) {
          i += 2;
        } else {
          i++;
          return false;
        }
        continue;
      }
      i++;
    }
    return false;
  };
  const digits = (): boolean => {
    const start = i;
    while (i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x39) i++;
    return i > start;
  };
  const number = (): boolean => {
    if (text[i] === '-') i++;
    if (text[i] === '0') i++;
    else if (!digits()) return false;
    if (text[i] === '.') {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digits()) return false;
    }
    return true;
  };
  /** A member's key and its colon; false leaves `i` at the mistake. */
  const key = (): boolean => {
    ws();
    if (!string()) return false;
    ws();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  for (;;) {
    // A value starts here.
    ws();
    const c = text[i];
    if (c === '{' || c === '[') {
      i++;
      ws();
      if (text[i] === (c === '{' ? '}' : ']')) i++;
      else {
        stack.push(c);
        if (c === '{' && !key()) return i;
        continue;
      }
    } else if (c === '"') {
      if (!string()) return i;
    } else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      if (!number()) return i;
    } else {
      const word = c === 't' ? 'true' : c === 'f' ? 'false' : c === 'n' ? 'null' : null;
      if (word === null) return i;
      for (let k = 0; k < word.length; k++, i++) if (text[i] !== word[k]) return i;
    }
    // After a value: close containers, or a comma and the next member.
    for (;;) {
      ws();
      const top = stack[stack.length - 1];
      if (top === undefined) return i < n ? i : null;
      if (text[i] === ',') {
        i++;
        if (top === '{' && !key()) return i;
        break;
      }
      if (text[i] !== (top === '{' ? '}' : ']')) return i;
      i++;
      stack.pop();
    }
  }
}
