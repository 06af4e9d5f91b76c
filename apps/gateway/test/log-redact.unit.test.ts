// Player tokens never reach the logs: a request path or URL is logged with the `/hdhr/<token>/` segment and
// any `token` query parameter redacted. Before, a handler that threw on `/hdhr/<token>/lineup.json` logged
// 'route handler failed' (and main 'api handler failed') with the token in the path.

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { guarded } from '../src/http/guard.js';
import { redactQuery, redactTokens } from '../src/log.js';

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
