// A catalog rewritten in place is reloaded once it stopped changing, never half written. A prefix of an
// M3U playlist is a valid, shorter playlist: a cron job's `curl provider/list.m3u > tv.m3u` was read while
// curl wrote it, every channel not yet written was dropped, and their viewers were cut.
import assert from 'node:assert/strict';
import { closeSync, openSync, writeSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { type FileGateway, startFileRig } from './support/file-gateway.js';
import { type GatewayProc, waitFor } from './support/gateway-proc.js';
import { openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;
const CHANNELS = 12;

/** The playlist as entries of two lines each; the last channel is the one that plays. */
const entries = Array.from({ length: CHANNELS }, (_, i) => {
  const n = i + 1;
  return `#EXTINF:-1 tvg-id="ch${n}" tvg-chno="${n}",Channel ${n}\nacestream://${(n % 10).toString().repeat(40)}\n`;
});
const playlist = `#EXTM3U\n${entries.join('')}`;

let watched: FileGateway;
let gw: GatewayProc;
let file: string;

before(async () => {
  watched = await startFileRig({
    flag: '--channels',
    name: 'tv.m3u',
    text: playlist,
    args: ['--shards', '1'],
  });
  ({ gw, file } = watched);
});
after(async () => {
  await watched?.stop();
});

test('a playlist rewritten in place is not reloaded half written; its playing channels go on', async () => {
  const viewer = openTs(`${gw.url}/channel/ch${CHANNELS}.ts`);
  assert.equal((await viewer.response).status, 200);
  assert.ok(await viewer.waitBytes(64 * 1024, DEADLINE_MS), 'the last channel of the list plays');
  const from = gw.logs.length;

  // Rewritten in place, the same list, one entry every 250 ms: several of the gateway's checks (one a
  // second) find it changed and shorter than it will be.
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, '#EXTM3U\n');
    for (const entry of entries) {
      await new Promise((r) => setTimeout(r, 250));
      writeSync(fd, entry);
    }
  } finally {
    closeSync(fd);
  }
  const reloads = () =>
    gw.logs.slice(from).filter((l) => l.msg === 'channel catalog reloaded' && l.reason === 'file changed');
  assert.ok(
    await waitFor(() => reloads().some((l) => l.channels === CHANNELS), DEADLINE_MS, 100),
    'the finished file is reloaded',
  );
  assert.deepEqual(
    reloads().map((l) => l.channels),
    [CHANNELS],
    'one reload, of the whole list (none of a half-written one)',
  );
  assert.equal(
    gw.logs.slice(from).some((l) => l.msg === 'channel removed; closing its stream'),
    false,
    'no channel was dropped',
  );
  assert.ok(await viewer.waitBytes(viewer.received() + 64 * 1024, DEADLINE_MS), 'the viewer still plays');
  const got = await viewer.close();
  assert.equal(got.closedByServer, false, 'the viewer was never cut');
});
