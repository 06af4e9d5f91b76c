#!/usr/bin/env node
import { runZap } from '../dist/src/bench/zap.js';
import { stopAllChildren } from '../dist/src/util/child.js';

runZap(process.argv.slice(2)).catch(async (err) => {
  process.stderr.write(`zap: ${err instanceof Error ? err.message : String(err)}\n`);
  await stopAllChildren();
  process.exit(1);
});
