// The README is the contract: every error code and every setting is documented, and nothing documented
// is missing from the code (a retired code or flag must leave the README too).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { OPTIONS } from '../src/config/schema.js';
import { ERRORS } from '../src/errors.js';

const README = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

test('every gateway error code is documented in the README, with its status', () => {
  for (const [code, spec] of Object.entries(ERRORS)) {
    const row = README.split('\n').find((l) => l.includes(`\`${code}\``));
    assert.ok(row, `${code} is not in the README`);
    assert.ok(row.includes(String(spec.status)), `${code}'s README row lacks its status ${spec.status}`);
  }
});

test('the README names no gateway error code that does not exist', () => {
  const documented = new Set(README.match(/SC_ERR_[A-Z_]+/g) ?? []);
  for (const code of documented) {
    // Engine-client codes (SC_ERR_ENGINE_*) and HLS package codes are documented in their packages.
    if (code.startsWith('SC_ERR_ENGINE_') || code.startsWith('SC_ERR_HLS_')) continue;
    assert.ok(code in ERRORS, `README documents ${code}, which the gateway does not have`);
  }
});

test('every flag and environment variable is in the README', () => {
  for (const o of OPTIONS) {
    assert.ok(README.includes(`--${o.flag}`), `--${o.flag} is not documented`);
    assert.ok(README.includes(o.env), `${o.env} is not documented`);
  }
});
