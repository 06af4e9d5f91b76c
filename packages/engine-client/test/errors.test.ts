import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import {
  ENGINE_ERRORS,
  EngineError,
  type EngineErrorCode,
  type EngineErrorData,
  fromErrorData,
  isEngineError,
  toErrorData,
} from '../src/index.js';

const codes = Object.keys(ENGINE_ERRORS) as EngineErrorCode[];
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

test('every error code is documented in the README, and the README names no other code', () => {
  for (const code of codes) assert.ok(readme.includes(`\`${code}\``), `${code} missing from README.md`);
  const documented = new Set(readme.match(/SC_ERR_ENGINE_[A-Z_]+/g));
  for (const code of documented) assert.ok(codes.includes(code as EngineErrorCode), `${code} is not a code`);
});

test('error data round-trips through a real MessageChannel and rebuilds an EngineError', async () => {
  const sent: EngineErrorData[] = codes.map((code) =>
    toErrorData(
      new EngineError(code, `msg ${code}`, code === 'SC_ERR_ENGINE_HTTP_STATUS' ? { status: 503 } : {}),
    ),
  );
  const { port1, port2 } = new MessageChannel();
  const received = new Promise<EngineErrorData[]>((resolve) => port2.once('message', resolve));
  port1.postMessage(sent);
  const data = await received;
  port1.close();
  for (const [i, d] of data.entries()) {
    const err = fromErrorData(d);
    assert.ok(err instanceof EngineError);
    assert.deepEqual(toErrorData(err), sent[i]);
  }
});

test('retryable follows the code, and the upstream status for HTTP errors', () => {
  assert.equal(new EngineError('SC_ERR_ENGINE_TIMEOUT', 'x').retryable, true);
  assert.equal(new EngineError('SC_ERR_ENGINE_URL_REFUSED', 'x').retryable, false);
  assert.equal(new EngineError('SC_ERR_ENGINE_HTTP_STATUS', 'x', { status: 503 }).retryable, true);
  assert.equal(new EngineError('SC_ERR_ENGINE_HTTP_STATUS', 'x', { status: 404 }).retryable, false);
  assert.equal(toErrorData(new EngineError('SC_ERR_ENGINE_HTTP_STATUS', 'x', { status: 404 })).status, 404);
});

test('foreign errors flatten to SC_ERR_ENGINE_INTERNAL; unknown codes rebuild as internal', () => {
  assert.deepEqual(toErrorData(new TypeError('boom')), {
    code: 'SC_ERR_ENGINE_INTERNAL',
    message: 'boom',
    retryable: false,
  });
  const rebuilt = fromErrorData({
    code: 'SC_ERR_NOPE',
    message: 'm',
    retryable: true,
  } as unknown as EngineErrorData);
  assert.equal(rebuilt.code, 'SC_ERR_ENGINE_INTERNAL');
  assert.equal(rebuilt.message, 'm');
});

test('isEngineError narrows by class and optionally by code', () => {
  const err = new EngineError('SC_ERR_ENGINE_SESSION_GONE', 'gone');
  assert.equal(isEngineError(err), true);
  assert.equal(isEngineError(err, 'SC_ERR_ENGINE_SESSION_GONE'), true);
  assert.equal(isEngineError(err, 'SC_ERR_ENGINE_TIMEOUT'), false);
  assert.equal(isEngineError(new Error('x')), false);
});
