#!/usr/bin/env node
import '../dist/src/players/cli.js';
