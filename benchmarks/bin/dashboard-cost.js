#!/usr/bin/env node
import '../dist/src/bench/dashboard-cost.js';
