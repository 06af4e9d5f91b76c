#!/usr/bin/env node
import '../dist/src/bench/main.js';
