import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CC_RESULT, ContinuityChecker, NULL_PID } from '../src/index.js';
import { packet } from './fixtures.js';

describe('ContinuityChecker', () => {
  it('accepts a continuous run across the 15 -> 0 wrap', () => {
    const c = new ContinuityChecker();
    for (let i = 0; i < 40; i++) assert.equal(c.check(0x100, i & 15, true), CC_RESULT.OK);
    assert.equal(c.errors, 0);
  });

  it('counts a jump as an error and resynchronises on it', () => {
    const c = new ContinuityChecker();
    c.check(0x100, 3, true);
    assert.equal(c.check(0x100, 5, true), CC_RESULT.ERROR);
    assert.equal(c.check(0x100, 6, true), CC_RESULT.OK);
    assert.equal(c.errors, 1);
  });

  it('does not expect an increment on packets without payload', () => {
    const c = new ContinuityChecker();
    c.check(0x100, 3, true);
    assert.equal(c.check(0x100, 3, false), CC_RESULT.OK);
    assert.equal(c.check(0x100, 4, false), CC_RESULT.ERROR);
  });

  it('allows one duplicate, not two', () => {
    const c = new ContinuityChecker();
    c.check(0x100, 3, true);
    assert.equal(c.check(0x100, 3, true), CC_RESULT.DUPLICATE);
    assert.equal(c.check(0x100, 3, true), CC_RESULT.ERROR);
    assert.equal(c.duplicates, 1);
    assert.equal(c.errors, 1);
  });

  it('honours discontinuity_indicator and ignores null packets', () => {
    const c = new ContinuityChecker();
    c.check(0x100, 3, true);
    const jump = packet({ pid: 0x100, cc: 9, discontinuity: true, payload: [1] });
    assert.equal(c.checkPacket(jump, 0), CC_RESULT.DISCONTINUITY);
    assert.equal(c.check(0x100, 10, true), CC_RESULT.OK);
    assert.equal(c.check(NULL_PID, 0, true), CC_RESULT.OK);
    assert.equal(c.check(NULL_PID, 0, true), CC_RESULT.OK);
    assert.equal(c.errors, 0);
  });

  it('tracks PIDs independently', () => {
    const c = new ContinuityChecker();
    c.check(0x100, 0, true);
    c.check(0x101, 7, true);
    assert.equal(c.check(0x100, 1, true), CC_RESULT.OK);
    assert.equal(c.check(0x101, 8, true), CC_RESULT.OK);
    assert.equal(c.lastCounter(0x101), 8);
  });
});
