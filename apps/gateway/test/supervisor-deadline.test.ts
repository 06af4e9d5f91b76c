/** The shards' start-up deadline grows with shards per CPU (they all boot at once). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readyDeadlineMs } from '../src/control/supervisor.js';

test('up to one shard per CPU: 15 s', () => {
  assert.equal(readyDeadlineMs(1, 2), 15_000);
  assert.equal(readyDeadlineMs(2, 2), 15_000);
  assert.equal(readyDeadlineMs(4, 16), 15_000);
});

test('more shards than CPUs: 15 s per round of shards the CPUs boot together', () => {
  assert.equal(readyDeadlineMs(3, 2), 30_000);
  assert.equal(readyDeadlineMs(64, 2), 480_000);
  assert.equal(readyDeadlineMs(40, 1), 600_000);
});

test('a CPU count of 0 (unknown) counts as one CPU', () => {
  assert.equal(readyDeadlineMs(4, 0), 60_000);
});
