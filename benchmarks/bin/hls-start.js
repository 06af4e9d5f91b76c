#!/usr/bin/env node
import { runHlsStart } from '../dist/src/bench/hls-start.js';
import { stopAllChildren } from '../dist/src/util/child.js';

runHlsStart(process.argv.slice(2)).catch(async (err) => {
  process.stderr.write(`hls-start: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAllChildren();
  process.exit(1);
});
