// The playout model behind "stalls": prebuffer, real-time drain, a stall when the buffer runs dry,
// rebuffering to the prebuffer level, and stalled time accounted to the millisecond.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Playout } from '../src/players/playout.js';

test('media arriving at real time never stalls once playing', () => {
  const p = new Playout(1, 0);
  // Binary-exact steps (1/8 s) so the prebuffer threshold is reached exactly at 1 s.
  for (let t = 125; t <= 20_000; t += 125) p.add(0.125, t);
  p.finish(20_000);
  assert.equal(p.stalls, 0);
  assert.equal(p.startedAtMs, 1000);
  assert.ok(Math.abs(p.bufferedS - 1) < 1e-6);
});

test('media at 0.8x real time stalls, rebuffers, and counts the stalled time', () => {
  const p = new Playout(1, 0);
  for (let t = 100; t <= 20_000; t += 100) p.add(0.08, t);
  p.finish(20_000);
  assert.ok(p.stalls >= 2, `stalls ${p.stalls}`);
  assert.equal(p.state === 'playing' || p.state === 'rebuffering', true);
  // Played time can never exceed the media received.
  assert.ok(p.playedMs / 1000 <= 0.08 * 200 + 1e-6);
  assert.ok(p.stalledMs > 0);
  assert.ok(
    Math.abs(p.playedMs + p.stalledMs + p.startedAtMs - 20_000) < 1,
    'every millisecond is accounted',
  );
});

test('the initial prebuffer is not a stall', () => {
  const p = new Playout(2, 0);
  p.add(1, 5000);
  p.finish(10_000);
  assert.equal(p.stalls, 0);
  assert.equal(p.state, 'prebuffer');
});
