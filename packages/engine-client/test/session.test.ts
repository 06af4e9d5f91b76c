import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { EngineClient, type EngineErrorCode, isEngineError, type StartSessionOptions } from '../src/index.js';
import { closedPort, ID, json, sessionEnvelope, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let client: EngineClient;
const start = (o: Partial<StartSessionOptions> = {}) =>
  client.startSession({ key: { kind: 'id', value: ID }, format: 'ts', ...o });

before(async () => {
  server = await startServer();
  client = new EngineClient({ baseUrl: server.origin, userAgent: 'VLC/3.0.20 LibVLC/3.0.20' });
});
after(async () => {
  await client.close();
  await server.close();
});

async function failsWith(code: EngineErrorCode, p: Promise<unknown>): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isEngineError(err), `not an EngineError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  });
}

test('happy path: envelope parsed, fresh pid, format=json, allow-listed extras sent', async () => {
  let userAgent: string | undefined;
  server.handle((req, res) => {
    userAgent = req.headers['user-agent'];
    json(sessionEnvelope(server.origin))(req, res);
  });
  const s = await start({ extra: { file_indexes: '0,2', seekback: '30' } });
  assert.equal(s.playbackUrl, `${server.origin}/ace/r/${ID}/s1`);
  assert.equal(s.statUrl, `${server.origin}/ace/stat/${ID}/s1`);
  assert.equal(s.commandUrl, `${server.origin}/ace/cmd/${ID}/s1`);
  assert.equal(s.playbackSessionId, 'f'.repeat(40));
  assert.equal(s.isLive, true);
  assert.equal(s.bitrate, 312500);
  assert.equal(s.infohash, 'a'.repeat(40));
  assert.equal(s.engine, server.origin);
  assert.equal(s.rebased, false);
  assert.equal(userAgent, 'VLC/3.0.20 LibVLC/3.0.20');
  const q = new URL(server.requests.at(-1)!, server.origin);
  assert.equal(q.pathname, '/ace/getstream');
  assert.equal(q.searchParams.get('id'), ID);
  assert.equal(q.searchParams.get('format'), 'json');
  assert.equal(q.searchParams.get('file_indexes'), '0,2');
  assert.equal(q.searchParams.get('seekback'), '30');
  assert.equal(q.searchParams.get('pid'), s.pid);
  assert.match(s.pid, /^[0-9a-f-]{36}$/);
  const again = await start();
  assert.notEqual(again.pid, s.pid, 'every session gets a fresh pid');
});

test('hls format asks manifest.m3u8 and infohash keys are sent as infohash', async () => {
  server.handle(json(sessionEnvelope(server.origin, { is_live: 0 })));
  const s = await start({ format: 'hls', key: { kind: 'infohash', value: ID }, pid: 'player-1' });
  const q = new URL(server.requests.at(-1)!, server.origin);
  assert.equal(q.pathname, '/ace/manifest.m3u8');
  assert.equal(q.searchParams.get('infohash'), ID);
  assert.equal(q.searchParams.get('id'), null);
  assert.equal(s.pid, 'player-1');
  assert.equal(s.format, 'hls');
  assert.equal(s.isLive, false);
});

test('failure shapes map to their codes', async () => {
  const cases: [unknown, number, EngineErrorCode][] = [
    [{ response: null, error: 'failed to load content' }, 200, 'SC_ERR_ENGINE_REJECTED'],
    [{ response: null, error: null }, 200, 'SC_ERR_ENGINE_NO_RESPONSE'],
    [sessionEnvelope(server.origin, { playback_url: '' }), 200, 'SC_ERR_ENGINE_NO_PLAYBACK_URL'],
    [sessionEnvelope(server.origin, { playback_url: undefined }), 200, 'SC_ERR_ENGINE_NO_PLAYBACK_URL'],
    ['{"response": {', 200, 'SC_ERR_ENGINE_BAD_RESPONSE'],
    ['[1,2]', 200, 'SC_ERR_ENGINE_BAD_RESPONSE'],
    [sessionEnvelope(server.origin, { playback_url: 42 }), 200, 'SC_ERR_ENGINE_BAD_RESPONSE'],
    [sessionEnvelope(server.origin, { stat_url: undefined }), 200, 'SC_ERR_ENGINE_BAD_RESPONSE'],
    [sessionEnvelope(server.origin, { is_live: 'yes' }), 200, 'SC_ERR_ENGINE_BAD_RESPONSE'],
    [sessionEnvelope(server.origin, { bitrate: 'fast' }), 200, 'SC_ERR_ENGINE_BAD_RESPONSE'],
    [
      sessionEnvelope(server.origin, { playback_url: 'file:///etc/passwd' }),
      200,
      'SC_ERR_ENGINE_BAD_RESPONSE',
    ],
    [
      sessionEnvelope(server.origin, { command_url: 'javascript:alert(1)' }),
      200,
      'SC_ERR_ENGINE_BAD_RESPONSE',
    ],
    [{ response: 'ok', error: null }, 200, 'SC_ERR_ENGINE_BAD_RESPONSE'],
    [{ response: null, error: { nested: true } }, 200, 'SC_ERR_ENGINE_BAD_RESPONSE'],
    ['busy', 503, 'SC_ERR_ENGINE_HTTP_STATUS'],
  ];
  for (const [body, status, code] of cases) {
    server.handle(json(body, status));
    await failsWith(code, start());
  }
});

test('the engine error text is kept in the message; HTTP status kept and retryable decided by it', async () => {
  server.handle(json({ response: null, error: 'Cannot load transport file' }));
  await assert.rejects(start(), /Cannot load transport file/);
  for (const [status, retryable] of [
    [500, true],
    [404, false],
    [302, false],
  ] as const) {
    server.handle(json('{}', status));
    await assert.rejects(start(), (err: unknown) => {
      assert.ok(isEngineError(err, 'SC_ERR_ENGINE_HTTP_STATUS'));
      assert.equal(err.status, status);
      assert.equal(err.retryable, retryable);
      return true;
    });
  }
});

test('connect failure → SC_ERR_ENGINE_CONNECT, retryable', async () => {
  const dead = new EngineClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
  try {
    await assert.rejects(
      dead.startSession({ key: { kind: 'id', value: ID }, format: 'ts' }),
      (err: unknown) => {
        assert.ok(isEngineError(err, 'SC_ERR_ENGINE_CONNECT'), String(err));
        assert.equal(err.retryable, true);
        return true;
      },
    );
  } finally {
    await dead.close();
  }
});

test('bad arguments are refused before any request', async () => {
  const before = server.requests.length;
  await failsWith('SC_ERR_ENGINE_BAD_REQUEST', start({ key: { kind: 'id', value: 'abc' } }));
  await failsWith('SC_ERR_ENGINE_BAD_REQUEST', start({ key: { kind: 'url' as 'id', value: ID } }));
  await failsWith('SC_ERR_ENGINE_BAD_REQUEST', start({ extra: { url: 'http://evil/' } }));
  await failsWith('SC_ERR_ENGINE_BAD_REQUEST', start({ extra: { file_indexes: '0;1' } }));
  await failsWith('SC_ERR_ENGINE_BAD_REQUEST', start({ extra: { seekback: '-5' } }));
  await failsWith('SC_ERR_ENGINE_BAD_REQUEST', start({ pid: 'a&format=xml' }));
  await failsWith('SC_ERR_ENGINE_BAD_REQUEST', start({ format: 'mp4' as 'ts' }));
  assert.equal(server.requests.length, before);
});
