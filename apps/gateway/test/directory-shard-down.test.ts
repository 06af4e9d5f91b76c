// The directory forgets the pending opens of a shard that died: their clients died with it, and its
// respawned successor numbers its requests from 1 again, so a late `opened` would settle one of the
// successor's own requests with the wrong stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { directoryRig } from './support/directory-rig.js';

const KEY = { kind: 'id', hex: 'ab'.repeat(20) } as const;

test('an open pending for a shard that died is not answered to its successor', () => {
  const { dir, sent } = directoryRig();
  dir.open(1, 5, KEY);
  dir.open(0, 7, KEY);
  const entry = [...dir.entries()][0]!;
  dir.shardDown(1);
  dir.ownerReady(entry.id);
  const replies = sent.filter(([, m]) => m.type === 'opened');
  assert.deepEqual(
    replies.map(([shard, m]) => [shard, (m as { reqId: number }).reqId]),
    [[0, 7]],
    'only the live shard’s request is answered',
  );
  dir.closeAll('test');
});
