// Behind a reverse proxy: X-Forwarded-For names the player and X-Forwarded-Proto/-Host shape the exports'
// URLs, but only from --trusted-proxies; from anyone else the same headers change nothing.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { parsePlaylist } from '@shardcast/hls';
import { Agent, fetch } from 'undici';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/config/types.js';
import { ForwardedTrust, isHost, parseCidr, plainAddress } from '../src/http/forwarded.js';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';

describe('ForwardedTrust in-process', () => {
  const headers =
    (h: Record<string, string>) =>
    (name: string): string =>
      h[name] ?? '';

  test('addresses and CIDRs parse; anything else does not', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { address: '10.0.0.0', prefix: 8, family: 'ipv4' });
    assert.deepEqual(parseCidr('::1'), { address: '::1', prefix: 128, family: 'ipv6' });
    for (const bad of ['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/', '10.0.0.0/8/8', '']) {
      assert.equal(parseCidr(bad), null, bad);
    }
  });

  test('a Host is a host name or address with an optional port in range; nothing else', () => {
    for (const good of [
      'tv.lan',
      'tv.lan:8000',
      'TV.Example.org.',
      'localhost:1',
      '10.1.2.3:65535',
      '[::1]',
      '[2001:db8::1]:443',
      'a-b.c0',
      `${'a'.repeat(63)}.lan`,
    ]) {
      assert.equal(isHost(good), true, good);
    }
    for (const bad of [
      '',
      'evil.com:99999',
      'tv.lan:0',
      'tv.lan:',
      'tv.lan:80:80',
      'a..b',
      '-a.com',
      'a-.com',
      '.a.com',
      `${'a'.repeat(64)}.lan`,
      'tv lan',
      'evil.example/x?',
      'user@tv.lan',
      '[::1',
      '[zz::1]',
      '[10.1.2.3]',
      '[::1]x',
      '[::1]:99999',
    ]) {
      assert.equal(isHost(bad), false, bad);
    }
  });

  test('dual-stack, bracketed and ported forms reduce to the address', () => {
    assert.equal(plainAddress('::ffff:10.1.2.3'), '10.1.2.3');
    assert.equal(plainAddress('0000:0000:0000:0000:0000:ffff:0a01:0203'), '10.1.2.3');
    assert.equal(plainAddress('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(plainAddress('10.1.2.3:5000'), '10.1.2.3');
    assert.equal(plainAddress('2001:db8::1'), '2001:db8::1');
  });

  test('nobody trusted: the connection is the player, whatever the headers say', () => {
    const t = new ForwardedTrust([]);
    assert.equal(t.enabled, false);
    const o = t.resolve(
      '127.0.0.1',
      headers({ 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'a.b' }),
    );
    assert.deepEqual(o, { address: '127.0.0.1', proto: undefined, host: undefined });
  });

  test('from a trusted proxy: the nearest untrusted hop, the first proto and host', () => {
    const t = new ForwardedTrust(['10.0.0.0/8', '::1']);
    const h = headers({
      'x-forwarded-for': '198.51.100.1, 203.0.113.9, 10.2.0.1',
      'x-forwarded-proto': 'HTTPS, http',
      'x-forwarded-host': 'tv.example.org:8443',
    });
    assert.deepEqual(t.resolve('10.0.0.5', h), {
      address: '203.0.113.9',
      proto: 'https',
      host: 'tv.example.org:8443',
    });
    assert.equal(t.resolve('::ffff:10.0.0.5', h).address, '203.0.113.9', 'dual-stack peer');
    assert.equal(t.resolve('::1', h).address, '203.0.113.9');
    // Not from a proxy: headers ignored.
    assert.deepEqual(t.resolve('192.0.2.1', h), { address: '192.0.2.1', proto: undefined, host: undefined });
  });

  test("a trusted proxy's X-Forwarded-Port completes a host that names no port", () => {
    const t = new ForwardedTrust(['10.0.0.0/8']);
    const host = (peer: string, h: Record<string, string>) => t.resolve(peer, headers(h)).host;
    const port = { 'x-forwarded-port': '8443', 'x-forwarded-proto': 'https' };
    assert.equal(host('10.0.0.5', { ...port, 'x-forwarded-host': 'tv.example.org' }), 'tv.example.org:8443');
    assert.equal(
      host('10.0.0.5', { ...port, host: 'tv.example.org' }),
      'tv.example.org:8443',
      'nginx Host $host',
    );
    assert.equal(host('10.0.0.5', { ...port, 'x-forwarded-host': '[2001:db8::1]' }), '[2001:db8::1]:8443');
    assert.equal(
      host('10.0.0.5', { ...port, 'x-forwarded-host': 'tv.example.org:9000' }),
      'tv.example.org:9000',
    );
    assert.equal(
      host('10.0.0.5', {
        'x-forwarded-port': '443',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'tv.example.org',
      }),
      'tv.example.org',
      'the default port of the scheme is left out',
    );
    assert.equal(host('10.0.0.5', { 'x-forwarded-port': '80', host: 'tv.example.org' }), 'tv.example.org');
    assert.equal(
      host('10.0.0.5', { 'x-forwarded-port': '8080', host: 'tv.example.org' }),
      'tv.example.org:8080',
    );
    assert.equal(
      host('10.0.0.5', { 'x-forwarded-port': '99999', host: 'tv.example.org' }),
      undefined,
      'no port',
    );
    assert.equal(host('10.0.0.5', { 'x-forwarded-port': '8443', host: 'a..b' }), undefined, 'no host');
    assert.equal(
      host('192.0.2.1', { ...port, 'x-forwarded-host': 'tv.example.org' }),
      undefined,
      'untrusted',
    );
  });

  test('a trusted proxy with missing or garbage headers changes nothing it cannot vouch for', () => {
    const t = new ForwardedTrust(['127.0.0.1']);
    assert.deepEqual(t.resolve('127.0.0.1', headers({})), {
      address: '127.0.0.1',
      proto: undefined,
      host: undefined,
    });
    const o = t.resolve(
      '127.0.0.1',
      headers({
        'x-forwarded-for': 'not-an-address, 203.0.113.9',
        'x-forwarded-proto': 'gopher',
        'x-forwarded-host': 'evil.example/path?x',
      }),
    );
    assert.deepEqual(o, { address: '203.0.113.9', proto: undefined, host: undefined });
    // Every hop trusted: the leftmost one is the player.
    assert.equal(t.resolve('127.0.0.1', headers({ 'x-forwarded-for': '127.0.0.1' })).address, '127.0.0.1');
    // A garbage hop stops the walk: what is left of it is the client's word.
    const g = t.resolve('127.0.0.1', headers({ 'x-forwarded-for': '203.0.113.9, junk' }));
    assert.equal(g.address, '127.0.0.1');
  });

  test('--trusted-proxies: repeatable, comma-separated in the environment, one sentence when wrong', () => {
    const flags = loadConfig(['--trusted-proxies', '10.0.0.0/8', '--trusted-proxies', '::1'], {}).config;
    assert.deepEqual(flags.trustedProxies, ['10.0.0.0/8', '::1']);
    const env = loadConfig([], { SHARDCAST_TRUSTED_PROXIES: '127.0.0.1, 192.168.0.0/16' }).config;
    assert.deepEqual(env.trustedProxies, ['127.0.0.1', '192.168.0.0/16']);
    assert.deepEqual(loadConfig([], {}).config.trustedProxies, []);
    assert.throws(
      () => loadConfig(['--trusted-proxies', '10.0.0.0/40'], {}),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          'Invalid --trusted-proxies "10.0.0.0/40": expected an IPv4 or IPv6 address, optionally with a /prefix (10.0.0.0/8).',
    );
  });
});

describe('gateways behind a proxy', () => {
  const PER_ADDRESS = 2;
  const SHARDS = 2;
  let sim: EngineSim;
  let trusting: GatewayProc;
  let wary: GatewayProc;
  let dir: string;

  before(async () => {
    sim = await startEngineSim({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'sc-proxies-'));
    const channels = join(dir, 'channels.json');
    writeFileSync(
      channels,
      JSON.stringify({ channels: [{ id: 'one', number: 1, name: 'One', sources: ['8f'.repeat(20)] }] }),
    );
    const common = [
      ...['--engine', sim.url, '--shards', String(SHARDS), '--channels', channels],
      ...['--hls-segment-seconds', '2', '--hls-viewer-timeout-seconds', '60'],
      ...['--hls-sessions-per-address', String(PER_ADDRESS)],
    ];
    trusting = await startGateway([...common, '--trusted-proxies', '127.0.0.0/8']);
    wary = await startGateway([...common, '--trusted-proxies', '10.0.0.0/8']);
  });
  after(async () => {
    await trusting?.stop();
    await wary?.stop();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const PROXY_HEADERS = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'tv.example.org' };

  test("the playlist's URLs use the proxy's scheme and host only when the proxy is trusted", async () => {
    const viaTrusted = await fetch(`${trusting.url}/playlist.m3u`, { headers: PROXY_HEADERS });
    assert.equal(viaTrusted.status, 200);
    const t = await viaTrusted.text();
    assert.match(t, /^https:\/\/tv\.example\.org\/channel\/one\.ts$/m, t);
    const viaWary = await fetch(`${wary.url}/playlist.m3u`, { headers: PROXY_HEADERS });
    const w = await viaWary.text();
    assert.doesNotMatch(w, /tv\.example\.org|https:/, w);
    assert.match(w, new RegExp(`^${wary.url}/channel/one\\.ts$`, 'm'), w);
  });

  /** One HLS player from `forwardedFor` (on its own connection): multivariant answer, then its variant. */
  async function player(gw: GatewayProc, id: string, forwardedFor: string): Promise<void> {
    const agent = new Agent({ connections: 1, pipelining: 0 });
    try {
      const url = `${gw.url}/ace/manifest.m3u8?id=${id}`;
      const headers = { 'X-Forwarded-For': forwardedFor, 'User-Agent': 'player' };
      const r = await fetch(url, { dispatcher: agent, headers });
      assert.equal(r.status, 200);
      const p = parsePlaylist(await r.text(), url);
      assert.ok(p.ok && p.value.kind === 'master');
      const variant = p.value.kind === 'master' ? p.value.variants[0]!.uri : '';
      const media = await fetch(variant, { dispatcher: agent, headers });
      assert.equal(media.status, 200);
      await media.text();
    } finally {
      await agent.close();
    }
  }

  test('per-address bounds count the forwarded player, not the proxy', async () => {
    const id = '9f'.repeat(20);
    const players = 3 * PER_ADDRESS * SHARDS;
    for (const gw of [trusting, wary]) {
      for (let i = 0; i < players; i++) await player(gw, id, `203.0.113.${i + 1}, 127.0.0.1`);
    }
    const count = async (gw: GatewayProc): Promise<number> =>
      (await getJson(`${gw.url}/api/v1/streams/${id}`)).body?.clients?.hls ?? -1;
    // Behind a trusted proxy every player is its own address, under the bound: all counted.
    assert.ok(await waitFor(async () => (await count(trusting)) === players, 10_000), 'all players counted');
    // From an untrusted address they are all 127.0.0.1: at most the bound on each shard.
    assert.ok(await waitFor(async () => (await count(wary)) >= PER_ADDRESS, 10_000));
    const counted = await count(wary);
    assert.ok(counted <= PER_ADDRESS * SHARDS, `${counted} counted from one address`);
  });
});
