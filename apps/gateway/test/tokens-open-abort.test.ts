// A token's client slot and a player that gives up while its stream opens: an engine can take tens of
// seconds to start a stream, players time out and retry, and the retry must not be refused with 403
// SC_ERR_TOKEN_LIMIT for the client that already left. The limit still holds for the ones that stay.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, startGateway, waitFor } from './support/gateway-proc.js';
import { refusal } from './support/refused.js';
import { type LiveTs, openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
/** The engine answers a session start this late: long enough for the retries below to happen meanwhile. */
const START_DELAY_MS = 8_000;
const TOKEN = 'solo-Secret-Token-4321';

let sim: EngineSim;
let gw: GatewayProc;
let dir: string;

before(async () => {
  sim = await startEngineSim({ port: 0, faults: { startDelayMs: START_DELAY_MS } });
  dir = mkdtempSync(join(tmpdir(), 'sc-token-abort-'));
  const channels = join(dir, 'channels.json');
  writeFileSync(
    channels,
    JSON.stringify({ channels: [{ id: 'slow', name: 'Slow', sources: ['3'.repeat(40)] }] }),
  );
  const tokens = join(dir, 'tokens.json');
  writeFileSync(tokens, JSON.stringify({ tokens: [{ token: TOKEN, name: 'solo', max_clients: 1 }] }));
  gw = await startGateway([
    '--engine',
    sim.url,
    '--channels',
    channels,
    '--tokens',
    tokens,
    '--shards',
    '1',
    '--open-timeout-seconds',
    '60',
  ]);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
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
