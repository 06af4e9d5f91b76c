// The directory forgets the pending opens of a shard that died: their clients died with it, and its
// respawned successor numbers its requests from 1 again, so a late `opened` would settle one of the
// successor's own requests with the wrong stream.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineRegistry } from '@shardcast/engines';
import { loadConfig } from '../src/config/load.js';
import { type ShardPort, StreamDirectory } from '../src/control/directory.js';
import { createLogger } from '../src/log.js';
import type { MainToShard } from '../src/protocol.js';

function setup(): { dir: StreamDirectory; sent: Array<[number, MainToShard]> } {
  const result = loadConfig(['--shards', '2', '--engine', 'http://127.0.0.1:9'], {});
  assert.ok('config' in result && result.config);
  const config = result.config;
  const sent: Array<[number, MainToShard]> = [];
  const shards: ShardPort = {
    size: 2,
    isReady: () => true,
    send: (id, msg) => {
      sent.push([id, msg]);
      return true;
    },
    broadcast: (msg) => {
      for (const id of [0, 1]) sent.push([id, msg]);
    },
  };
  const engines = new EngineRegistry({ maxStreamsPerEngine: 10 });
  engines.add({ id: 'e', url: 'http://127.0.0.1:9', source: 'static' });
  return { dir: new StreamDirectory(config, createLogger('silent', {}), shards, engines), sent };
}

const KEY = { kind: 'id', hex: 'ab'.repeat(20) } as const;

test('an open pending for a shard that died is not answered to its successor', () => {
  const { dir, sent } = setup();
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
