// Catalog edits: the admin API (API key) writes the file atomically — a writer killed with SIGKILL inside
// a write leaves the old file or the new one, never a torn one — and a reload (API write, SIGHUP, file
// change) closes only channels whose sources changed; a playing channel that did not change goes on. An API
// write follows a symlinked catalog and keeps the file's mode, loads a hand edit it would otherwise
// overwrite (and refuses over a file that does not parse), keeps the keys an operator wrote into the file
// that the gateway does not know, and reports a failed write with its cause.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { parseCatalog } from '../src/channels/catalog.js';
import { writeFileAtomic } from '../src/channels/catalog-file.js';
import { renderCatalogJson } from '../src/channels/render.js';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
const KEY = 'admin-key-for-tests';
const AUTH = { 'X-API-Key': KEY };
const CATALOG_FILE_JS = fileURLToPath(new URL('../src/channels/catalog-file.js', import.meta.url));
const CATALOG_JS = fileURLToPath(new URL('../src/channels/catalog.js', import.meta.url));

function catalogText(n: number, tag: string): string {
  const channels = Array.from({ length: n }, (_, i) => ({
    id: `${tag}-${i}`,
    name: `${tag} ${i} ${'x'.repeat(200)}`,
    sources: [`acestream://${(i % 10).toString().repeat(40)}`, `infohash:${'f'.repeat(40)}`],
  }));
  return JSON.stringify({ channels });
}

describe('atomic catalog writes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-atomic-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a writer killed with SIGKILL mid-write leaves the old file or the new one', async () => {
    const file = join(dir, 'channels.json');
    // The admin API's own write path: a catalog rendered and written by writeCatalogFile.
    const small = renderCatalogJson(parseCatalog(catalogText(3, 'old')).catalog!);
    const big = renderCatalogJson(parseCatalog(catalogText(4000, 'new')).catalog!); // ~1 MB: slow enough to be killed inside
    writeFileAtomic(file, small);
    // A child rewrites the file in a loop, alternating the two catalogs, until it is killed.
    writeFileSync(join(dir, 'big.src'), big);
    writeFileSync(join(dir, 'small.src'), small);
    const script = `
      import { readFileSync } from 'node:fs';
      import { writeCatalogFile } from ${JSON.stringify(CATALOG_FILE_JS)};
      import { parseCatalog } from ${JSON.stringify(CATALOG_JS)};
      const catalogs = [${JSON.stringify(join(dir, 'big.src'))}, ${JSON.stringify(join(dir, 'small.src'))}]
        .map((p) => parseCatalog(readFileSync(p, 'utf8')).catalog);
      for (let i = 0; ; i++) {
        writeCatalogFile(${JSON.stringify(file)}, catalogs[i % 2]);
        if (i === 1) process.stdout.write('go\\n');
      }
    `;
    const seen = new Set<number>();
    for (let round = 0; round < 12; round++) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      // Once it has written both catalogs, it is killed the moment a temporary file of a write shows up
      // (mid-write: after the temp file is opened, before or while it is renamed), else at a varying moment.
      await new Promise<void>((r) => child.stdout!.once('data', () => r()));
      const before = new Set(readdirSync(dir));
      const until = Date.now() + 50 + ((round * 37) % 120);
      while (Date.now() < until && !readdirSync(dir).some((n) => n.endsWith('.tmp') && !before.has(n))) {
        // a tight poll: the write takes a few ms
      }
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const text = readFileSync(file, 'utf8');
      assert.ok(
        text === small || text === big,
        `round ${round}: the file is one whole catalog (${text.length} bytes)`,
      );
      const parsed = parseCatalog(text);
      assert.equal(parsed.error, null);
      seen.add(parsed.catalog!.channels.length);
    }
    assert.ok(seen.size >= 1);
    const torn = readdirSync(dir).filter((n) => n.endsWith('.tmp')).length;
    assert.ok(torn >= 1, 'at least one writer was killed inside a write (its temp file is left)');
    // Temp files of killed writers are left beside the catalog, never in its place.
    for (const name of readdirSync(dir))
      assert.ok(['channels.json', 'big.src', 'small.src'].includes(name) || name.endsWith('.tmp'), name);
  });

  test('a plain file keeps its mode (and owner, as root); a symlink is written through', () => {
    const plain = join(dir, 'private.json');
    writeFileSync(plain, 'old');
    chmodSync(plain, 0o640);
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(plain, 65534, 65533);
    writeFileAtomic(plain, 'new');
    assert.equal(readFileSync(plain, 'utf8'), 'new');
    const st = statSync(plain);
    assert.equal((st.mode & 0o777).toString(8), '640');
    if (asRoot) assert.deepEqual([st.uid, st.gid], [65534, 65533]);
    mkdirSync(join(dir, 'target'));
    writeFileSync(join(dir, 'target', 'real.json'), 'old');
    chmodSync(join(dir, 'target', 'real.json'), 0o600);
    symlinkSync(join('target', 'real.json'), join(dir, 'linked.json'));
    writeFileAtomic(join(dir, 'linked.json'), 'new');
    assert.ok(lstatSync(join(dir, 'linked.json')).isSymbolicLink());
    assert.equal(readFileSync(join(dir, 'target', 'real.json'), 'utf8'), 'new');
    assert.equal((statSync(join(dir, 'target', 'real.json')).mode & 0o777).toString(8), '600');
  });
});

describe('admin API and reloads', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  let dir: string;
  let file: string;
  const A = '1'.repeat(40);
  const B = '2'.repeat(40);
  const C = '3'.repeat(40);

  before(async () => {
    sim = await startEngineSim({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'sc-admin-'));
    file = join(dir, 'channels.json');
    writeFileSync(
      file,
      JSON.stringify({
        channels: [
          { id: 'keep', number: 1, name: 'Keep', sources: [A] },
          { id: 'change', number: 2, name: 'Change', sources: [B] },
        ],
      }),
    );
    gw = await startGateway(['--engine', sim.url, '--channels', file], { SHARDCAST_API_KEY: KEY });
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const api = (path: string, init: RequestInit = {}) =>
    getJson(`${gw.url}/api/v1/channels${path}`, { ...init, headers: { ...AUTH, ...(init.headers ?? {}) } });
  const onDisk = () => parseCatalog(readFileSync(file, 'utf8')).catalog!.channels.map((c) => c.id);

  test('the API needs the key', async () => {
    const r = await getJson(`${gw.url}/api/v1/channels`);
    assert.equal(r.status, 401);
    assert.equal(r.body.error.code, 'SC_ERR_UNAUTHORIZED');
    const ok = await api('');
    assert.equal(ok.status, 200);
    assert.deepEqual(
      ok.body.channels.map((c: any) => c.id),
      ['keep', 'change'],
    );
    assert.equal((await api('/nope')).body.error.code, 'SC_ERR_CHANNEL_NOT_FOUND');
  });

  test('the id in the path is percent-decoded; a malformed escape is 400 JSON', async () => {
    const escaped = await api('/%6Beep');
    assert.equal(escaped.status, 200, JSON.stringify(escaped.body));
    assert.equal(escaped.body.id, 'keep');
    for (const [method, path] of [
      ['GET', '/%zz'],
      ['GET', '/%'],
      ['PUT', '/%E0%A4%A'],
      ['DELETE', '/ke%'],
      ['POST', '/%zz/check'],
    ] as const) {
      const r = await api(path, { method, ...(method === 'PUT' ? { body: '{}' } : {}) });
      assert.equal(r.status, 400, `${method} ${path}`);
      assert.equal(r.body.error.code, 'SC_ERR_BAD_PATH', `${method} ${path}`);
    }
    assert.deepEqual(onDisk(), ['keep', 'change'], 'the file is untouched');
  });

  test('PUT adds and validates, DELETE removes; both write the file', async () => {
    const put = await api('/extra', {
      method: 'PUT',
      body: JSON.stringify({ name: 'Extra', group: 'G', sources: [`infohash:${C}`] }),
    });
    assert.equal(put.status, 201);
    assert.equal(put.body.id, 'extra');
    assert.equal(put.body.number, '3', 'numbered after the highest');
    assert.deepEqual(onDisk(), ['keep', 'change', 'extra']);
    const m3u = await (await fetch(`${gw.url}/playlist.m3u`)).text();
    assert.ok(m3u.includes('/channel/extra.ts'), 'the playlist lists the new channel');
    const bad = await api('/extra', {
      method: 'PUT',
      body: JSON.stringify({ name: 'X', sources: ['nope'] }),
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.code, 'SC_ERR_BAD_CHANNEL');
    assert.equal(
      bad.body.error.message,
      'Channel.sources[0]: "nope" is not a source (acestream://<id>, a 40-hex id, infohash:<hash> or an http(s):// URL).',
    );
    const clash = await api('/extra', {
      method: 'PUT',
      body: JSON.stringify({ name: 'X', number: 1, sources: [C] }),
    });
    assert.equal(clash.status, 400);
    assert.equal(clash.body.error.message, 'Channel "extra": guide number 1 is already channel "keep"\'s.');
    const other = await api('/extra', {
      method: 'PUT',
      body: JSON.stringify({ id: 'other', name: 'X', sources: [C] }),
    });
    assert.equal(other.status, 400);
    assert.equal((await api('/extra', { method: 'PUT', body: '{' })).status, 400);
    assert.deepEqual(onDisk(), ['keep', 'change', 'extra'], 'a refused edit leaves the file alone');
    const del = await api('/extra', { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.deepEqual(onDisk(), ['keep', 'change']);
    assert.equal((await api('/extra')).status, 404);
  });

  test('PUT of a channel without a number keeps the guide number it has', async () => {
    // Plex and Jellyfin know a channel by its guide number: an edit of its sources must not move it.
    const first = await api('/renum', {
      method: 'PUT',
      body: JSON.stringify({ name: 'Renum', number: '40.2', sources: [C] }),
    });
    assert.equal(first.status, 201);
    assert.equal(first.body.number, '40.2');
    const edit = await api('/renum', {
      method: 'PUT',
      body: JSON.stringify({ name: 'Renum', sources: [A, C] }),
    });
    assert.equal(edit.status, 200);
    assert.equal(edit.body.number, '40.2', 'kept');
    const lineup = await getJson(`${gw.url}/lineup.json`);
    assert.ok(lineup.body.some((c: any) => c.GuideNumber === '40.2' && c.URL.endsWith('/channel/renum.ts')));
    // An explicit null asks for a new one: after the highest of the others.
    const renumbered = await api('/renum', {
      method: 'PUT',
      body: JSON.stringify({ name: 'Renum', number: null, sources: [C] }),
    });
    assert.equal(renumbered.status, 200);
    assert.notEqual(renumbered.body.number, '40.2');
    assert.equal((await api('/renum', { method: 'DELETE' })).status, 200);
  });

  test('PUT refuses credentials without echoing them, and names that are not one line of text', async () => {
    const creds = await api('/creds', {
      method: 'PUT',
      body: JSON.stringify({ name: 'C', sources: ['http://user:hunter2@10.0.0.5/live.ts'] }),
    });
    assert.equal(creds.status, 400);
    assert.deepEqual(creds.body, {
      error: {
        code: 'SC_ERR_BAD_CHANNEL',
        message:
          'Channel.sources[0]: "http://***@10.0.0.5/live.ts" carries credentials, which are not supported.',
      },
    });
    const tail = 'control characters, line separators and unpaired surrogates are not allowed.';
    const refused: Array<[Record<string, unknown>, string]> = [
      [
        { name: 'Innocent\u2028http://attacker.example/steal.ts\u2028#EXTINF:-1,Fake' },
        `Channel.name has U+2028 (a line separator) at character 9: ${tail}`,
      ],
      [
        { name: 'lone \ud800 x' },
        `Channel.name has U+D800 (half of a surrogate pair) at character 6: ${tail}`,
      ],
      [{ name: 'a\u0000b' }, `Channel.name has U+0000 (a control character) at character 2: ${tail}`],
      [
        { name: 'N', group: 'G\u0085x' },
        `Channel.group has U+0085 (a control character) at character 2: ${tail}`,
      ],
    ];
    for (const [fields, message] of refused) {
      const r = await api('/weird', { method: 'PUT', body: JSON.stringify({ sources: [C], ...fields }) });
      assert.equal(r.status, 400, message);
      assert.deepEqual(r.body, { error: { code: 'SC_ERR_BAD_CHANNEL', message } });
    }
    assert.equal((await api('/weird')).status, 404, 'nothing was saved');
    assert.deepEqual(onDisk(), ['keep', 'change']);
    const m3u = await (await fetch(`${gw.url}/playlist.m3u`)).text();
    assert.equal(m3u.includes('attacker'), false);
  });

  test('PUT refuses a field the catalog does not know instead of dropping it', async () => {
    // A typo, or M3U's attribute name: answered 201 while the saved channel had no group or guide id.
    const fields = 'the fields are id, number, name, group, logo, tvg_id and sources.';
    for (const [extra, shown] of [
      [{ grup: 'Sports' }, '"grup"'],
      [{ 'tvg-id': 'sports1.es' }, '"tvg-id"'],
      [{ 'x\n': 1 }, '"x\\n"'],
    ] as const) {
      const r = await api('/typo', {
        method: 'PUT',
        body: JSON.stringify({ name: 'Typo', sources: [C], ...extra }),
      });
      assert.equal(r.status, 400, shown);
      assert.deepEqual(r.body, {
        error: { code: 'SC_ERR_BAD_CHANNEL', message: `Channel has an unknown field ${shown}: ${fields}` },
      });
    }
    assert.equal((await api('/typo')).status, 404, 'nothing was saved');
    assert.deepEqual(onDisk(), ['keep', 'change']);
    // What GET answers goes back unchanged: every field it lists is one PUT takes.
    const got = await api('/keep');
    const again = await api('/keep', { method: 'PUT', body: JSON.stringify(got.body) });
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, got.body);
  });

  test('PUT refuses a body that is not UTF-8 instead of saving U+FFFD; a byte order mark is fine', async () => {
    // "Télé" in Latin-1, as PowerShell's Invoke-RestMethod sends a string body by default.
    const latin1 = Buffer.from(JSON.stringify({ name: 'Télé', sources: [C] }), 'latin1');
    const r = await api('/tele', { method: 'PUT', body: latin1 });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, {
      error: {
        code: 'SC_ERR_BAD_CHANNEL',
        message: 'The body is not UTF-8 text: send the JSON channel object encoded as UTF-8.',
      },
    });
    assert.equal((await api('/tele')).status, 404, 'nothing was saved');
    assert.deepEqual(onDisk(), ['keep', 'change']);
    // Without the key the answer is the key's, whatever the body.
    const anon = await getJson(`${gw.url}/api/v1/channels/tele`, { method: 'PUT', body: latin1 });
    assert.equal(anon.status, 401);
    // UTF-8 with a byte order mark (Windows tools write one) is the channel as sent.
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(latin1.toString('latin1'), 'utf8'),
    ]);
    const ok = await api('/tele', { method: 'PUT', body: bom });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.name, 'Télé');
    assert.equal(
      parseCatalog(readFileSync(file, 'utf8')).catalog!.channels.find((c) => c.id === 'tele')?.name,
      'Télé',
      'saved as sent',
    );
    assert.equal((await api('/tele', { method: 'DELETE' })).status, 200);
  });

  test('an edit closes the changed channel only; the unchanged one keeps playing', async () => {
    const keep = openTs(`${gw.url}/channel/keep.ts`);
    const change = openTs(`${gw.url}/channel/change.ts`);
    assert.ok(await keep.waitBytes(128 * 1024, DEADLINE_MS));
    assert.ok(await change.waitBytes(128 * 1024, DEADLINE_MS));
    const before = (await getJson(`${gw.url}/api/v1/streams/ch-keep`)).body;
    // Same sources, new name: nothing closes.
    assert.equal(
      (
        await api('/keep', {
          method: 'PUT',
          body: JSON.stringify({ name: 'Keep (renamed)', number: 1, sources: [A] }),
        })
      ).status,
      200,
    );
    // New sources: that channel's stream closes (its viewers reconnect to the new list).
    assert.equal(
      (
        await api('/change', {
          method: 'PUT',
          body: JSON.stringify({ name: 'Change', number: 2, sources: [C, B] }),
        })
      ).status,
      200,
    );
    // Wait for the server to end it (waitBytes returns at the end of the response).
    await change.waitBytes(Number.MAX_SAFE_INTEGER, DEADLINE_MS);
    const ended = await change.close();
    assert.equal(ended.closedByServer, true, 'the changed channel was closed');
    assert.ok(await keep.waitBytes(keep.received() + 128 * 1024, DEADLINE_MS), 'the unchanged one plays on');
    const still = (await getJson(`${gw.url}/api/v1/streams/ch-keep`)).body;
    assert.equal(still.age_seconds >= before.age_seconds, true);
    assert.equal(still.generation, before.generation, 'same stream, same upstream');
    const got = await keep.close();
    assert.equal(got.closedByServer, false);
  });

  test('SIGHUP and a file change reload the catalog; a broken file keeps the one in use', async () => {
    const text = (ids: string[]) =>
      JSON.stringify({ channels: ids.map((id, i) => ({ id, number: i + 1, name: id, sources: [A] })) });
    writeFileAtomic(file, text(['keep', 'change', 'hup']));
    gw.proc.kill('SIGHUP');
    assert.ok(
      await waitFor(async () => (await api('/hup')).status === 200, DEADLINE_MS, 100),
      'SIGHUP reloads',
    );
    writeFileAtomic(file, text(['keep', 'watched']));
    assert.ok(
      await waitFor(async () => (await api('/watched')).status === 200, DEADLINE_MS, 200),
      'a change reloads',
    );
    assert.equal((await api('/hup')).status, 404);
    writeFileSync(file, '{"channels": [{"id": "Broken"');
    gw.proc.kill('SIGHUP');
    assert.ok(
      await waitFor(
        () => gw.logs.some((l) => l.msg === 'channel catalog not reloaded; keeping the one in use'),
        DEADLINE_MS,
      ),
    );
    assert.equal((await api('/watched')).status, 200, 'the catalog in use is kept');

    // A source with credentials: refused like any mistake, and the warning does not repeat them.
    const from = gw.logs.length;
    writeFileAtomic(
      file,
      JSON.stringify({
        channels: [{ id: 'creds', name: 'C', sources: ['http://user:hunter2@10.0.0.5/x.ts'] }],
      }),
    );
    gw.proc.kill('SIGHUP');
    const refused = (): any =>
      gw.logs
        .slice(from)
        .find(
          (l) =>
            l.msg === 'channel catalog not reloaded; keeping the one in use' &&
            String(l.error).includes('credentials'),
        );
    assert.ok(await waitFor(() => refused() !== undefined, DEADLINE_MS));
    assert.equal(
      refused().error,
      `The channel file ${file} is invalid: channels[0].sources[0]: "http://***@10.0.0.5/x.ts" carries credentials, which are not supported.`,
    );
    assert.equal(JSON.stringify(gw.logs).includes('hunter2'), false, 'no log line holds the password');
    assert.equal((await api('/watched')).status, 200, 'the catalog in use is kept');
  });
});

describe('API writes and the file on disk', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  let root: string;
  let dir: string;
  let real: string;
  let link: string;
  const A = '4'.repeat(40);
  const B = '5'.repeat(40);
  const first = JSON.stringify({ channels: [{ id: 'seven', number: 7, name: 'Seven', sources: [A] }] });

  before(async () => {
    sim = await startEngineSim({ port: 0 });
    root = mkdtempSync(join(tmpdir(), 'sc-catfile-'));
    dir = join(root, 'conf');
    mkdirSync(join(dir, 'real'), { recursive: true });
    real = join(dir, 'real', 'channels.json');
    link = join(dir, 'channels.json');
    writeFileSync(real, first);
    chmodSync(real, 0o600);
    symlinkSync(join('real', 'channels.json'), link);
    gw = await startGateway(['--engine', sim.url, '--channels', link], { SHARDCAST_API_KEY: KEY });
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const api = (path: string, init: RequestInit = {}) =>
    getJson(`${gw.url}/api/v1/channels${path}`, { ...init, headers: { ...AUTH, ...(init.headers ?? {}) } });
  const put = (id: string, channel: Record<string, unknown>) =>
    api(`/${id}`, { method: 'PUT', body: JSON.stringify(channel) });
  const ids = (text: string) => parseCatalog(text).catalog!.channels.map((c) => c.id);

  test('a write goes through a symlink to its target and keeps the mode (and owner, as root)', async () => {
    const asRoot = process.getuid?.() === 0;
    if (asRoot) chownSync(real, 65534, 65534);
    const r = await put('added', { name: 'Added', sources: [B] });
    assert.equal(r.status, 201);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link is still a link');
    assert.equal(readlinkSync(link), join('real', 'channels.json'));
    assert.deepEqual(ids(readFileSync(real, 'utf8')), ['seven', 'added'], 'the target got the edit');
    const st = statSync(real);
    assert.equal((st.mode & 0o777).toString(8), '600', 'the mode is kept');
    if (asRoot) assert.deepEqual([st.uid, st.gid], [65534, 65534], 'the owner is kept');
    assert.deepEqual(readdirSync(dir).sort(), ['channels.json', 'real'], 'no file appears beside the link');
  });

  test('guide numbers are compared in canonical form: 07 and "7.0" clash with 7', async () => {
    for (const number of ['07', '7.0', 7.0]) {
      const r = await put('dup', { name: 'Dup', number, sources: [B] });
      assert.equal(r.status, 400, String(number));
      assert.equal(r.body.error.code, 'SC_ERR_BAD_CHANNEL');
      assert.equal(r.body.error.message, 'Channel "dup": guide number 7 is already channel "seven"\'s.');
    }
    const ok = await put('ten', { name: 'Ten', number: '010', sources: [B] });
    assert.equal(ok.status, 201);
    assert.equal(ok.body.number, '10', 'saved in canonical form');
  });

  test('a hand edit just before a PUT is loaded first, not overwritten', async () => {
    // Faster than the watcher (it checks every second): the edit must see the file as it is now.
    const hand = JSON.stringify({
      channels: [
        { id: 'seven', number: 7, name: 'Seven', sources: [A] },
        { id: 'by-hand', number: 20, name: 'By hand', sources: [A] },
      ],
    });
    writeFileSync(link, hand);
    const r = await put('after-hand', { name: 'After hand', sources: [B] });
    assert.equal(r.status, 201);
    assert.equal(r.body.number, '21', 'numbered after the hand-edited channel');
    assert.deepEqual(ids(readFileSync(real, 'utf8')), ['seven', 'by-hand', 'after-hand']);
    assert.equal((await api('/by-hand')).status, 200);
    assert.equal((await api('/added')).status, 404, 'the hand edit removed it');
  });

  test('a hand edit that does not parse refuses the PUT and is left alone', async () => {
    const broken = '{"channels": [{"id": "half-typed"';
    writeFileSync(link, broken);
    const r = await put('refused', { name: 'Refused', sources: [B] });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.code, 'SC_ERR_CATALOG_INVALID');
    assert.match(
      r.body.error.message,
      /^The channel file changed on disk and is not valid: it is neither JSON \(.+\) nor an M3U playlist \(#EXTM3U first\)\. Fix the file, then retry \(it was left as it is\)\.$/,
    );
    assert.equal(readFileSync(real, 'utf8'), broken, 'the operator’s file is untouched');
    assert.equal((await api('/after-hand')).status, 200, 'the catalog in use is kept');
    writeFileSync(link, first);
    assert.equal((await put('fixed', { name: 'Fixed', sources: [B] })).status, 201);
    assert.deepEqual(ids(readFileSync(real, 'utf8')), ['seven', 'fixed']);
  });

  test('keys the gateway does not know survive API edits in the file; the API does not show them', async () => {
    // An operator's notes: a top-level comment and keys of their own in channels, in their own key order.
    const known = (id: string, number: string, name: string, source: string) => ({
      id,
      number,
      name,
      group: null,
      logo: null,
      tvg_id: null,
      sources: [`acestream://${source}`],
    });
    const hand = {
      comment: 'Channels of the lobby screens; ask Ana before removing one',
      channels: [
        { notes: 'lobby', id: 'seven', number: 7, name: 'Seven', sources: [A] },
        { id: 'eight', number: '08', name: 'Eight', sources: [B], x_provider: { name: 'p', id: 8 } },
        { id: 'nine', number: 9, name: 'Nine', sources: [A], notes: 'to be deleted' },
      ],
      x_meta: { version: 3 },
    };
    // A hand edit just before the PUT (faster than the watcher): the kept keys come from reading it now.
    writeFileSync(link, JSON.stringify(hand, null, '\t'));
    const added = await put('added', { name: 'Added', sources: [B] });
    assert.equal(added.status, 201);
    assert.deepEqual(added.body, known('added', '10', 'Added', B), 'the answer has the known fields only');
    let disk = JSON.parse(readFileSync(real, 'utf8'));
    assert.deepEqual(Object.keys(disk), ['comment', 'channels', 'x_meta']);
    assert.equal(disk.comment, hand.comment);
    assert.deepEqual(disk.x_meta, { version: 3 });
    assert.deepEqual(
      disk.channels.map((c: any) => [c.id, c.notes ?? c.x_provider ?? null]),
      [
        ['seven', 'lobby'],
        ['eight', { name: 'p', id: 8 }],
        ['nine', 'to be deleted'],
        ['added', null],
      ],
    );
    // Replacing a channel keeps its own keys from the file; the body still may not carry unknown ones.
    const typo = await put('eight', { name: 'Eight', sources: [A], x_provider: 'mine' });
    assert.equal(typo.status, 400);
    assert.equal(typo.body.error.code, 'SC_ERR_BAD_CHANNEL');
    const eight = await put('eight', { name: 'Eight (HD)', sources: [A] });
    assert.equal(eight.status, 200);
    assert.deepEqual(eight.body, known('eight', '8', 'Eight (HD)', A));
    // Another hand edit, then a DELETE at once: the new note is read back before the write, not lost.
    disk = JSON.parse(readFileSync(real, 'utf8'));
    disk.channels.find((c: any) => c.id === 'added').notes = 'added by the API, noted by hand';
    writeFileSync(link, JSON.stringify(disk));
    assert.equal((await api('/nine', { method: 'DELETE' })).status, 200);
    const expected = {
      comment: hand.comment,
      channels: [
        { notes: 'lobby', ...known('seven', '7', 'Seven', A) },
        { ...known('eight', '8', 'Eight (HD)', A), x_provider: { name: 'p', id: 8 } },
        { ...known('added', '10', 'Added', B), notes: 'added by the API, noted by hand' },
      ],
      x_meta: { version: 3 },
    };
    // Byte for byte: the keys in the file's order, written as the API always writes (2 spaces, final newline).
    assert.equal(readFileSync(real, 'utf8'), `${JSON.stringify(expected, null, 2)}\n`);
    // The API shows the known fields only.
    const list = await api('');
    assert.deepEqual(list.body, {
      channels: [
        known('seven', '7', 'Seven', A),
        known('eight', '8', 'Eight (HD)', A),
        known('added', '10', 'Added', B),
      ],
    });
    assert.deepEqual((await api('/seven')).body, known('seven', '7', 'Seven', A));
    // What GET answers goes back as it is, and the file keeps the channel's note.
    const again = await put('seven', (await api('/seven')).body);
    assert.equal(again.status, 200);
    assert.equal(readFileSync(real, 'utf8'), `${JSON.stringify(expected, null, 2)}\n`);
  });

  test('a failed write answers SC_ERR_CATALOG_WRITE with the cause, one warning, catalog unchanged', async () => {
    const away = join(root, 'conf-away');
    renameSync(dir, away);
    try {
      const before = (await api('')).body.channels.map((c: any) => c.id);
      const r = await put('lost', { name: 'Lost', sources: [B] });
      assert.equal(r.status, 500);
      assert.deepEqual(r.body.error, {
        code: 'SC_ERR_CATALOG_WRITE',
        message: 'Cannot save the channel catalog: its directory does not exist (ENOENT).',
      });
      assert.deepEqual(
        (await api('')).body.channels.map((c: any) => c.id),
        before,
        'the catalog in use is unchanged',
      );
      assert.equal((await api('/lost')).status, 404);
      const notSaved = (l: Record<string, unknown>) =>
        l.msg === 'channel catalog not saved; the catalog in use is unchanged';
      // Log lines reach the test through a pipe, maybe after the answer.
      assert.ok(await waitFor(() => gw.logs.some(notSaved), DEADLINE_MS), 'a warning is logged');
      const warned = gw.logs.filter(notSaved);
      assert.equal(warned.length, 1);
      assert.equal(warned[0]!.level, 40);
      assert.equal(warned[0]!.code, 'ENOENT');
      assert.equal(
        gw.logs.some((l) => (l.level as number) >= 50),
        false,
        'no error-level line (no stack)',
      );
    } finally {
      renameSync(away, dir);
    }
  });
});
