// The dashboard's static files: built with hashed names, served from memory by every shard with the
// encoding the browser asks for, a year of caching for hashed assets and revalidation for the index.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { chooseEncoding, DashboardAssets } from '../src/http/dashboard-assets.js';
import { type GatewayProc, startGateway } from './support/gateway-proc.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** One request over node:http, body bytes as sent (no decompression). */
function raw(url: string, method = 'GET', headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Accept-Encoding negotiation', () => {
  test('brotli first, then gzip, then none; q=0 refuses; * stands for the rest', () => {
    assert.equal(chooseEncoding('gzip, deflate, br, zstd'), 'br');
    assert.equal(chooseEncoding('gzip, deflate'), 'gzip');
    assert.equal(chooseEncoding(''), 'identity');
    assert.equal(chooseEncoding('br;q=0, gzip;q=0.5'), 'gzip');
    assert.equal(chooseEncoding('br;q=0, gzip;q=0'), 'identity');
    assert.equal(chooseEncoding('*'), 'br');
    assert.equal(chooseEncoding('*;q=0, gzip'), 'gzip');
    assert.equal(chooseEncoding('identity'), 'identity');
    assert.equal(chooseEncoding('BR'), 'br');
  });
});

describe('the built dashboard', () => {
  test('hashed asset names, an index naming them, gzip and brotli copies of the same bytes', () => {
    const assets = DashboardAssets.load();
    const names = assets.names();
    assert.ok(names.includes('index.html'));
    const hashed = names.filter((n) => n !== 'index.html');
    assert.ok(
      hashed.some((n) => /^assets\/main-[A-Z0-9]{8}\.js$/.test(n)),
      names.join(', '),
    );
    assert.ok(
      hashed.some((n) => /^assets\/main-[A-Z0-9]{8}\.css$/.test(n)),
      names.join(', '),
    );
    const index = assets.index.bodies.identity.toString('utf8');
    for (const n of hashed) {
      assert.ok(index.includes(`/dashboard/${n}`), `index names ${n}`);
      const a = assets.asset(n.slice('assets/'.length))!;
      assert.equal(a.immutable, true);
      assert.deepEqual(gunzipSync(a.bodies.gzip), a.bodies.identity);
      assert.deepEqual(brotliDecompressSync(a.bodies.br), a.bodies.identity);
      assert.ok(a.bodies.br.length < a.bodies.identity.length);
    }
    assert.equal(assets.index.immutable, false);
  });
});

describe('serving the dashboard', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  let script = '';
  before(async () => {
    sim = await startEngineSim({ port: 0 });
    gw = await startGateway(['--engine', sim.url, '--shards', '2']);
    const index = (await raw(`${gw.url}/`)).body.toString('utf8');
    script = /src="(\/dashboard\/assets\/main-[A-Z0-9]{8}\.js)"/.exec(index)?.[1] ?? '';
    assert.ok(script, index);
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
  });

  test('GET / and /dashboard/ answer the index, revalidated on every load', async () => {
    for (const path of ['/', '/dashboard/', '/dashboard']) {
      const r = await raw(`${gw.url}${path}`);
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(r.headers['cache-control'], 'no-cache');
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      assert.match(String(r.headers.etag), /^"[\w-]+"$/);
      assert.match(r.body.toString('utf8'), /<div id="app">/);
      const again = await raw(`${gw.url}${path}`, 'GET', { 'if-none-match': String(r.headers.etag) });
      assert.equal(again.status, 304);
      assert.equal(again.body.length, 0);
    }
  });

  test('hashed assets: immutable for a year, the encoding asked for, Vary: Accept-Encoding', async () => {
    const plain = await raw(`${gw.url}${script}`);
    assert.equal(plain.status, 200);
    assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.match(String(plain.headers.vary), /Accept-Encoding/);
    assert.equal(Number(plain.headers['content-length']), plain.body.length);
    const br = await raw(`${gw.url}${script}`, 'GET', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.deepEqual(brotliDecompressSync(br.body), plain.body);
    assert.ok(br.body.length < plain.body.length / 2);
    const gz = await raw(`${gw.url}${script}`, 'GET', { 'accept-encoding': 'br;q=0, gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), plain.body);
    // Each encoding is its own representation: its own ETag.
    assert.notEqual(br.headers.etag, plain.headers.etag);
    assert.notEqual(gz.headers.etag, br.headers.etag);
  });

  test('HEAD: the headers and length GET would send, no body', async () => {
    const get = await raw(`${gw.url}${script}`, 'GET', { 'accept-encoding': 'br' });
    const head = await raw(`${gw.url}${script}`, 'HEAD', { 'accept-encoding': 'br' });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(head.headers['content-length'], String(get.body.length));
    assert.equal(head.headers['content-encoding'], 'br');
    assert.equal(head.headers['cache-control'], get.headers['cache-control']);
    const index = await raw(`${gw.url}/`, 'HEAD');
    assert.equal(index.status, 200);
    assert.equal(index.body.length, 0);
    assert.ok(Number(index.headers['content-length']) > 100);
  });

  test('an unknown asset is a JSON 404; other methods a 405', async () => {
    const missing = await raw(`${gw.url}/dashboard/assets/main-XXXXXXXX.js`);
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body.toString('utf8')).error.code, 'SC_ERR_NOT_FOUND');
    const post = await raw(`${gw.url}/`, 'POST');
    assert.equal(post.status, 405);
    assert.equal(JSON.parse(post.body.toString('utf8')).error.code, 'SC_ERR_METHOD_NOT_ALLOWED');
  });
});
