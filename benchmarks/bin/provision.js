#!/usr/bin/env node
import '../dist/src/bench/provision.js';
