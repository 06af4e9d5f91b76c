/**
 * Shard worker entry. A shard must end by itself: terminating a worker (or exiting the process) while its
 * uWS app holds a listen socket or connections aborts the whole process (`uv_loop_close` assertion). So
 * every error the shard cannot handle closes its sockets first, and shutdown closes everything and lets
 * the event loop drain.
 *
 * Start-up handshake: main posts `start` (the stream directory) the moment it spawns this worker, and
 * every later announcement behind it on the same port. The shard listens only once it has applied
 * `start`, so it never accepts a viewer for a stream it has not been told about.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log.js';
import { keepHeapBounded } from '../memory/heap-keeper.js';
import type { MainToShard, ShardInit, ShardToMain } from '../protocol.js';
import { Shard } from './shard.js';
import { testCrashWatch, testHold } from './test-hooks.js';

const init = workerData as ShardInit;
// `auto` was resolved by main (whose stdout this is); a shard's own stdout is never a terminal.
const log = createLogger(
  init.config.logLevel,
  { shard: init.shardId },
  init.config.logFormat === 'pretty' ? 'pretty' : 'json',
);
// The only module that touches the worker port: every part of the shard gets it handed in.
const shard = new Shard(init, log, parentPort!);
const stopCrashWatch = testCrashWatch(init.shardId);
// Garbage stays bounded under steady load (see memory/heap-keeper.ts).
keepHeapBounded();

let crashed = false;
let stopping = false;
let started = false;
function crash(err: unknown): void {
  log.fatal({ err }, 'shard crashed; closing its sockets and exiting');
  if (crashed) return;
  crashed = true;
  stopCrashWatch();
  shard.close();
  parentPort!.close();
  // Let main see a non-zero exit so it respawns us and moves our streams.
  process.exitCode = 1;
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

parentPort!.on('message', (msg: MainToShard) => {
  if (msg.type === 'shutdown') {
    stopping = true;
    stopCrashWatch();
    shard.shutdown().finally(() => parentPort!.close());
    return;
  }
  if (msg.type === 'abort') {
    // Main exits the process next: nothing of uWS may be open then (also mid-shutdown, or not yet listening).
    stopping = true;
    stopCrashWatch();
    shard.close();
    parentPort!.close();
    return;
  }
  shard.onMessage(msg);
  if (msg.type === 'start' && !started) {
    started = true;
    void listen();
  }
});

async function listen(): Promise<void> {
  await testHold(init.shardId, () => stopping || crashed);
  if (stopping || crashed) return;
  try {
    const port = await shard.listen();
    parentPort!.postMessage({ type: 'ready', shardId: init.shardId, port } satisfies ShardToMain);
  } catch (err) {
    // Main reports the sentence (stderr at start-up, its log on a respawn): no stack trace here.
    const message = err instanceof Error ? err.message : String(err);
    parentPort!.postMessage({ type: 'listenFailed', shardId: init.shardId, message } satisfies ShardToMain);
    stopCrashWatch();
    shard.close();
    parentPort!.close();
    process.exitCode = 1;
  }
}
