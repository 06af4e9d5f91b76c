import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EngineClient, type EngineClientOptions } from '../src/index.js';

function rejects(opts: unknown, sentence: string): void {
  assert.throws(
    () => new EngineClient(opts as EngineClientOptions),
    (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'SC_ERR_ENGINE_CONFIG');
      assert.equal((err as Error).message, sentence);
      return true;
    },
  );
}

test('baseUrl must be http(s)', () => {
  const s = 'baseUrl must be an absolute http:// or https:// URL.';
  rejects({ baseUrl: 'ftp://h:21' }, s);
  rejects({ baseUrl: 'not a url' }, s);
  rejects({}, s);
});

test('baseUrl must be an origin only', () => {
  const s = 'baseUrl must be an origin only, without credentials, path, query or fragment.';
  rejects({ baseUrl: 'http://u:p@h:6878' }, s);
  rejects({ baseUrl: 'http://h:6878/engine' }, s);
  rejects({ baseUrl: 'http://h:6878/?a=1' }, s);
});

test('timeoutMs and startTimeoutMs are bounded integers', () => {
  rejects({ baseUrl: 'http://h:1', timeoutMs: 0 }, 'timeoutMs must be an integer from 1 to 600000.');
  rejects({ baseUrl: 'http://h:1', timeoutMs: 1.5 }, 'timeoutMs must be an integer from 1 to 600000.');
  rejects(
    { baseUrl: 'http://h:1', startTimeoutMs: 1e9 },
    'startTimeoutMs must be an integer from 1 to 600000.',
  );
});

test('headers must be an object', () => {
  rejects({ baseUrl: 'http://h:1', headers: 'x' }, 'headers must be an object of header names to strings.');
});

test('header names and values are checked', () => {
  const s = 'headers must map valid header names to strings without control characters.';
  rejects({ baseUrl: 'http://h:1', headers: { 'bad name': 'v' } }, s);
  rejects({ baseUrl: 'http://h:1', headers: { 'x-a': 'v\r\nx-b: w' } }, s);
});

test('connection headers are reserved', () => {
  const s =
    'headers must not set host, connection, keep-alive, upgrade, content-length, transfer-encoding or expect.';
  rejects({ baseUrl: 'http://h:1', headers: { Host: 'evil' } }, s);
});

test('userAgent must be a clean string', () => {
  rejects(
    { baseUrl: 'http://h:1', userAgent: '' },
    'userAgent must be a non-empty string without control characters.',
  );
});

test('dispatcher must be an undici Dispatcher', () => {
  rejects({ baseUrl: 'http://h:1', dispatcher: {} }, 'dispatcher must be an undici Dispatcher.');
});

test('a valid origin is accepted and normalised', async () => {
  const c = new EngineClient({ baseUrl: 'http://LOCALHOST:6878/' });
  assert.equal(c.engine, 'http://localhost:6878');
  await c.close();
});
