// The tokens file is reloaded when it changes and on SIGHUP, like the channel catalog: a removed token
// opens nothing new (401) on the shards and on main's export routes, a TS connection it opened before is
// cut and its HLS player gets 401 at its next request; a new token plays at once; a token still listed
// keeps its client count across the reload; a broken file keeps the tokens in use; no token is ever
// logged. (What a reload cuts, in detail: tokens-revoke.test.ts.)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { writeFileAtomic } from '../src/channels/catalog-file.js';
import { type GatewayProc, startGateway, waitFor } from './support/gateway-proc.js';
import { refusal } from './support/refused.js';
import { openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
const MEDIA_BYTES = 64 * 1024;
const KEEP = 'keep-Secret-Token-0001';
const GONE = 'gone-Secret-Token-0002';
const NEW = 'new-Secret-Token-0003';
const LATE = 'late-Secret-Token-0004';
const BROKEN = 'broken-Secret-Token-0005';

let sim: EngineSim;
let gw: GatewayProc;
let dir: string;
let tokens: string;

const tokenFile = (list: Array<{ token: string; name: string; max_clients?: number }>): string =>
  JSON.stringify({ tokens: list });

/** Resolves once a `tokens file reloaded` line with this reason and token count is logged after `from`. */
function reloaded(from: number, reason: string, count: number): Promise<boolean> {
  return waitFor(
    () =>
      gw.logs
        .slice(from)
        .some((l) => l.msg === 'tokens file reloaded' && l.reason === reason && l.tokens === count),
    DEADLINE_MS,
  );
}

before(async () => {
  sim = await startEngineSim({ port: 0 });
  dir = mkdtempSync(join(tmpdir(), 'sc-tokens-reload-'));
  const channels = join(dir, 'channels.json');
  writeFileSync(
    channels,
    JSON.stringify({ channels: [{ id: 'sports', name: 'Sports', sources: ['1'.repeat(40)] }] }),
  );
  tokens = join(dir, 'tokens.json');
  writeFileSync(
    tokens,
    tokenFile([
      { token: KEEP, name: 'keep', max_clients: 2 },
      { token: GONE, name: 'gone' },
    ]),
  );
  gw = await startGateway(['--engine', sim.url, '--channels', channels, '--tokens', tokens, '--shards', '2']);
});
after(async () => {
  await gw?.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a changed file: removed tokens open nothing new, their TS is cut, kept counts hold, new ones play', async () => {
  const ts = (token: string) => openTs(`${gw.url}/channel/sports.ts?token=${token}`);
  const gone = ts(GONE);
  const keep = ts(KEEP);
  for (const c of [gone, keep])
    assert.ok(await c.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'plays before the reload');
  // An HLS player of the token that goes away: its session's variant URL carries the token.
  const master = await fetch(`${gw.url}/channel/sports.m3u8?token=${GONE}`);
  assert.equal(master.status, 200);
  const variant = `${gw.url}/channel/${(await master.text()).trim().split('\n').at(-1)!}`;
  assert.equal((await fetch(variant)).status, 200, 'the HLS player polls before the reload');

  const from = gw.logs.length;
  writeFileAtomic(
    tokens,
    tokenFile([
      { token: KEEP, name: 'keep', max_clients: 2 },
      { token: NEW, name: 'new' },
    ]),
  );
  assert.ok(await reloaded(from, 'file changed', 2), 'the change was picked up');
  const line = gw.logs.slice(from).find((l) => l.msg === 'tokens file reloaded')!;
  assert.deepEqual(line.added, ['new']);
  assert.deepEqual(line.removed, ['gone']);

  for (const path of [`/channel/sports.ts?token=${GONE}`, `/playlist.m3u?token=${GONE}`]) {
    const r = await refusal(`${gw.url}${path}`);
    assert.equal(r.status, 401, path);
    assert.equal(r.body.error.code, 'SC_ERR_TOKEN_REQUIRED', path);
  }
  const hls = await refusal(variant);
  assert.equal(hls.status, 401, "the removed token's HLS player is refused at its next poll");

  const fresh = ts(NEW);
  assert.ok(await fresh.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'a new token plays at once');
  assert.equal((await fetch(`${gw.url}/playlist.m3u?token=${NEW}`)).status, 200, 'main knows it too');

  // KEEP had one client before the reload: one more fits its max_clients of 2, a third does not.
  const second = ts(KEEP);
  assert.ok(await second.waitBytes(MEDIA_BYTES, DEADLINE_MS), "the kept token's second client plays");
  const third = await refusal(`${gw.url}/channel/sports.ts?token=${KEEP}`);
  assert.equal(third.status, 403, 'the count from before the reload still holds');
  assert.equal(third.body.error.code, 'SC_ERR_TOKEN_LIMIT');

  await gone.waitBytes(Number.MAX_SAFE_INTEGER, DEADLINE_MS);
  assert.equal((await gone.close()).closedByServer, true, "the removed token's open TS connection is cut");
  const results = await Promise.all([keep, fresh, second].map((c) => c.close()));
  for (const r of results) assert.equal(r.closedByServer, false);
});

test('SIGHUP reloads; a broken file keeps the tokens in use', async () => {
  let from = gw.logs.length;
  // Not JSON, around a token: the warning names the place of the mistake and quotes nothing.
  // Written atomically, so no reload sees a half-written file.
  writeFileAtomic(tokens, `{"tokens": [{"name": "broken", "token": ${BROKEN}}]}`);
  assert.ok(
    await waitFor(
      () => gw.logs.slice(from).some((l) => l.msg === 'tokens file not reloaded; keeping the tokens in use'),
      DEADLINE_MS,
    ),
    'the broken file is logged',
  );
  const warning = gw.logs
    .slice(from)
    .find((l) => l.msg === 'tokens file not reloaded; keeping the tokens in use');
  assert.equal(
    warning!.error,
    `The tokens file ${tokens} is invalid: it is not JSON (a syntax error at line 1, column 41).`,
  );
  const still = openTs(`${gw.url}/channel/sports.ts?token=${NEW}`);
  assert.ok(await still.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'the tokens in use still play');
  await still.close();

  // The watcher may see the write too; the SIGHUP's own reload is what this waits for.
  writeFileSync(tokens, tokenFile([{ token: LATE, name: 'late' }]));
  from = gw.logs.length;
  gw.proc.kill('SIGHUP');
  assert.ok(await reloaded(from, 'SIGHUP', 1), 'SIGHUP reloaded the file');
  assert.equal((await refusal(`${gw.url}/channel/sports.ts?token=${NEW}`)).status, 401);
  const late = openTs(`${gw.url}/channel/sports.ts?token=${LATE}`);
  assert.ok(await late.waitBytes(MEDIA_BYTES, DEADLINE_MS), 'the token added for the SIGHUP plays');
  await late.close();
});

test('no token appears in any log line, reloads included', () => {
  const text = gw.logs.map((l) => JSON.stringify(l)).join('\n');
  assert.ok(text.includes('tokens file reloaded'));
  for (const secret of [KEEP, GONE, NEW, LATE, BROKEN])
    assert.equal(text.includes(secret), false, 'a token was logged');
  assert.equal(text.includes(BROKEN.slice(0, 8)), false, 'part of a token was logged');
});
