// The probe is a pure package: its sources import no I/O module and no thread pool or logger (the
// gateway's piscina job does the I/O and hands it bytes), and depend on no workspace package but mpegts.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

// Tests run from dist/test; the sources live in ../../src relative to that.
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const sources = readdirSync(SRC)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ name: f, text: readFileSync(join(SRC, f), 'utf8') }));

test('src imports no I/O module, pool or logger', () => {
  assert.ok(sources.length >= 6, 'the sources were found');
  const io =
    /from '(node:)?(fs|net|http|https|http2|worker_threads|child_process|dgram|undici|pino|piscina)(\/[^']*)?'/;
  for (const { name, text } of sources) assert.doesNotMatch(text, io, `${name} imports an I/O module`);
});

test('src imports no workspace package but @shardcast/mpegts', () => {
  for (const { name, text } of sources) {
    for (const m of text.matchAll(/from '(@shardcast\/[^'/]+)/g)) {
      assert.equal(m[1], '@shardcast/mpegts', `${name} imports ${m[1]}`);
    }
  }
});
