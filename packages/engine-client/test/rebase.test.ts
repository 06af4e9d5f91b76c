import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineClient } from '../src/index.js';
import { ID, json, sessionEnvelope, startServer, type TestServer } from './helpers.js';

// The engine inside Docker names itself by its container address; we reach it via loopback.
const INSIDE = 'http://172.17.0.5:6878';
let engine: TestServer;
let foreign: TestServer;
let client: EngineClient;

before(async () => {
  engine = await startServer();
  foreign = await startServer(json({ response: { status: 'dl' }, error: null }));
  client = new EngineClient({ baseUrl: engine.origin });
});
after(async () => {
  await client.close();
  await engine.close();
  await foreign.close();
});

test('URLs on another host are rebased onto the configured origin, path and query kept', async () => {
  engine.handle(
    json(
      sessionEnvelope(INSIDE, {
        playback_url: `${INSIDE}/ace/r/${ID}/s1?token=a%20b&x=1#frag`,
        command_url: `https://172.17.0.5/ace/cmd/${ID}/s1`,
      }),
    ),
  );
  const s = await client.startSession({ key: { kind: 'id', value: ID }, format: 'ts' });
  assert.equal(s.playbackUrl, `${engine.origin}/ace/r/${ID}/s1?token=a%20b&x=1`);
  assert.equal(s.statUrl, `${engine.origin}/ace/stat/${ID}/s1`);
  assert.equal(s.commandUrl, `${engine.origin}/ace/cmd/${ID}/s1`);
  assert.equal(s.rebased, true);
  assert.equal(s.advertisedOrigin, INSIDE);
  for (const u of [s.playbackUrl, s.statUrl, s.commandUrl]) assert.equal(client.isEngineUrl(u), true);
});

test('a protocol-relative looking path cannot move the host', async () => {
  engine.handle(json(sessionEnvelope(INSIDE, { playback_url: `${INSIDE}//${foreign.origin.slice(7)}/x` })));
  const s = await client.startSession({ key: { kind: 'id', value: ID }, format: 'ts' });
  assert.equal(new URL(s.playbackUrl).origin, engine.origin);
  assert.equal(client.isEngineUrl(s.playbackUrl), true);
});

test('relative session URLs resolve against the engine', async () => {
  engine.handle(json(sessionEnvelope('', {})));
  const s = await client.startSession({ key: { kind: 'id', value: ID }, format: 'ts' });
  assert.equal(s.statUrl, `${engine.origin}/ace/stat/${ID}/s1`);
  assert.equal(s.rebased, false);
});

test('isEngineUrl refuses everything off the configured origin', () => {
  const port = engine.port;
  assert.equal(client.isEngineUrl(`http://127.0.0.1:${port}/ace/r/a/b`), true);
  for (const url of [
    `http://127.0.0.2:${port}/ace/r/a/b`,
    `http://localhost:${port}/ace/r/a/b`,
    `http://127.0.0.1:${port + 1}/ace/r/a/b`,
    `https://127.0.0.1:${port}/ace/r/a/b`,
    `http://user:pw@127.0.0.1:${port}/`,
    `file:///etc/passwd`,
    'javascript:alert(1)',
    '/ace/r/a/b',
    '',
    'not a url',
  ]) {
    assert.equal(client.isEngineUrl(url), false, url);
  }
});

test('refused URLs are never fetched', async () => {
  const before = foreign.requests.length;
  const url = `${foreign.origin}/ace/stat/a/b`;
  await assert.rejects(client.fetchBytes(url), { code: 'SC_ERR_ENGINE_URL_REFUSED' });
  await assert.rejects(client.fetchText(url), { code: 'SC_ERR_ENGINE_URL_REFUSED' });
  await assert.rejects(client.stat(url), { code: 'SC_ERR_ENGINE_URL_REFUSED' });
  await assert.rejects(client.openStream(url), { code: 'SC_ERR_ENGINE_URL_REFUSED' });
  const stop = await client.stop(url);
  assert.equal(stop.ok, false);
  assert.equal(stop.ok ? '' : stop.error.code, 'SC_ERR_ENGINE_URL_REFUSED');
  assert.equal(foreign.requests.length, before);
});

test('resolveUrl: relative refs, advertised origins rebased, any other host refused', () => {
  const playlist = `${engine.origin}/ace/m/${ID}/s1.m3u8`;
  assert.deepEqual(client.resolveUrl('seg/7.ts', playlist), {
    url: `${engine.origin}/ace/m/${ID}/seg/7.ts`,
    rebased: false,
  });
  assert.deepEqual(client.resolveUrl('/ace/c/s1/7.ts', playlist), {
    url: `${engine.origin}/ace/c/s1/7.ts`,
    rebased: false,
  });
  // INSIDE was advertised by the engine in the first test's session answer.
  assert.deepEqual(client.resolveUrl(`${INSIDE}/ace/c/s1/8.ts`, playlist), {
    url: `${engine.origin}/ace/c/s1/8.ts`,
    rebased: true,
  });
  for (const ref of [
    `${foreign.origin}/x.ts`,
    `//${foreign.origin.slice(7)}/x.ts`,
    'http://10.9.9.9/x.ts',
    'ftp://h/x',
  ]) {
    assert.throws(() => client.resolveUrl(ref, playlist), { code: 'SC_ERR_ENGINE_URL_REFUSED' }, ref);
  }
  assert.throws(() => client.resolveUrl('x.ts', `${foreign.origin}/p.m3u8`), {
    code: 'SC_ERR_ENGINE_URL_REFUSED',
  });
});
