#!/usr/bin/env node
// Builds the operator dashboard (apps/dashboard/src) into apps/dashboard/dist: one esbuild bundle of
// Preact + htm, uPlot and hls.js with content-hashed file names, an index.html naming them, a gzip and a
// brotli copy of every file, and manifest.json listing what the shards load into memory at start.
// Runs as part of `npm run build`; nothing the page needs is fetched from the internet at run time.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../apps/dashboard/', import.meta.url));
const src = join(root, 'src');
const out = join(root, 'dist');
const assets = join(out, 'assets');

const TYPES = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
};

rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });

const result = await build({
  entryPoints: [join(src, 'main.js')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const script = outputs.find((f) => f.endsWith('.js'));
const style = outputs.find((f) => f.endsWith('.css'));
if (!script || !style) throw new Error(`dashboard bundle incomplete: ${outputs.join(', ')}`);

const html = readFileSync(join(src, 'index.html'), 'utf8')
  .replace('%STYLE%', `assets/${style}`)
  .replace('%SCRIPT%', `assets/${script}`);
writeFileSync(join(out, 'index.html'), html);

const files = {};
for (const rel of ['index.html', ...outputs.map((f) => `assets/${f}`)]) {
  const body = readFileSync(join(out, rel));
  const ext = rel.slice(rel.lastIndexOf('.'));
  writeFileSync(join(out, `${rel}.gz`), gzipSync(body, { level: 9 }));
  writeFileSync(
    join(out, `${rel}.br`),
    brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  );
  files[rel] = {
    type: TYPES[ext] ?? 'application/octet-stream',
    immutable: rel !== 'index.html',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    bytes: body.length,
  };
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify({ index: 'index.html', files }, null, 2)}\n`);
const total = Object.values(files).reduce((a, f) => a + f.bytes, 0);
console.log(`dashboard: ${Object.keys(files).length} files, ${(total / 1024).toFixed(0)} KiB → ${out}`);
