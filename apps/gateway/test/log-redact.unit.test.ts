// Player tokens never reach the logs: a request path or URL is logged with the `/hdhr/<token>/` segment and
// any `token` query parameter redacted. Before, a handler that threw on `/hdhr/<token>/lineup.json` logged
// 'route handler failed' (and main 'api handler failed') with the token in the path.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { MetricsListener } from '../src/control/metrics-listener.js';
import { failReply, guarded, Reply } from '../src/http/guard.js';
import { redactError, redactQuery, redactText, redactTokens } from '../src/log.js';

const TOKEN = 'k8Jd0-long-random-string';

test('redactTokens takes the token out of /hdhr/<token>/ paths and token= queries, and leaves the rest', () => {
  assert.equal(redactTokens(`/hdhr/${TOKEN}/lineup.json`), '/hdhr/<redacted>/lineup.json');
  assert.equal(redactTokens(`/hdhr/${TOKEN}`), '/hdhr/<redacted>');
  assert.equal(redactTokens(`/hdhr/${TOKEN}/`), '/hdhr/<redacted>/');
  assert.equal(
    redactTokens(`/ace/getstream?id=abc&token=${TOKEN}&x=1`),
    '/ace/getstream?id=abc&token=<redacted>&x=1',
  );
  assert.equal(
    redactTokens(`http://gw:8000/hdhr/${TOKEN}/lineup.json?token=${TOKEN}`),
    'http://gw:8000/hdhr/<redacted>/lineup.json?token=<redacted>',
  );
  // However URLSearchParams would read the name: percent-escaped, or given twice.
  assert.equal(redactQuery(`%74oken=${TOKEN}&token=${TOKEN}`), '%74oken=<redacted>&token=<redacted>');
  assert.equal(redactTokens('/playlist.m3u?tokens=1&mytoken=2'), '/playlist.m3u?tokens=1&mytoken=2');
  assert.equal(redactTokens('/discover.json'), '/discover.json');
  assert.equal(redactTokens('/hdhr'), '/hdhr');
});

test("a route handler that throws on /hdhr/<token>/… logs 'route handler failed' without the token", () => {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  const req = {
    getMethod: () => 'get',
    getUrl: () => `/hdhr/${TOKEN}/lineup.json`,
  } as unknown as HttpRequest;
  let status = '';
  const res = {
    cork(fn: () => void) {
      fn();
      return res;
    },
    writeStatus(s: string) {
      status = s;
      return res;
    },
    writeHeader: () => res,
    end: () => res,
    close: () => res,
  } as unknown as HttpResponse;
  guarded(log, () => {
    throw new Error('boom');
  })(res, req);
  assert.equal(status, '500 Internal Server Error');
  const line = lines.find((l) => l.msg === 'route handler failed');
  assert.ok(line, JSON.stringify(lines));
  assert.equal(line.url, '/hdhr/<redacted>/lineup.json');
  assert.ok(!JSON.stringify(lines).includes(TOKEN), 'the token is nowhere in the log');
});

/** A pino logger writing its records, as JSON, into `lines`. */
function recorder() {
  const lines: Array<Record<string, any>> = [];
  return { log: pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) }), lines };
}

test('redactText takes tokens out of free text: /hdhr/<token> anywhere, token= after ?, &, a space or alone', () => {
  assert.equal(
    redactText(`Invalid URL: http://gw/hdhr/${TOKEN}/lineup.json?id=1&token=${TOKEN}&x=2`),
    'Invalid URL: http://gw/hdhr/<redacted>/lineup.json?id=1&token=<redacted>&x=2',
  );
  assert.equal(redactText(`bad token=${TOKEN} given`), 'bad token=<redacted> given');
  assert.equal(redactText(`token=${TOKEN}`), 'token=<redacted>');
  assert.equal(redactText(`"/x?%74oken=${TOKEN}"`), '"/x?%74oken=<redacted>"');
  assert.equal(
    redactText(`at /hdhr/${TOKEN}\n    at x (/app/y.js:1:2)`),
    'at /hdhr/<redacted>\n    at x (/app/y.js:1:2)',
  );
  assert.equal(redactText('mytoken=1 tokens=2 at f (/a/b.js:3:4)'), 'mytoken=1 tokens=2 at f (/a/b.js:3:4)');
  assert.equal(
    redactText(redactText(`/hdhr/${TOKEN}`)),
    '/hdhr/<redacted>',
    'redacting twice changes nothing',
  );
});

test('redactError keeps the type and fields of an error and redacts its message, stack, string fields and cause', () => {
  let urlError: unknown;
  try {
    new URL(`::/hdhr/${TOKEN}/lineup.json?token=${TOKEN}`);
  } catch (err) {
    urlError = err;
  }
  assert.ok(urlError instanceof TypeError);
  const cause = new RangeError(`at /hdhr/${TOKEN}/discover.json`);
  const outer = Object.assign(new Error(`fetch ?token=${TOKEN} failed`, { cause: urlError }), {
    code: 'E_X',
    where: cause,
  });
  const { log, lines } = recorder();
  log.error({ err: redactError(outer) }, 'failed');
  log.error({ err: redactError(urlError) }, 'failed');
  const text = JSON.stringify(lines);
  assert.ok(!text.includes(TOKEN), text);
  const [first, second] = lines;
  assert.equal(first?.err.type, 'Error');
  // pino appends the causes' messages.
  assert.equal(first?.err.message, 'fetch ?token=<redacted> failed: Invalid URL');
  assert.equal(first?.err.where.type, 'RangeError');
  assert.equal(first?.err.where.message, 'at /hdhr/<redacted>/discover.json');
  assert.equal(first?.err.code, 'E_X');
  assert.ok(String(first?.err.stack).startsWith('Error: fetch ?token=<redacted> failed\n'));
  assert.equal(second?.err.type, 'TypeError');
  assert.equal(second?.err.code, 'ERR_INVALID_URL');
  assert.equal(second?.err.input, '::/hdhr/<redacted>/lineup.json?token=<redacted>');
  assert.equal(redactError('x'), 'x');
  assert.equal(redactError(null), null);
});

test("an error whose text carries the token is logged without it by 'route handler failed' and 'request failed'", () => {
  const req = {
    getMethod: () => 'get',
    getUrl: () => '/discover.json',
  } as unknown as HttpRequest;
  const res = {
    onAborted: () => res,
    cork(fn: () => void) {
      fn();
      return res;
    },
    writeStatus: () => res,
    writeHeader: () => res,
    end: () => res,
    close: () => res,
  } as unknown as HttpResponse;
  const { log, lines } = recorder();
  guarded(log, () => {
    throw new Error(`cannot serve /hdhr/${TOKEN}/lineup.json?token=${TOKEN}`);
  })(res, req);
  failReply(log, new Reply(res, { head: false, cors: [] }), new Error(`upstream said token=${TOKEN}`));
  assert.deepEqual(
    lines.map((l) => [l.msg, l.err?.message]),
    [
      ['route handler failed', 'cannot serve /hdhr/<redacted>/lineup.json?token=<redacted>'],
      ['request failed', 'upstream said token=<redacted>'],
    ],
  );
  assert.ok(!JSON.stringify(lines).includes(TOKEN), 'the token is nowhere in the log');
});

test("--metrics-port: a handler error that quotes the token is logged redacted ('metrics listener request failed')", async () => {
  const { log, lines } = recorder();
  const listener = await MetricsListener.start(
    (req) => Promise.reject(new Error(`cannot render /metrics?${req.query}`)),
    '127.0.0.1',
    0,
    log,
  );
  try {
    const r = await fetch(`http://127.0.0.1:${listener.port}/metrics?token=${TOKEN}`);
    assert.equal(r.status, 500);
    await r.arrayBuffer();
  } finally {
    await listener.close();
  }
  const line = lines.find((l) => l.msg === 'metrics listener request failed');
  assert.equal(line?.err.message, 'cannot render /metrics?token=<redacted>');
  assert.ok(!JSON.stringify(lines).includes(TOKEN), 'the token is nowhere in the log');
});
