// Per-player TS checks on the engine-sim fixture: clean bytes pass (PAT/PMT and keyframe at join, no
// continuity or sync errors, PCR bitrate); a lost packet and a corrupted sync byte are caught; how the
// bytes are split into reads does not matter.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { DEFAULT_FIXTURE } from '@shardcast/engine-sim';
import fc from 'fast-check';
import { TsValidator } from '../src/players/ts-validator.js';

const fixture = readFileSync(DEFAULT_FIXTURE);
const TS = 188;

function validate(bytes: Buffer, cuts: number[] = []): TsValidator {
  const v = new TsValidator();
  let at = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    v.push(bytes.subarray(at, c));
    at = c;
  }
  v.push(bytes.subarray(at));
  return v;
}

test('the fixture passes every check and gives its media bitrate from the PCR', () => {
  const v = validate(fixture);
  assert.equal(v.stats.packets, fixture.length / TS);
  assert.equal(v.stats.psiAtJoin, 'ok');
  assert.equal(v.stats.keyframeAtJoin, 'ok');
  assert.equal(v.stats.ccErrors, 0);
  assert.equal(v.stats.syncErrors, 0);
  // 1 128 000 bit/s multiplex minus its null packets: between the 896 kbit/s of audio+video and the mux rate.
  const mediaBits = (v.mediaBytes * 8) / 8;
  assert.ok(Math.abs(v.bitrate - mediaBits) / mediaBits < 0.05, `bitrate ${v.bitrate} vs ${mediaBits}`);
});

test('a lost packet breaks continuity; a bad sync byte is a sync error', () => {
  // Drop one payload packet of an elementary stream (a null packet has no counter to break).
  let k = 500;
  while ((((fixture[k * TS + 1]! & 0x1f) << 8) | fixture[k * TS + 2]!) === 0x1fff) k++;
  const lost = Buffer.concat([fixture.subarray(0, k * TS), fixture.subarray((k + 1) * TS, 1000 * TS)]);
  assert.ok(validate(lost).stats.ccErrors >= 1);
  const garbled = Buffer.from(fixture.subarray(0, 1000 * TS));
  garbled[600 * TS] = 0x00;
  assert.ok(validate(garbled).stats.syncErrors >= 1);
});

test('joining mid-stream without PAT/PMT first fails the join check', () => {
  assert.equal(validate(fixture.subarray(100 * TS, 400 * TS)).stats.psiAtJoin, 'failed');
});

test('the split into reads does not change the result', () => {
  const part = fixture.subarray(0, 2000 * TS);
  const whole = validate(part);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: part.length - 1 }), { maxLength: 30 }), (cuts) => {
      const v = validate(part, cuts);
      assert.deepEqual(v.stats, whole.stats);
      assert.equal(v.bitrate, whole.bitrate);
    }),
    { numRuns: 50 },
  );
});
