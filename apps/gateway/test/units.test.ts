// Pure pieces of the gateway: query parsing, stream keys, API-key checks, HLS sequence memory, timing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../src/config/load.js';
import { checkApiKey } from '../src/control/auth.js';
import { HlsSequenceMemory } from '../src/control/hls-memory.js';
import { hlsTiming } from '../src/hls-timing.js';
import { parseStreamQuery } from '../src/shard/query.js';
import { keyString, parseKeyToken } from '../src/stream-key.js';

const HEX = 'A1b2C3d4E5f60718293a4b5c6d7e8f9001122334';

describe('parseStreamQuery', () => {
  test('id and infohash, case-folded; other AceStream parameters tolerated', () => {
    assert.deepEqual(parseStreamQuery(`id=${HEX}&pid=xyz&file_indexes=0`).key, {
      kind: 'id',
      hex: HEX.toLowerCase(),
    });
    assert.deepEqual(parseStreamQuery(`infohash=${HEX}`).key, { kind: 'infohash', hex: HEX.toLowerCase() });
    assert.equal(parseStreamQuery(`id=${HEX}&infohash=${'0'.repeat(40)}`).key?.kind, 'id');
  });
  test('missing and malformed ids are classified', () => {
    assert.equal(parseStreamQuery('').error, 'SC_ERR_MISSING_ID');
    assert.equal(parseStreamQuery('id=').error, 'SC_ERR_MISSING_ID');
    assert.equal(parseStreamQuery('id=zz').error, 'SC_ERR_BAD_ID');
    assert.equal(parseStreamQuery(`id=${HEX}0`).error, 'SC_ERR_BAD_ID');
  });
  test('a repeated id or infohash must agree: different values are refused, not guessed at', () => {
    const other = '0'.repeat(40);
    assert.equal(parseStreamQuery(`id=${HEX}&id=${other}`).error, 'SC_ERR_CONFLICTING_ID');
    assert.equal(parseStreamQuery(`id=${other}&id=${HEX}`).error, 'SC_ERR_CONFLICTING_ID');
    assert.equal(parseStreamQuery(`id=zz&id=${HEX}`).error, 'SC_ERR_CONFLICTING_ID');
    assert.equal(parseStreamQuery(`infohash=${HEX}&infohash=${other}`).error, 'SC_ERR_CONFLICTING_ID');
    // The same stream twice (any case), or once beside an empty one, is one answer.
    assert.deepEqual(parseStreamQuery(`id=${HEX}&id=${HEX.toLowerCase()}&id=`).key, {
      kind: 'id',
      hex: HEX.toLowerCase(),
    });
    // id decides: a conflicting infohash beside it is not looked at, as a single infohash is not.
    assert.equal(parseStreamQuery(`id=${HEX}&infohash=${other}&infohash=${'1'.repeat(40)}`).key?.kind, 'id');
  });
  test('never throws, whatever the bytes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (q) => {
        const r = parseStreamQuery(q);
        assert.ok((r.key === null) !== (r.error === null));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('stream keys', () => {
  test('tokens round-trip and keep the two namespaces apart', () => {
    const id = { kind: 'id' as const, hex: HEX.toLowerCase() };
    const ih = { kind: 'infohash' as const, hex: HEX.toLowerCase() };
    assert.notEqual(keyString(id), keyString(ih));
    assert.deepEqual(parseKeyToken(keyString(id)), id);
    assert.deepEqual(parseKeyToken(keyString(ih)), ih);
    assert.equal(parseKeyToken('ih-zz'), null);
    assert.equal(parseKeyToken('../etc'), null);
  });
});

describe('checkApiKey', () => {
  test('disabled without a key, Bearer or X-API-Key accepted, anything else denied', () => {
    assert.equal(checkApiKey(undefined, { authorization: 'Bearer x' }), 'disabled');
    assert.equal(checkApiKey('k', { authorization: 'Bearer k' }), 'ok');
    assert.equal(checkApiKey('k', { authorization: 'bearer   k ' }), 'ok');
    assert.equal(checkApiKey('k', { 'x-api-key': 'k' }), 'ok');
    assert.equal(checkApiKey('k', {}), 'denied');
    assert.equal(checkApiKey('k', { authorization: 'Basic k' }), 'denied');
    assert.equal(checkApiKey('k', { 'x-api-key': 'kk' }), 'denied');
    // Behind an authenticating proxy the Bearer is the proxy's token: the key in X-API-Key still counts.
    assert.equal(checkApiKey('k', { authorization: 'Bearer proxy-token', 'x-api-key': 'k' }), 'ok');
    assert.equal(checkApiKey('k', { authorization: 'Bearer k', 'x-api-key': 'wrong' }), 'ok');
    assert.equal(checkApiKey('k', { authorization: 'Bearer proxy-token', 'x-api-key': 'kk' }), 'denied');
  });
});

describe('HlsSequenceMemory', () => {
  test('a new key starts at the wall clock in seconds; a remembered key continues and is marked resumed', () => {
    const m = new HlsSequenceMemory();
    const now = 1_800_000_000_000;
    assert.deepEqual(m.next('k', now), { seq: 1_800_000_000, discontinuitySeq: 0, resumed: false });
    m.remember('k', { seq: 1_800_000_500, discontinuitySeq: 3, resumed: true }, now);
    assert.deepEqual(m.next('k', now + 1000), { seq: 1_800_000_500, discontinuitySeq: 3, resumed: true });
    // Never below the clock either: a long-closed key cannot go back.
    assert.equal(m.next('k', now + 3_600_000).seq, 1_800_003_600);
  });
});

describe('hlsTiming', () => {
  test('target duration covers the hard maximum; window at least three target durations', () => {
    const { config } = loadConfig(['--hls-segment-seconds', '2', '--hls-window-seconds', '6'], {});
    const t = hlsTiming(config);
    assert.ok(t.targetDuration >= t.maxSeconds);
    assert.ok(t.windowSeconds >= 3 * t.targetDuration);
  });
});
