// A catalog mounted into a container as a single file (`-v ./channels.json:/etc/shardcast/channels.json`)
// is a mount point: rename(2) cannot replace it (EBUSY), so an API edit cannot be saved atomically. The
// answer says so in words and names the way out (mount the directory), instead of a bare "EBUSY". Needs
// root and mount(8) to make a bind mount; skipped elsewhere.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway } from './support/gateway-proc.js';

const KEY = 'mount-test-admin-key';
const dir = mkdtempSync(join(tmpdir(), 'sc-mount-'));
const host = join(dir, 'host-channels.json');
const conf = join(dir, 'etc');
const file = join(conf, 'channels.json');
const catalog = JSON.stringify({
  channels: [{ id: 'one', number: 1, name: 'One', sources: ['1'.repeat(40)] }],
});

function tryMount(): boolean {
  if (process.getuid?.() !== 0) return false;
  writeFileSync(host, catalog);
  mkdirSync(conf);
  writeFileSync(file, '');
  try {
    execFileSync('mount', ['--bind', host, file], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const mounted = tryMount();

let sim: EngineSim | undefined;
let gw: GatewayProc | undefined;

before(async () => {
  if (!mounted) return;
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '1', '--channels', file], {
    SHARDCAST_API_KEY: KEY,
  });
});
after(async () => {
  await gw?.stop();
  await sim?.close();
  if (mounted) execFileSync('umount', [file], { stdio: 'ignore' });
  rmSync(dir, { recursive: true, force: true });
});

test(
  'an edit of a catalog that is a single-file mount answers why it cannot be saved',
  { skip: mounted ? false : 'needs root and a bind mount' },
  async () => {
    const g = gw as GatewayProc;
    const r = await getJson(`${g.url}/api/v1/channels/two`, {
      method: 'PUT',
      headers: { 'X-API-Key': KEY },
      body: JSON.stringify({ name: 'Two', sources: ['2'.repeat(40)] }),
    });
    assert.equal(r.status, 500);
    assert.deepEqual(r.body.error, {
      code: 'SC_ERR_CATALOG_WRITE',
      message:
        'Cannot save the channel catalog: the file is a mount point (a single file mounted into a container?) and cannot be replaced atomically; mount its directory instead (EBUSY).',
    });
    assert.equal(readFileSync(host, 'utf8'), catalog, 'the mounted file is untouched');
    assert.deepEqual(readdirSync(conf), ['channels.json'], 'no temporary file is left beside it');
    const list = await getJson(`${g.url}/api/v1/channels`, { headers: { 'X-API-Key': KEY } });
    assert.deepEqual(
      list.body.channels.map((c: { id: string }) => c.id),
      ['one'],
      'the catalog in use is unchanged',
    );
  },
);
