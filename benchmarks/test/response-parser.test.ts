// The load generator's HTTP/1.1 response parser: Content-Length, chunked and close-delimited bodies,
// keep-alive reuse, and the same result however the bytes are split across socket reads.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ResponseHead, ResponseParser } from '../src/http/response-parser.js';

interface Seen {
  heads: ResponseHead[];
  bodies: string[];
  ends: number;
  errors: string[];
}

function parserFor(seen: Seen): ResponseParser {
  let body = '';
  const p: ResponseParser = new ResponseParser({
    onHead: (h) => seen.heads.push(h),
    onBody: (c) => {
      body += c.toString('latin1');
    },
    onEnd: () => {
      seen.bodies.push(body);
      body = '';
      seen.ends++;
      p.next();
    },
    onError: (d) => seen.errors.push(d),
  });
  return p;
}

function feed(bytes: Buffer, cuts: number[]): Seen {
  const seen: Seen = { heads: [], bodies: [], ends: 0, errors: [] };
  const p = parserFor(seen);
  let at = 0;
  for (const c of [...new Set(cuts)].sort((a, b) => a - b)) {
    p.push(bytes.subarray(at, c));
    at = c;
  }
  p.push(bytes.subarray(at));
  p.eof();
  return seen;
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: video/mp2t\r\n\r\n' +
  '5\r\nhello\r\n1;ext=1\r\n \r\n6\r\nworld!\r\n0\r\nX-Trailer: 1\r\n\r\n';
const LENGTH = 'HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope';
const CLOSE = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end';

test('chunked then Content-Length on one keep-alive connection, then a close-delimited body', () => {
  const seen = feed(Buffer.from(CHUNKED + LENGTH + CLOSE, 'latin1'), []);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(
    seen.heads.map((h) => h.status),
    [200, 404, 200],
  );
  assert.equal(seen.heads[0]!.headers.get('content-type'), 'video/mp2t');
  assert.deepEqual(seen.bodies, ['hello world!', 'nope', 'until the end']);
});

test('any split of the bytes into reads gives the same responses', () => {
  const bytes = Buffer.from(CHUNKED + LENGTH + CLOSE, 'latin1');
  const whole = feed(bytes, []);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), (cuts) => {
      const split = feed(bytes, cuts);
      assert.deepEqual(split.bodies, whole.bodies);
      assert.deepEqual(split.errors, []);
      assert.deepEqual(
        split.heads.map((h) => [h.status, [...h.headers]]),
        whole.heads.map((h) => [h.status, [...h.headers]]),
      );
    }),
    { numRuns: 300 },
  );
});

test('a malformed chunk size or a truncated body is a protocol error, not a throw', () => {
  const bad = feed(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'latin1'), []);
  assert.deepEqual(bad.errors, ['invalid chunk size']);
  const short = feed(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', 'latin1'), []);
  assert.deepEqual(short.errors, ['the connection closed inside a response']);
});
