/**
 * Test-only hooks for start-up and crash races. They are read from the environment, inert unless a test
 * sets them, and exposed by neither the CLI nor the config schema:
 *
 * - `SHARDCAST_TEST_HOLD_SHARDS=1,3` with `SHARDCAST_TEST_RELEASE_FILE=<path>`: the listed shards apply
 *   their directory snapshot, then wait without listening until `<path>` exists. A test gets a
 *   deterministic "shard spawned but not yet ready" window (main keeps announcing streams meanwhile).
 * - `SHARDCAST_TEST_HOLD_SHUTDOWN=0,2` with `SHARDCAST_TEST_RELEASE_FILE=<path>`: the listed shards, at a
 *   graceful shutdown, stop their streams and then wait, their uWS app still open, until `<path>` exists or
 *   main tells them to close: a shard that outlives main's shutdown deadline.
 * - `SHARDCAST_TEST_CRASH_DIR=<dir>`: a shard crashes through the real crash path (an uncaught error) once
 *   the file `<dir>/crash-<shardId>` appears; it deletes the file first, so its respawn does not crash.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const POLL_MS = 20;

/**
 * Resolves at once unless a test holds this shard (`SHARDCAST_TEST_HOLD_SHARDS`, or the variable named by
 * `list`); then once released (or `cancelled()` turns true).
 */
export function testHold(
  shardId: number,
  cancelled: () => boolean,
  list: 'SHARDCAST_TEST_HOLD_SHARDS' | 'SHARDCAST_TEST_HOLD_SHUTDOWN' = 'SHARDCAST_TEST_HOLD_SHARDS',
): Promise<void> {
  const held = (process.env[list] ?? '').split(',').map((s) => s.trim());
  const file = process.env.SHARDCAST_TEST_RELEASE_FILE;
  if (!file || !held.includes(String(shardId))) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!cancelled() && !existsSync(file)) return;
      clearInterval(timer);
      resolve();
    }, POLL_MS);
  });
}

/** Starts watching for this shard's crash file; returns the stop function (a no-op outside tests). */
export function testCrashWatch(shardId: number): () => void {
  const dir = process.env.SHARDCAST_TEST_CRASH_DIR;
  if (!dir) return () => {};
  const file = join(dir, `crash-${shardId}`);
  const timer = setInterval(() => {
    if (!existsSync(file)) return;
    clearInterval(timer);
    rmSync(file, { force: true });
    throw new Error(`test crash of shard ${shardId}`);
  }, POLL_MS);
  // Never the reason a shard stays alive.
  timer.unref();
  return () => clearInterval(timer);
}
