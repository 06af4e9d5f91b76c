// The registry's selection rule and health thresholds, which decide where every new stream goes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineRegistry, type EngineState, HEALTHY_AFTER, UNHEALTHY_AFTER } from '../src/index.js';

function registryOf(ids: readonly string[], maxStreamsPerEngine = 2): EngineRegistry {
  const r = new EngineRegistry({ maxStreamsPerEngine });
  for (const id of ids) r.add({ id, url: `http://${id}:6878`, source: 'static' });
  return r;
}

function stats(cpuPercent: number) {
  return {
    cpuPercent,
    memoryBytes: 0,
    memoryLimitBytes: 0,
    netRxBytesPerSec: 0,
    netTxBytesPerSec: 0,
    blockReadBytesPerSec: 0,
    blockWriteBytesPerSec: 0,
    atMs: 0,
  };
}

test('select: fewest streams, then lowest CPU, then id; excluded and full engines are skipped', () => {
  const r = registryOf(['b', 'a', 'c']);
  assert.equal(r.select()?.id, 'a');
  r.recordStats('a', stats(50));
  r.recordStats('b', stats(10));
  r.recordStats('c', stats(10));
  assert.equal(r.select()?.id, 'b');
  r.assign('b');
  assert.equal(r.select()?.id, 'c');
  assert.equal(r.select(new Set(['c']))?.id, 'a');
  for (const id of ['a', 'b', 'c']) while ((r.get(id)?.streams ?? 0) < 2) r.assign(id);
  assert.equal(r.select(), null);
  r.release('a');
  assert.equal(r.select()?.id, 'a');
});

test('health: unhealthy after UNHEALTHY_AFTER failures, healthy again after HEALTHY_AFTER successes', () => {
  const r = registryOf(['a']);
  const changes: EngineState[] = [];
  r.on('health', (e) => changes.push(e));
  for (let i = 1; i < UNHEALTHY_AFTER; i++) r.recordProbe('a', false, i, { error: 'refused' });
  assert.equal(r.get('a')?.healthy, true);
  r.recordProbe('a', false, UNHEALTHY_AFTER, { error: 'refused' });
  assert.equal(r.get('a')?.healthy, false);
  assert.equal(r.select(), null);
  for (let i = 1; i < HEALTHY_AFTER; i++) r.recordProbe('a', true, 10 + i);
  assert.equal(r.get('a')?.healthy, false);
  r.recordProbe('a', true, 20, { version: '3.2' });
  assert.equal(r.get('a')?.healthy, true);
  assert.deepEqual(
    changes.map((e) => e.healthy),
    [false, true],
  );
  r.markDown('a', 'container died', 30);
  assert.equal(r.get('a')?.healthy, false);
  assert.equal(r.get('a')?.lastError, 'container died');
});
