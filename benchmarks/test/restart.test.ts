// The restart-under-load section end to end at a small scale (the suite's section, with its own load
// generator process and a gateway started under it), and its pure figures: what counts as an allowed
// answer while the gateway starts, and sessions per channel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { QUICK } from '../src/bench/params.js';
import { restartBench } from '../src/bench/restart.js';
import { allowedAnswer, sessionsPerChannel, summarize } from '../src/restart/summary.js';
import type { Answer, RestartLoadReport } from '../src/restart/types.js';

test('the restart section runs: every player gets media, only allowed answers, one session per channel', async () => {
  const p = { ...QUICK, restartTsPlayers: 12, restartHlsPlayers: 4, restartChannels: 3 };
  const s = await restartBench(p, () => {});
  assert.equal(s.skipped, false, s.notes.join('; '));
  assert.equal(s.id, 'restart');
  for (const t of s.targets) assert.equal(t.met, true, `${t.name}: ${t.measured} (${s.notes.join('; ')})`);
});

const answer = (a: Partial<Answer>): Answer => ({
  atMs: 1000,
  player: 'ts',
  status: 503,
  code: 'SC_ERR_NOT_READY',
  retryAfter: true,
  afterMedia: false,
  ...a,
});

test('a 503 with Retry-After is allowed only before the gateway was ready', () => {
  assert.equal(allowedAnswer(answer({}), 2000), true);
  assert.equal(allowedAnswer(answer({ atMs: 2000 }), 2000), false);
  assert.equal(allowedAnswer(answer({ retryAfter: false }), 2000), false);
  assert.equal(allowedAnswer(answer({ status: 502, code: 'SC_ERR_UPSTREAM_FAILED' }), 2000), false);
  // A connection reset before any answer (the start-up port check's instant of listening): like a refusal.
  const reset = answer({ status: 0, code: 'ECONNRESET', retryAfter: false });
  assert.equal(allowedAnswer(reset, 2000), true);
  assert.equal(allowedAnswer({ ...reset, atMs: 2000 }, 2000), false, 'not once ready');
  assert.equal(allowedAnswer({ ...reset, afterMedia: true }, 2000), false, 'not a player that had media');
  assert.equal(allowedAnswer({ ...reset, code: 'EPIPE' }, 2000), false);
});

test('the summary times media from the first accepted connection and groups unexpected answers', () => {
  const report: RestartLoadReport = {
    config: {
      port: 1,
      channels: ['a', 'b'],
      tsPlayers: 2,
      hlsPlayers: 1,
      retryMs: 100,
      maxRetryAfterMs: 1000,
      holdMs: 0,
      deadlineMs: 1,
    },
    startedAtMs: 0,
    firstConnectAtMs: 1000,
    endedAtMs: 9000,
    refused: 40,
    tsMediaAtMs: [1500, 2000],
    hlsMediaAtMs: [5000],
    answers: [
      answer({ atMs: 1100 }),
      answer({ atMs: 1200, status: 502, code: 'SC_ERR_UPSTREAM_FAILED' }),
      answer({ atMs: 1300, status: 502, code: 'SC_ERR_UPSTREAM_FAILED' }),
    ],
    answersDropped: 1,
  };
  const s = summarize(report, 1150);
  assert.equal(s.allMediaS, 4);
  assert.deepEqual(s.tsMediaS, { p50: 0.5, max: 1 });
  assert.equal(s.readyS, 0.15);
  assert.equal(s.allowed, 1);
  assert.deepEqual(s.unexpected, [{ answer: 'ts 502 SC_ERR_UPSTREAM_FAILED', count: 2 }]);
  assert.equal(s.unexpectedTotal, 3, 'a dropped answer counts as unexpected');
  assert.equal(summarize({ ...report, hlsMediaAtMs: [null] }, 1150).allMediaS, null);
});

test('sessions per channel counts channels with other than exactly one session', () => {
  const c = sessionsPerChannel(['a', 'b', 'c'], [{ contentId: 'a' }, { contentId: 'b' }, { contentId: 'b' }]);
  assert.deepEqual(c, { min: 0, max: 2, notOne: 2 });
});
