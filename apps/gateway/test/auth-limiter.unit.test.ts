// The admin key's failure limiter on simulated time: after 10 wrong keys from one address within 60 s that
// address is refused until the window has passed; right keys are never counted or refused while the
// address is under its limit; other addresses are not affected; the table never holds more than its cap.
// And AdminGate, which every admin route on main goes through: 429 with Retry-After, the key not compared.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AdminGate } from '../src/control/admin-gate.js';
import type { ApiRequest } from '../src/control/api-response.js';
import { AuthLimiter, limitedAs } from '../src/control/auth-limiter.js';

function clock(start = 1_000_000) {
  const c = { ms: start, now: () => c.ms };
  return c;
}

test('10 failures within the window block the address until the window has passed; then it starts afresh', () => {
  const t = clock();
  const l = new AuthLimiter({ maxFailures: 10, windowMs: 60_000, now: t.now });
  for (let i = 0; i < 9; i++) {
    l.fail('10.0.0.1');
    t.ms += 1000;
  }
  assert.equal(l.blockedMs('10.0.0.1'), 0, 'nine failures: still allowed');
  l.fail('10.0.0.1');
  // The window started at the first failure, 9 s ago.
  assert.equal(l.blockedMs('10.0.0.1'), 51_000);
  assert.equal(l.blockedMs('10.0.0.2'), 0, 'another address is not affected');
  t.ms += 50_999;
  assert.equal(l.blockedMs('10.0.0.1'), 1);
  t.ms += 1;
  assert.equal(l.blockedMs('10.0.0.1'), 0, 'the window passed');
  l.fail('10.0.0.1');
  assert.equal(l.blockedMs('10.0.0.1'), 0, 'a new window counts from one');
});

test('an IPv6 client counts by its /64: rotating addresses inside it does not buy more tries', () => {
  const t = clock();
  const l = new AuthLimiter({ maxFailures: 10, windowMs: 60_000, now: t.now });
  for (let i = 1; i <= 10; i++) l.fail(`2001:db8:1:2::${i.toString(16)}`);
  assert.equal(l.size, 1);
  assert.equal(l.blockedMs('2001:db8:1:2:ffff:ffff:ffff:ffff'), 60_000, 'another address of the same /64');
  assert.equal(l.blockedMs('2001:0db8:0001:0002:0000:0000:0000:0001'), 60_000, 'written in full');
  assert.equal(l.blockedMs('2001:db8:1:3::1'), 0, 'the next /64 is another client');
  assert.equal(l.blockedMs('10.0.0.1'), 0);
  assert.equal(limitedAs('2001:DB8:0:0:1::7'), '2001:db8:0:0::/64');
  assert.equal(limitedAs('10.0.0.1'), '10.0.0.1');
});

test('IPv4 written as IPv6 (::ffff:a.b.c.d in hex) and ::1 are not one /64: each address is its own client', () => {
  const t = clock();
  const l = new AuthLimiter({ maxFailures: 10, windowMs: 60_000, now: t.now });
  for (let i = 0; i < 10; i++) l.fail('::ffff:7f00:1');
  assert.ok(l.blockedMs('::ffff:7f00:1') > 0);
  assert.equal(l.blockedMs('::ffff:a00:5'), 0, 'another IPv4 client');
  assert.equal(l.blockedMs('::1'), 0);
  // Behind a NAT64/SIIT translator or a Teredo server, one /64 holds many IPv4 clients.
  for (const a of ['64:ff9b::7f00:1', '64:ff9b:0:0:1::5', '2001:0:4136:e378:8000:63bf:3fff:fdd2']) {
    assert.equal(limitedAs(a), a);
  }
});

test('failures spread wider than the window never block', () => {
  const t = clock();
  const l = new AuthLimiter({ maxFailures: 3, windowMs: 10_000, now: t.now });
  for (let i = 0; i < 20; i++) {
    l.fail('a');
    t.ms += 5_000;
    assert.equal(l.blockedMs('a'), 0, `failure ${i}`);
  }
});

test('the table is capped: the address whose window started first is forgotten', () => {
  const t = clock();
  const l = new AuthLimiter({ maxFailures: 2, windowMs: 60_000, maxAddresses: 3, now: t.now });
  l.fail('a');
  l.fail('a');
  for (const x of ['b', 'c', 'd']) {
    t.ms += 1;
    l.fail(x);
  }
  assert.equal(l.size, 3);
  assert.equal(l.blockedMs('a'), 0, 'a was evicted');
  l.fail('b');
  assert.ok(l.blockedMs('b') > 0, 'b is still counted');
  for (let i = 0; i < 1000; i++) l.fail(`x${i}`);
  assert.equal(l.size, 3);
});

function req(client: string, key?: string): ApiRequest {
  return {
    method: 'GET',
    path: '/api/v1/channels',
    query: '',
    headers: key === undefined ? {} : { 'x-api-key': key },
    client,
  };
}

test('AdminGate: 429 with Retry-After and a JSON error after 10 wrong keys, even for the right key; other addresses go on', () => {
  const t = clock();
  const gate = new AdminGate('right', new AuthLimiter({ now: t.now }));
  for (let i = 0; i < 10; i++) {
    // A right key between the wrong ones is admitted and not counted.
    assert.equal(gate.refusal(req('10.0.0.1', 'right')), null);
    // No key at all is not a guess: 401, not counted.
    assert.equal(gate.refusal(req('10.0.0.1'))?.status, 401);
    assert.equal(gate.refusal(req('10.0.0.1', `wrong${i}`))?.status, 401);
  }
  const limited = gate.refusal(req('10.0.0.1', 'right'));
  assert.equal(limited?.status, 429);
  assert.equal(limited?.headers['Retry-After'], '60');
  assert.equal(limited?.headers['Content-Type'], 'application/json');
  assert.equal(JSON.parse(limited?.body ?? '').error.code, 'SC_ERR_AUTH_RATE_LIMITED');
  assert.equal(gate.refusal(req('10.0.0.1', 'wrong'))?.status, 429);
  assert.equal(gate.refusal(req('10.0.0.2', 'right')), null, 'another address is admitted');
  t.ms += 59_500;
  assert.equal(gate.refusal(req('10.0.0.1'))?.headers['Retry-After'], '1');
  t.ms += 500;
  assert.equal(gate.refusal(req('10.0.0.1', 'right')), null, 'admitted once the window passed');
  // Without a key configured admin actions are off: 403, never counted.
  const off = new AdminGate(undefined, new AuthLimiter({ maxFailures: 1, now: t.now }));
  for (let i = 0; i < 3; i++) assert.equal(off.refusal(req('10.0.0.3', 'x'))?.status, 403);
});

test('AdminGate: a request with a different wrong key in each header is two guesses; the same key twice is one', () => {
  const t = clock();
  const gate = new AdminGate('right', new AuthLimiter({ now: t.now }));
  const both = (client: string, bearer: string, header: string): ApiRequest => ({
    method: 'GET',
    path: '/api/v1/channels',
    query: '',
    headers: { authorization: `Bearer ${bearer}`, 'x-api-key': header },
    client,
  });
  // Behind an authenticating proxy the Bearer is its own token: with the right X-API-Key nothing counts.
  for (let i = 0; i < 20; i++) assert.equal(gate.refusal(both('10.0.0.1', 'proxy-token', 'right')), null);
  for (let i = 0; i < 5; i++) assert.equal(gate.refusal(both('10.0.0.1', `a${i}`, `b${i}`))?.status, 401);
  assert.equal(gate.refusal(both('10.0.0.1', 'x', 'right'))?.status, 429, '5 requests, 10 guesses');
  for (let i = 0; i < 9; i++) assert.equal(gate.refusal(both('10.0.0.2', `c${i}`, `c${i}`))?.status, 401);
  assert.equal(gate.refusal(req('10.0.0.2', 'right')), null, 'the same key in both headers: 9 guesses');
});
