// The HEVC SPS parser reads profile, tier, level and the conformance-window size.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseHevcSps } from '../src/index.js';
import { hex } from './bits.js';

describe('HEVC SPS', () => {
  test('captured SPS: x265 Main, level 3.1, 1280x720', () => {
    const sps = hex('42010101600000030090000003000003005da00280802d16595952930bc05a02000007d20000ea6010');
    assert.deepEqual(parseHevcSps(sps, 0, sps.length), {
      profile: 'Main',
      level: '3.1',
      tier: 'Main',
      width: 1280,
      height: 720,
    });
  });
});
