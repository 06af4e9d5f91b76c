#!/usr/bin/env node
// Installed as the `shardcast` bin; runs the compiled gateway (build first: `npm run build`).
import '../dist/src/cli.js';
