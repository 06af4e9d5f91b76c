/**
 * Shard worker entry. A shard must end by itself: terminating a worker (or exiting the process) while its
 * uWS app holds a listen socket or connections aborts the whole process (`uv_loop_close` assertion). So
 * every error the shard cannot handle closes its sockets first, and shutdown closes everything and lets
 * the event loop drain.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log.js';
import { keepHeapBounded } from '../memory/heap-keeper.js';
import type { MainToShard, ShardInit } from '../protocol.js';
import { Shard } from './shard.js';

const init = workerData as ShardInit;
const log = createLogger(init.config.logLevel, { shard: init.shardId });
const shard = new Shard(init, log);
// Garbage stays bounded under steady load (see memory/heap-keeper.ts).
keepHeapBounded();

let crashed = false;
function crash(err: unknown): void {
  log.fatal({ err }, 'shard crashed; closing its sockets and exiting');
  if (crashed) return;
  crashed = true;
  shard.close('crash');
  parentPort!.close();
  // Let main see a non-zero exit so it respawns us and moves our streams.
  process.exitCode = 1;
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

parentPort!.on('message', (msg: MainToShard) => {
  if (msg.type === 'shutdown') {
    shard.shutdown().finally(() => parentPort!.close());
    return;
  }
  shard.onMessage(msg);
});

shard.listen().then(
  (port) => parentPort!.postMessage({ type: 'ready', shardId: init.shardId, port }),
  (err: unknown) => {
    log.error({ err }, 'shard could not listen');
    shard.close('listen failed');
    parentPort!.close();
    process.exitCode = 1;
  },
);
