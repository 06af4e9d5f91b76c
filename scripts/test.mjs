#!/usr/bin/env node
// Runs the compiled node:test files of one tier.
//   unit: every `dist/test/**/*.test.js` (pure units and loopback integration tests with engine-sim)
//   e2e:  every `dist/e2e/**/*.e2e.js` (real players, Docker, Prometheus; run `eval "$(scripts/setup-e2e.sh)"` first)
// Extra arguments are substring filters on the file path: `node scripts/test.mjs unit ring`.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [tier = 'unit', ...filters] = process.argv.slice(2);
const tiers = { unit: { dir: 'test', suffix: '.test.js' }, e2e: { dir: 'e2e', suffix: '.e2e.js' } };
const spec = tiers[tier];
if (!spec) {
  console.error(`Unknown test tier "${tier}"; use one of: ${Object.keys(tiers).join(', ')}.`);
  process.exit(2);
}

function walk(dir, out) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(spec.suffix)) out.push(p);
  }
  return out;
}

const files = [];
for (const group of ['packages', 'apps']) {
  for (const pkg of readdirSync(join(root, group))) walk(join(root, group, pkg, 'dist', spec.dir), files);
}
walk(join(root, 'benchmarks', 'dist', spec.dir), files);
const selected = files
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (selected.length === 0) {
  console.error(`No ${tier} test files found (did the build run?).`);
  process.exit(1);
}
// One file at a time: several suites start real servers and measure pacing on a 2-core machine.
const args = ['--test', '--test-concurrency=1', '--test-reporter=spec', ...selected];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
