#!/usr/bin/env node
import '../dist/src/profile/main.js';
