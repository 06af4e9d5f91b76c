// A client made for an operator-listed URL source (`source: true`): redirects are followed (at most 5 hops,
// http(s) only, never to a Location with credentials), other hosts may be fetched, and a source on a public
// host may not lead the gateway to an internal address (literal addresses at once, names at connect time).
// An engine's client keeps its rules: a 3xx is a status error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { guardedLookup, isInternalAddress, type Resolve, sourceMayReach } from '../src/address.js';
import { EngineClient } from '../src/index.js';
import { startServer, type TestServer } from './helpers.js';

const LIMIT = { timeout: 10_000 };
let provider: TestServer;
let edge: TestServer;
let source: EngineClient;

before(async () => {
  provider = await startServer();
  edge = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`edge ${req.url}`);
  });
  source = new EngineClient({ baseUrl: provider.origin, source: true });
});
after(async () => {
  await source.close();
  await provider.close();
  await edge.close();
});

test('internal addresses: loopback, private, link-local, unspecified, in IPv4, IPv6 and mapped form', () => {
  const internal = [
    '127.0.0.1',
    '127.9.9.9',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.20',
    '100.64.0.1',
    '100.127.255.254',
    '169.254.169.254',
    '0.0.0.0',
    '::1',
    '[::1]',
    '::',
    'fc00::1',
    'fd12:3456::9',
    'fe80::1',
    '[fe80::1%25eth0]',
    '::ffff:127.0.0.1',
    '[::ffff:7f00:1]',
    '::ffff:169.254.169.254',
    '[::ffff:a9fe:a9fe]',
  ];
  for (const a of internal) assert.equal(isInternalAddress(a), true, a);
  // An internal IPv4 address inside IPv6 reaches that host through a translator or a relay.
  const embedded = [
    '[64:ff9b::7f00:1]',
    '64:ff9b::10.0.0.5',
    '[64:ff9b::a9fe:a9fe]',
    '64:ff9b:1::8.8.8.8',
    '[2002:7f00:1::]',
    '2002:c0a8:105::1',
    '::ffff:0:127.0.0.1',
    '[::ffff:0:a00:5]',
    'fec0::1',
  ];
  for (const a of embedded) assert.equal(isInternalAddress(a), true, a);
  for (const a of ['64:ff9b::808:808', '2002:808:808::1', '::ffff:0:8.8.8.8']) {
    assert.equal(isInternalAddress(a), false, a);
  }
  // The odd IPv4 spellings a URL allows are normalised by the URL parser before they are judged.
  for (const written of ['http://2130706433/', 'http://0x7f.1/', 'http://127.1/', 'http://[::127.0.0.1]/']) {
    assert.equal(sourceMayReach('provider.net', new URL(written).hostname), false, written);
  }
  assert.equal(sourceMayReach('provider.net', new URL('http://[64:ff9b::127.0.0.1]/').hostname), false);
  const external = [
    '8.8.8.8',
    '172.32.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '192.169.0.1',
    '169.255.0.1',
    '2001:db8::1',
    '[2606:4700::1111]',
  ];
  for (const a of external) assert.equal(isInternalAddress(a), false, a);
  // A name is no address: it is checked when it is resolved.
  assert.equal(isInternalAddress('localhost'), false);

  assert.equal(sourceMayReach('cdn.provider.net', '10.0.0.5'), false, 'public source, private target');
  assert.equal(sourceMayReach('93.184.216.34', '169.254.169.254'), false, 'metadata address');
  assert.equal(sourceMayReach('provider.net', '[fe80::1]'), false);
  assert.equal(sourceMayReach('provider.net', 'edge7.provider.net'), true, 'public to a name');
  assert.equal(sourceMayReach('provider.net', '93.184.216.35'), true, 'public to public');
  assert.equal(sourceMayReach('192.168.1.5', '192.168.1.6'), true, 'a LAN source may lead into the LAN');
  assert.equal(sourceMayReach('127.0.0.1', '127.0.0.2'), true);
  assert.equal(sourceMayReach('[::1]', '10.0.0.1'), true);
});

test(
  'the connect-time lookup refuses a name resolving to an internal address, but not the source own name',
  LIMIT,
  async () => {
    const lookup = guardedLookup('provider.invalid');
    assert.ok(lookup);
    const refused = await new Promise<unknown>((resolve) =>
      lookup('localhost', { all: true }, (err) => resolve(err)),
    );
    assert.equal((refused as { code?: string } | null)?.code, 'SC_ERR_ENGINE_URL_REFUSED');
    const own = guardedLookup('localhost');
    assert.ok(own);
    const ok = await new Promise<unknown>((resolve) => own('localhost', {}, (err) => resolve(err)));
    assert.equal(ok, null);
    assert.equal(guardedLookup('10.0.0.1'), undefined, 'an internal source has no guard');
  },
);

test(
  'the source own name may not turn internal after a public first answer (DNS rebinding)',
  LIMIT,
  async () => {
    const answers = new Map<string, string[]>([
      ['provider.invalid', ['93.184.216.34', '127.0.0.1', '93.184.216.34']],
      ['lan-box.invalid', ['192.168.1.5', '192.168.1.5']],
    ]);
    const resolve: Resolve = (hostname, _options, callback) => {
      const next = answers.get(hostname)?.shift() ?? '0.0.0.0';
      callback(null, [{ address: next, family: 4 }], undefined);
    };
    const ask = (lookup: ReturnType<typeof guardedLookup>, name: string) =>
      new Promise<unknown>((done) => lookup?.(name, { all: true }, (err) => done(err)));
    const pub = guardedLookup('provider.invalid', resolve);
    assert.equal(await ask(pub, 'provider.invalid'), null, 'first answer public: connected');
    const rebound = (await ask(pub, 'provider.invalid')) as { code?: string; message?: string } | null;
    assert.equal(rebound?.code, 'SC_ERR_ENGINE_URL_REFUSED');
    assert.match(rebound?.message ?? '', /now resolves to an internal address/);
    assert.equal(await ask(pub, 'provider.invalid'), null, 'public again: connected');
    const lan = guardedLookup('lan-box.invalid', resolve);
    assert.equal(
      await ask(lan, 'lan-box.invalid'),
      null,
      'a name that first resolved into the LAN is a LAN source',
    );
    assert.equal(await ask(lan, 'lan-box.invalid'), null);
  },
);

test(
  'a source client follows redirects to another host; the text comes with the URL that answered',
  LIMIT,
  async () => {
    provider.handle((req, res) => {
      if (req.url === '/live/u/p/1.m3u8') res.writeHead(302, { location: '/hop/1.m3u8?t=1' });
      else res.writeHead(301, { location: `${edge.origin}/hls/tok/index.m3u8` });
      res.end();
    });
    const got = await source.fetchTextAt(`${provider.origin}/live/u/p/1.m3u8`);
    assert.equal(got.text, 'edge /hls/tok/index.m3u8');
    assert.equal(got.url, `${edge.origin}/hls/tok/index.m3u8`);
    assert.equal(
      source.resolveUrl('seg/1.ts', got.url).url,
      `${edge.origin}/hls/tok/seg/1.ts`,
      'relative URIs resolve against the redirected URL',
    );
    assert.equal(
      source.resolveUrl('http://cdn.example/seg/2.ts', got.url).url,
      'http://cdn.example/seg/2.ts',
    );

    // The long-lived stream (a socket of its own) follows too.
    provider.handle((_req, res) => {
      res.writeHead(302, { location: `${edge.origin}/edge/1.ts` });
      res.end();
    });
    const stream = await source.openByteStream(`${provider.origin}/live/u/p/1.ts`);
    const chunks: Buffer[] = [];
    await stream.pipe((v) => chunks.push(Buffer.from(v)));
    assert.equal(Buffer.concat(chunks).toString(), 'edge /edge/1.ts');

    // An engine's client does not follow: a 3xx stays a status error.
    const engine = new EngineClient({ baseUrl: provider.origin });
    try {
      await assert.rejects(engine.fetchText(`${provider.origin}/x.m3u8`), {
        code: 'SC_ERR_ENGINE_HTTP_STATUS',
        status: 302,
      });
      await assert.rejects(engine.openByteStream(`${provider.origin}/x.ts`), { status: 302 });
    } finally {
      await engine.close();
    }
  },
);

test('a redirect loop ends after 5 followed hops', LIMIT, async () => {
  provider.handle((_req, res) => {
    res.writeHead(302, { location: '/loop' });
    res.end();
  });
  for (const open of [
    () => source.fetchText(`${provider.origin}/loop`),
    () => source.openByteStream(`${provider.origin}/loop`),
  ]) {
    const before = provider.requests.length;
    await assert.rejects(open(), (err: { code?: string; message?: string; retryable?: boolean }) => {
      assert.equal(err.code, 'SC_ERR_ENGINE_HTTP_STATUS');
      assert.match(err.message ?? '', /more than 5 redirects/);
      assert.equal(err.retryable, false);
      return true;
    });
    assert.equal(provider.requests.length - before, 6, 'the first request and 5 redirects');
  }
});

test(
  'a Location with credentials, or not http(s), is refused and not repeated in the error',
  LIMIT,
  async () => {
    for (const location of [
      `http://user:s3cret@127.0.0.1:${edge.port}/x`,
      'ftp://127.0.0.1/x',
      'file:///etc/passwd',
    ]) {
      provider.handle((_req, res) => {
        res.writeHead(302, { location });
        res.end();
      });
      const before = edge.requests.length;
      for (const open of [
        () => source.fetchText(`${provider.origin}/c`),
        () => source.openByteStream(`${provider.origin}/c`),
      ]) {
        await assert.rejects(open(), (err: { code?: string; message?: string }) => {
          assert.equal(err.code, 'SC_ERR_ENGINE_URL_REFUSED');
          assert.match(err.message ?? '', /redirect refused/);
          assert.ok(!(err.message ?? '').includes('s3cret'), err.message);
          return true;
        });
      }
      assert.equal(edge.requests.length, before, 'the target was not asked');
    }
  },
);

test(
  'a response head over 16 KiB (a huge Location) is a bad response on both connection paths',
  LIMIT,
  async () => {
    provider.handle((_req, res) => {
      res.writeHead(302, { location: `/${'a'.repeat(70_000)}` });
      res.end();
    });
    for (const open of [
      () => source.fetchText(`${provider.origin}/big`),
      () => source.openByteStream(`${provider.origin}/big`),
    ]) {
      await assert.rejects(open(), { code: 'SC_ERR_ENGINE_BAD_RESPONSE', retryable: true });
    }
  },
);

test('a source on a public host may not lead to an internal address', LIMIT, async () => {
  // Never connected to: the refusals happen before (literal addresses) or at name resolution.
  const pub = new EngineClient({ baseUrl: 'http://provider.invalid', source: true, timeoutMs: 5000 });
  try {
    for (const ref of [
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.1/seg.ts',
      `${edge.origin}/x`,
    ]) {
      assert.throws(() => pub.resolveUrl(ref, 'http://provider.invalid/live/1.m3u8'), {
        code: 'SC_ERR_ENGINE_URL_REFUSED',
      });
      await assert.rejects(pub.fetchBytes(ref), { code: 'SC_ERR_ENGINE_URL_REFUSED' });
    }
    // A name that resolves to loopback: refused when connecting, on both connection paths.
    const before = edge.requests.length;
    await assert.rejects(pub.fetchBytes(`http://localhost:${edge.port}/x`), {
      code: 'SC_ERR_ENGINE_URL_REFUSED',
    });
    await assert.rejects(pub.openByteStream(`http://localhost:${edge.port}/x`), {
      code: 'SC_ERR_ENGINE_URL_REFUSED',
    });
    assert.equal(edge.requests.length, before, 'nothing reached the internal host');
  } finally {
    await pub.close();
  }
});
