// Each shard's V8 young generation is capped: by default V8 grows a thread's nursery to 32 MB under a
// steady rate of short-lived objects with some survivors (what a busy shard makes) and never returns it,
// which showed as resident memory rising for many minutes on the memory soak.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { SHARD_YOUNG_GENERATION_MB, shardWorkerOptions } from '../src/control/supervisor.js';
import type { ShardInit } from '../src/protocol.js';

// Allocates ~3 million small objects, a tenth of them kept for a while, then reports its new space.
const WORKLOAD = `
const v8 = require('node:v8');
const { parentPort } = require('node:worker_threads');
const keep = [];
for (let i = 0; i < 3e6; i++) {
  const o = { a: i, b: [i] };
  if (i % 10 === 0) keep.push(o);
  if (keep.length > 20000) keep.splice(0, 10000);
}
parentPort.postMessage(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size);
`;

function newSpaceAfterWorkload(resourceLimits: Worker['resourceLimits'] | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKLOAD, { eval: true, ...(resourceLimits ? { resourceLimits } : {}) });
    w.once('message', (bytes: number) => {
      resolve(bytes);
      void w.terminate();
    });
    w.once('error', reject);
  });
}

test('shard workers are created with a capped young generation, and V8 keeps the nursery under it', async () => {
  const options = shardWorkerOptions({ shardId: 1 } as ShardInit);
  assert.equal(options.name, 'shard-1');
  assert.equal(options.resourceLimits?.maxYoungGenerationSizeMb, SHARD_YOUNG_GENERATION_MB);
  const capped = await newSpaceAfterWorkload(options.resourceLimits);
  assert.ok(
    capped <= SHARD_YOUNG_GENERATION_MB * 1024 * 1024,
    `new space ${capped} bytes over the ${SHARD_YOUNG_GENERATION_MB} MB young generation`,
  );
  // The same workload without the cap grows the nursery past it: the cap is what keeps it small.
  const uncapped = await newSpaceAfterWorkload(undefined);
  assert.ok(uncapped > SHARD_YOUNG_GENERATION_MB * 1024 * 1024, `uncapped new space only ${uncapped} bytes`);
});
