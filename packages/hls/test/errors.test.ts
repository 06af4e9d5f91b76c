// Every error code this package can produce is registered and documented, and every registered code
// is produced somewhere; the sources import no I/O module (pure package rule).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HLS_ERROR_CODES, HlsParseError } from '../src/index.js';

// Tests run from dist/test; the sources live in ../../src relative to that.
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const sources = readdirSync(SRC)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ name: f, text: readFileSync(join(SRC, f), 'utf8') }));

describe('error registry', () => {
  it('documents every code the sources use, and the sources use every documented code', () => {
    const used = new Set<string>();
    for (const { name, text } of sources) {
      if (name === 'errors.ts') continue;
      for (const m of text.matchAll(/'(SC_ERR_[A-Z_]+)'/g)) used.add(m[1]!);
    }
    const documented = Object.keys(HLS_ERROR_CODES);
    for (const code of used) assert.ok(documented.includes(code), `${code} is not in HLS_ERROR_CODES`);
    for (const code of documented) assert.ok(used.has(code), `${code} is documented but never produced`);
    for (const text of Object.values(HLS_ERROR_CODES)) assert.match(text, /^[A-Z].+\.$/);
  });

  it('parse errors carry code, line and a message naming the line', () => {
    const e = new HlsParseError('SC_ERR_HLS_BAD_TAG', 'EXTINF needs a non-negative duration', 7);
    assert.equal(e.code, 'SC_ERR_HLS_BAD_TAG');
    assert.equal(e.line, 7);
    assert.equal(e.message, 'EXTINF needs a non-negative duration (line 7)');
  });

  it('src imports no I/O module', () => {
    const io =
      /from '(node:)?(fs|net|http|https|http2|worker_threads|child_process|dgram|undici|pino)(\/[^']*)?'/;
    for (const { name, text } of sources) assert.doesNotMatch(text, io, `${name} imports an I/O module`);
  });
});
