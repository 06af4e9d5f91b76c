#!/usr/bin/env node
import '../dist/src/bench/ab-gateway.js';
