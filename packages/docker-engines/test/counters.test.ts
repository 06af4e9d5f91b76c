import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiCounters, RateWindow } from '../src/index.js';

test('calls in the last minute: a sliding window of one-second buckets', () => {
  const w = new RateWindow();
  for (let s = 0; s < 90; s++) w.add(s * 1000 + 500, 2);
  assert.equal(w.total(89_999), 120, 'seconds 30..89, two each');
  assert.equal(w.total(120_000), 2 * 29, 'thirty seconds later only seconds 61..89 remain');
  assert.equal(w.total(1_000_000), 0);
});

test('counters by endpoint: calls, throttled, errors, busy skips', () => {
  const c = new ApiCounters();
  c.call('stats', 0);
  c.call('stats', 10);
  c.call('list', 20);
  c.throttled('stats');
  c.error('list');
  c.skippedBusy();
  const s = c.snapshot(30);
  assert.equal(s.calls.stats, 2);
  assert.equal(s.calls.list, 1);
  assert.equal(s.throttled.stats, 1);
  assert.equal(s.errors.list, 1);
  assert.equal(s.statsSkippedBusy, 1);
  assert.equal(s.callsLastMinute, 3);
});
