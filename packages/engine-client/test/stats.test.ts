import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineClient } from '../src/index.js';
import { parseStat } from '../src/stats.js';
import { activeTimers, json, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let client: EngineClient;
let statUrl: string;

before(async () => {
  server = await startServer();
  client = new EngineClient({ baseUrl: server.origin });
  statUrl = `${server.origin}/ace/stat/h/s1`;
});
after(async () => {
  await client.close();
  await server.close();
});

const LIVEPOS = {
  pos: '1767629806',
  live_first: '1767628008',
  live_last: '1767629808',
  first_ts: '1767628008',
  last_ts: '1767629808',
  buffer_pieces: '15',
  is_live: 1,
};

test('snake_case stats are normalised, livepos strings become numbers; no timer left', async () => {
  server.handle(
    json({
      response: {
        status: 'dl',
        peers: 15,
        speed_down: 158,
        speed_up: 6,
        downloaded: 72613888,
        uploaded: 2506752,
        total_progress: 0,
        livepos: LIVEPOS,
      },
      error: null,
    }),
  );
  const timersBefore = activeTimers();
  const s = await client.stat(statUrl);
  assert.equal(activeTimers(), timersBefore);
  assert.deepEqual(s, {
    status: 'dl',
    peers: 15,
    speedDownKBps: 158,
    speedUpKBps: 6,
    downloadedBytes: 72613888,
    uploadedBytes: 2506752,
    totalProgress: 0,
    livepos: {
      pos: 1767629806,
      liveFirst: 1767628008,
      liveLast: 1767629808,
      firstTs: 1767628008,
      lastTs: 1767629808,
      bufferPieces: 15,
      isLive: true,
    },
  });
});

test('camelCase speeds and numeric strings are accepted; missing counters read 0', () => {
  const s = parseStat(
    { response: { status: 'prebuf', speedDown: '42', speedUp: 3, peers: '2' }, error: null },
    'w',
  );
  assert.equal(s.speedDownKBps, 42);
  assert.equal(s.speedUpKBps, 3);
  assert.equal(s.peers, 2);
  assert.equal(s.downloadedBytes, 0);
  assert.equal(s.livepos, undefined);
});

test('"unknown playback session id" → SC_ERR_ENGINE_SESSION_GONE', async () => {
  server.handle(json({ response: null, error: 'unknown playback session id' }));
  await assert.rejects(client.stat(statUrl), (err: Error & { code?: string; retryable?: boolean }) => {
    assert.equal(err.code, 'SC_ERR_ENGINE_SESSION_GONE');
    assert.equal(err.retryable, true);
    return true;
  });
});

test('other engine errors and wrong types keep their own codes', async () => {
  server.handle(json({ response: null, error: 'internal error' }));
  await assert.rejects(client.stat(statUrl), { code: 'SC_ERR_ENGINE_REJECTED' });
  for (const response of [
    { peers: 1 },
    { status: 'dl', peers: 'many' },
    { status: 'dl', speed_down: {} },
    { status: 'dl', livepos: 'x' },
    { status: 'dl', livepos: { pos: 'soon' } },
  ]) {
    server.handle(json({ response, error: null }));
    await assert.rejects(
      client.stat(statUrl),
      { code: 'SC_ERR_ENGINE_BAD_RESPONSE' },
      JSON.stringify(response),
    );
  }
});
