// A token's client slot and a player that gives up while its stream opens: an engine can take tens of
// seconds to start a stream, players time out and retry, and the retry must not be refused with 403
// SC_ERR_TOKEN_LIMIT for the client that already left. The limit still holds for the ones that stay. A
// reload of the tokens file that removes the token answers a player still waiting (401) and frees its slot.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { EngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, waitFor } from './support/gateway-proc.js';
import { refusal } from './support/refused.js';
import { startTokensRig, type TokensRig } from './support/tokens-rig.js';
import { type LiveTs, openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
/** The engine answers a session start this late: long enough for the retries below to happen meanwhile. */
const START_DELAY_MS = 8_000;
const TOKEN = 'solo-Secret-Token-4321';

let rig: TokensRig;
let sim: EngineSim;
let gw: GatewayProc;

before(async () => {
  rig = await startTokensRig({
    channels: [{ id: 'slow', name: 'Slow', sources: ['3'.repeat(40)] }],
    tokens: [{ token: TOKEN, name: 'solo', max_clients: 1 }],
    args: ['--shards', '1', '--open-timeout-seconds', '60'],
    sim: { faults: { startDelayMs: START_DELAY_MS } },
  });
  ({ sim, gw } = rig);
});
after(async () => {
  await rig?.stop();
});

test('a player that leaves while its stream opens frees its token slot at once', async () => {
  const url = `${gw.url}/channel/slow.ts?token=${TOKEN}`;
  const first = openTs(url);
  assert.ok(
    await waitFor(() => sim.stats().startRequests >= 1, DEADLINE_MS),
    'the stream is opening on the engine',
  );
  // The player gives up before the engine answered.
  await first.close();
  // Its retry, still before the engine answered, is admitted: it waits for the stream and plays. (The
  // server sees the close a moment later: a 403 until then is retried, but only while the stream is
  // still opening; once it opened, the old code freed the slot too and the test would prove nothing.)
  let retry: LiveTs | null = null;
  const end = Date.now() + DEADLINE_MS;
  while (retry === null && sim.stats().sessionsStarted === 0 && Date.now() < end) {
    const c = openTs(url);
    const { status } = await c.response;
    if (status !== 403) {
      retry = c;
      break;
    }
    await c.close();
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(
    retry,
    'a retry sent while the stream was still opening was admitted (not 403 SC_ERR_TOKEN_LIMIT)',
  );
  const playing = retry as LiveTs;
  assert.equal((await playing.response).status, 200);
  assert.ok(await playing.waitBytes(64 * 1024, DEADLINE_MS), 'the retry plays');
  // The limit still holds: the player who left was released once, the one who plays counts.
  const over = await refusal(url);
  assert.equal(over.status, 403);
  assert.equal(over.body.error.code, 'SC_ERR_TOKEN_LIMIT');
  await playing.close();
});

test('a reload that removes the token answers a player still waiting for its stream and frees its slot', async () => {
  // Another stream than the first test's (that one is open by now): this one opens for START_DELAY_MS.
  const url = `${gw.url}/ace/getstream?id=${'e'.repeat(40)}&token=${TOKEN}`;
  const requests = sim.stats().startRequests;
  const waiting = openTs(url);
  assert.ok(
    await waitFor(() => sim.stats().startRequests > requests, DEADLINE_MS),
    'the stream is opening on the engine',
  );
  const sessions = sim.stats().sessionsStarted;
  let from = gw.logs.length;
  rig.writeTokens([]);
  const { status } = await waiting.response;
  assert.equal(status, 401, 'the waiting player is answered SC_ERR_TOKEN_REQUIRED');
  assert.equal(sim.stats().sessionsStarted, sessions, 'at the reload, not once its stream opened');
  await waiting.close();
  assert.ok(
    await waitFor(
      () => gw.logs.slice(from).some((l) => l.msg === 'tokens reload enforced' && l.cut === 1),
      DEADLINE_MS,
    ),
    'the reload logged its one cut connection',
  );

  // Listed again with its one place: the answered player no longer holds it.
  from = gw.logs.length;
  rig.writeTokens([{ token: TOKEN, name: 'solo', max_clients: 1 }]);
  assert.ok(
    await waitFor(() => gw.logs.slice(from).some((l) => l.msg === 'tokens file reloaded'), DEADLINE_MS),
    'the token is back',
  );
  const again = openTs(url);
  assert.equal((await again.response).status, 200, 'its one place is free');
  assert.ok(await again.waitBytes(64 * 1024, DEADLINE_MS), 'and it plays');
  await again.close();
});
