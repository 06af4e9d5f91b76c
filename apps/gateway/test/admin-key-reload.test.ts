// --api-key-file is read again when it changes: a key replaced on disk (atomically, as an operator or a
// secrets manager writes it) takes effect without a restart — the old key is refused and the new one
// admitted, on main's admin routes and on the shards' live socket (a socket admitted with the old key is
// closed). A file that holds no valid key keeps the key in use and is logged in one line; keys never are.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'undici';
import { writeFileAtomic } from '../src/channels/catalog-file.js';
import { type FileGateway, startFileRig } from './support/file-gateway.js';
import { type GatewayProc, getJson, waitFor } from './support/gateway-proc.js';

const OLD = 'old-admin-key-1';
const NEW = 'new-admin-key-2';
const DEADLINE_MS = 20_000;

/** A live socket that records its messages and whether it closed. */
async function liveSocket(url: string) {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/live`);
  const state = { ws, auth: [] as any[], closed: false };
  ws.addEventListener('message', (e) => {
    const m = JSON.parse(String(e.data));
    if (m.type === 'auth') state.auth.push(m);
  });
  ws.addEventListener('close', () => {
    state.closed = true;
  });
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => resolve());
    ws.addEventListener('error', () => reject(new Error('socket failed')));
  });
  return state;
}

describe('--api-key-file is reloaded when it changes', () => {
  let keyed: FileGateway;
  let gw: GatewayProc;
  let file: string;
  before(async () => {
    keyed = await startFileRig({
      flag: '--api-key-file',
      name: 'api-key',
      text: `${OLD}\n`,
      mode: 0o600,
      args: ['--shards', '1'],
    });
    ({ gw, file } = keyed);
  });
  after(async () => {
    await keyed?.stop();
  });

  const status = async (key: string): Promise<number> =>
    (await getJson(`${gw.url}/api/v1/channels`, { headers: { 'X-API-Key': key } })).status;

  test('a new key replaces the old one without a restart; an empty file keeps the key in use', async () => {
    assert.equal(await status(OLD), 200);
    const admitted = await liveSocket(gw.url);
    admitted.ws.send(JSON.stringify({ auth: OLD }));
    assert.ok(await waitFor(() => admitted.auth.length === 1, DEADLINE_MS));
    assert.deepEqual(admitted.auth[0], { type: 'auth', ok: true });

    writeFileAtomic(file, `${NEW}\n`);
    // Polled with the old key (admitted until the reload): one refusal ends the wait.
    assert.ok(await waitFor(async () => (await status(OLD)) === 401, DEADLINE_MS, 200), 'old key refused');
    assert.equal(await status(NEW), 200, 'new key admitted');
    assert.ok(
      await waitFor(() => admitted.closed, DEADLINE_MS),
      'the socket admitted with the old key is closed',
    );
    const fresh = await liveSocket(gw.url);
    fresh.ws.send(JSON.stringify({ auth: NEW }));
    assert.ok(await waitFor(() => fresh.auth.length === 1, DEADLINE_MS));
    assert.deepEqual(fresh.auth[0], { type: 'auth', ok: true }, 'the shard has the new key');
    fresh.ws.close();

    writeFileAtomic(file, '');
    const kept = (): Array<Record<string, unknown>> =>
      gw.logs.filter((l) => l.msg === 'API key file not reloaded; keeping the key in use');
    assert.ok(await waitFor(() => kept().length > 0, DEADLINE_MS), 'the empty file is logged');
    assert.equal(kept().length, 1);
    assert.equal(
      kept()[0]?.error,
      `The key in --api-key-file ${file} must be one line of at most 256 characters without spaces.`,
    );
    assert.equal(await status(NEW), 200, 'the key in use is kept');
    assert.equal(await status(OLD), 401);
    const text = JSON.stringify(gw.logs);
    assert.ok(!text.includes(OLD) && !text.includes(NEW), 'no key in the log');
  });
});
