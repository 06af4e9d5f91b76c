// A URL source's redirect chain that crosses from http to https: the plain-http stream follows its hops on
// sockets of its own and hands an https hop to undici, which follows the rest. The 5 hops are one budget
// for the whole chain; before, undici started its own 5 and a mixed chain got 10.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { EngineClient } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';

const LIMIT = { timeout: 20_000 };
let provider: TestServer;
let tls: Server;
let tlsOrigin = '';
const tlsRequests: string[] = [];
let source: EngineClient;

before(async () => {
  // A self-signed certificate for 127.0.0.1 kept with the tests (no openssl needed at test time); this
  // test process accepts it (nothing else runs in it).
  const fixture = (name: string): Buffer =>
    readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url));
  tls = createServer({ key: fixture('tls-key.pem'), cert: fixture('tls-cert.pem') });
  process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
  tls.on('request', (req, res) => {
    tlsRequests.push(req.url ?? '');
    res.writeHead(302, { location: `/tls${tlsRequests.length}` });
    res.end();
  });
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  tlsOrigin = `https://127.0.0.1:${(tls.address() as AddressInfo).port}`;
  provider = await startServer();
  source = new EngineClient({ baseUrl: provider.origin, source: true });
});
after(async () => {
  await source.close();
  await provider.close();
  tls.closeAllConnections();
  await new Promise<void>((resolve) => tls.close(() => resolve()));
});

test('an http→https redirect chain is one budget of 5 hops on the stream path', LIMIT, async () => {
  // Three http hops, then https, which redirects for ever.
  provider.handle((req, res) => {
    const n = Number((req.url ?? '').slice(1)) || 0;
    res.writeHead(302, { location: n < 2 ? `/${n + 1}` : `${tlsOrigin}/start` });
    res.end();
  });
  await assert.rejects(source.openByteStream(`${provider.origin}/0`), (err: { message?: string }) => {
    assert.match(err.message ?? '', /more than 5 redirects/);
    return true;
  });
  assert.equal(provider.requests.length, 3, 'three requests on http (two hops, then the hop to https)');
  assert.equal(tlsRequests.length, 3, 'three on https: 6 requests, the first and 5 redirects');
});
