/**
 * The operator dashboard in real headless Debian Chromium: the page loads with no console error and no
 * failed request; a TS client joining a new stream shows up with viewers and bitrate and its row goes
 * once the client left and the grace period ended; the detail view's muted hls.js preview plays; client
 * addresses appear neither on the page nor in the live messages without the API key; close-stream works
 * with the key and is refused without it; a gateway restart shows "disconnected" and the page recovers by
 * itself. Screenshots at 1280×800 go to .e2e/dashboard/ (gitignored).
 *
 * Needs /usr/bin/chromium: `eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e dashboard`.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type ClientRequest, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { type GatewayProc, getJson, startGateway } from '../test/support/gateway-proc.js';
import { CHROMIUM, CHROMIUM_ARGS } from './hls-page.js';

const SHOTS = fileURLToPath(new URL('../../../../.e2e/dashboard/', import.meta.url));
const KEY = 'dashboard-e2e-key';
const AGENT = 'dashboard-e2e-player/1.0';
const GRACE_SECONDS = 2;
/** Generous deadlines for conditions (a shared 2-core machine); the conditions, not the time, are the test. */
const SHOW_MS = 10_000;
const PLAY_MS = 40_000;
const PREVIEW_SECONDS = 5;
const PHONE_WIDTH = 390;
/** A channel with a live source and one that refuses connections, for the page's source check. */
const CHANNEL = 'dash-one';
const DEAD_URL = 'http://127.0.0.1:9/none.ts';

/** Page expressions (strings: this package compiles without the DOM library). */
const STATUS = "document.querySelector('[data-status]')?.dataset.status";
const row = (id: string): string => `document.querySelector('tr[data-stream="${id}"]')`;
const cell = (id: string, col: string): string =>
  `${row(id)}?.querySelector('[data-col="${col}"]')?.textContent`;

let sim: EngineSim;
let gw: GatewayProc;
let ctx: BrowserContext;
let page: Page;
let profile: string;
let channels: string;
const errors: string[] = [];
const failed: string[] = [];
const frames: string[] = [];
const players: ClientRequest[] = [];

function play(id: string): ClientRequest {
  const req = request(
    `${gw.url}/ace/getstream?id=${id}`,
    { agent: false, headers: { 'user-agent': AGENT } },
    (res) => res.resume(),
  );
  req.on('error', () => {});
  req.end();
  players.push(req);
  return req;
}

async function until(expr: string, ms: number): Promise<void> {
  await page.waitForFunction(expr, undefined, { timeout: ms, polling: 100 });
}

async function gatewayOn(port: number): Promise<GatewayProc> {
  return startGateway([
    '--engine',
    sim.url,
    '--shards',
    '2',
    '--api-key',
    KEY,
    '--grace-seconds',
    String(GRACE_SECONDS),
    '--channels',
    channels,
    '--port',
    String(port),
  ]);
}

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  sim = await startEngineSim({ port: 0 });
  profile = mkdtempSync(join(tmpdir(), 'shardcast-dash-'));
  channels = join(profile, 'channels.json');
  writeFileSync(
    channels,
    JSON.stringify({
      channels: [{ id: CHANNEL, number: 1, name: 'Dash One', sources: ['e5'.repeat(20), DEAD_URL] }],
    }),
  );
  gw = await gatewayOn(0);
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
  });
  page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('requestfailed', (r) => {
    // A preview's requests are cut when the detail view closes: not a failure of the page.
    if (!r.url().includes('/ace/')) failed.push(`${r.url()} ${r.failure()?.errorText}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().includes('/api/v1/streams/')) failed.push(`${r.url()} ${r.status()}`);
  });
  page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(String(f.payload))));
});

after(async () => {
  for (const p of players) p.destroy();
  await ctx?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await gw?.stop();
  await sim?.close();
});

describe('dashboard in Chromium', () => {
  test('the page loads with no console error and no failed request, and goes live', async () => {
    await page.goto(`${gw.url}/`);
    await until(`${STATUS} === 'live'`, SHOW_MS);
    await until("document.querySelector('.tiles') !== null", SHOW_MS);
    const text = await page.evaluate<string>('document.body.innerText');
    assert.match(text, /Engines healthy/);
    assert.match(text, /1 \/ 1/);
    assert.deepEqual(errors, []);
    assert.deepEqual(failed, []);
  });

  test('a TS client joining a new stream appears with viewers and bitrate; its row goes after the grace', async () => {
    const id = 'e1'.repeat(20);
    const player = play(id);
    await until(`Number(${cell(id, 'ts')}) >= 1`, SHOW_MS);
    await until(`/[0-9.]+ (k|M)bit\\/s/.test(${cell(id, 'bitrate')} ?? '')`, SHOW_MS);
    await page.screenshot({ path: join(SHOTS, 'overview.png') });
    player.destroy();
    await until(`${row(id)} === null`, (GRACE_SECONDS + 15) * 1000);
    assert.deepEqual(errors, []);
  });

  test('the detail view plays a muted preview; no client address without the key', async () => {
    const id = 'e2'.repeat(20);
    play(id);
    await until(`Number(${cell(id, 'ts')}) >= 1`, SHOW_MS);
    await page.click(`tr[data-stream="${id}"]`);
    await until("document.querySelector('video.preview') !== null", SHOW_MS);
    assert.equal(await page.evaluate<boolean>("document.querySelector('video.preview').muted"), true);
    await until("document.querySelector('video.preview').currentTime > 0", PLAY_MS);
    const t0 = await page.evaluate<number>("document.querySelector('video.preview').currentTime");
    await until(`document.querySelector('video.preview').currentTime >= ${t0 + PREVIEW_SECONDS}`, PLAY_MS);
    await page.screenshot({ path: join(SHOTS, 'detail.png') });
    // Readable on a phone: one column, nothing wider than the screen (wide tables scroll inside their card).
    await page.setViewportSize({ width: PHONE_WIDTH, height: 800 });
    await until('document.documentElement.scrollWidth <= document.documentElement.clientWidth', SHOW_MS);
    await page.screenshot({ path: join(SHOTS, 'phone.png'), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.equal(await page.evaluate<number>('document.documentElement.scrollWidth'), 1280);
    const text = await page.evaluate<string>('document.body.innerText');
    assert.match(text, /Addresses are shown with the API key/);
    assert.equal(text.includes(AGENT), false);
    assert.equal(
      await page.evaluate<boolean>(
        "[...document.querySelectorAll('button')].some(b => b.textContent === 'Close stream')",
      ),
      false,
    );
    assert.ok(frames.length > 3, 'live messages were received');
    for (const f of frames) {
      assert.equal(f.includes(AGENT), false, 'no User-Agent in a live message without the key');
      assert.equal(
        /"address"|"clients"/.test(f),
        false,
        'no client fields in a live message without the key',
      );
    }
    // The API refuses the action without the key, whatever the page shows.
    const refused = await page.evaluate<number>(
      `fetch('/api/v1/streams/${id}', { method: 'DELETE' }).then(r => r.status)`,
    );
    assert.equal(refused, 401);
    assert.equal((await getJson(`${gw.url}/api/v1/streams/${id}`)).status, 200, 'still open');
  });

  test('with the key: client addresses show, and Close stream closes it', async () => {
    const id = 'e2'.repeat(20);
    await page.fill('input[type="password"]', KEY);
    await page.click('button[type="submit"]');
    await until(
      "[...document.querySelectorAll('button')].some(b => b.textContent === 'Close stream')",
      SHOW_MS,
    );
    await until(`document.body.innerText.includes(${JSON.stringify(AGENT)})`, SHOW_MS);
    const text = await page.evaluate<string>('document.body.innerText');
    assert.match(text, /127\.0\.0\.1 · shard \d/);
    assert.equal(await page.evaluate<string | null>("sessionStorage.getItem('shardcast.apiKey')"), KEY);
    assert.equal(page.url().includes(KEY), false, 'the key is never in the URL');
    await page.click('button.danger');
    await until("document.querySelector('.result')?.textContent === 'closed'", SHOW_MS);
    // The page's own preview stopped before the close: its reloads would have opened the stream again.
    assert.equal(await page.evaluate<boolean>("document.querySelector('video.preview') === null"), true);
    await until(`${row(id)} === null`, SHOW_MS);
    assert.equal((await getJson(`${gw.url}/api/v1/streams/${id}`)).status, 404);
  });

  test("with the key: a channel's sources are checked from its detail view", async () => {
    const token = `ch-${CHANNEL}`;
    const req = request(`${gw.url}/channel/${CHANNEL}.ts`, { agent: false }, (res) => res.resume());
    req.on('error', () => {});
    req.end();
    players.push(req);
    await until(`Number(${cell(token, 'ts')}) >= 1`, SHOW_MS);
    await page.click(`tr[data-stream="${token}"]`);
    await until(
      "[...document.querySelectorAll('button')].some(b => b.textContent === 'Check sources')",
      SHOW_MS,
    );
    await page.click('text=Check sources');
    await until("document.querySelectorAll('.checks li').length === 2", SHOW_MS * 2);
    const lines = await page.evaluate<string[]>(
      "[...document.querySelectorAll('.checks li')].map(li => li.textContent.replace(/\\s+/g, ' '))",
    );
    assert.match(lines[0]!, /^plays .*h264.*kbit\/s/i, lines[0]);
    assert.match(lines[1]!, /^fails /, lines[1]);
    assert.ok(lines[1]!.includes('127.0.0.1:9'), lines[1]);
    assert.equal((await getJson(`${gw.url}/api/v1/streams/${token}`)).status, 200, 'the channel still plays');
    req.destroy();
    await page.click('button[aria-label="Close detail"]');
  });

  test('with the key: Drain takes an engine out of selection, the table says so, and Resume undoes it', async () => {
    const engine = sim.url.replace(/\/$/, '');
    const rowOf = `document.querySelector('tr[data-engine="${engine}"]')`;
    await until(`${rowOf}?.querySelector('[data-col="engine-state"]')?.textContent === 'ready'`, SHOW_MS);
    await page.click(`tr[data-engine="${engine}"] button`);
    await until(`${rowOf}?.querySelector('.engine-result')?.textContent === 'drain started'`, SHOW_MS);
    await until(`${rowOf}?.querySelector('[data-col="engine-state"]')?.textContent === 'draining'`, SHOW_MS);
    const list = (await getJson(`${gw.url}/api/v1/engines`)).body;
    const state = JSON.stringify(list);
    assert.match(state, /"draining"/, state);
    // Without the key the API refuses it, whatever the page shows.
    const refused = await page.evaluate<number>(
      `fetch('/api/v1/engines/${encodeURIComponent(engine)}/drain', { method: 'POST' }).then(r => r.status)`,
    );
    assert.equal(refused, 401);
    // Resume undoes the drain: the engine takes new streams again.
    await page.click(`tr[data-engine="${engine}"] button`);
    await until(`${rowOf}?.querySelector('.engine-result')?.textContent === 'resumed'`, SHOW_MS);
    await until(`${rowOf}?.querySelector('[data-col="engine-state"]')?.textContent === 'ready'`, SHOW_MS);
    const resumed = (await getJson(`${gw.url}/api/v1/engines`)).body.engines.find(
      (e: any) => e.id === engine,
    );
    assert.equal(resumed?.state, 'ready');
  });

  test('a gateway restart shows "disconnected", then the page recovers by itself', async () => {
    const uptime = (): Promise<string> =>
      page.evaluate<string>("document.querySelectorAll('.tile-value')[6]?.textContent ?? ''");
    const seconds = (text: string): number => {
      const m = /^(?:(\d+) min )?(\d+) s$/.exec(text);
      return m ? Number(m[1] ?? 0) * 60 + Number(m[2]) : Number.NaN;
    };
    const before = seconds(await uptime());
    assert.ok(before >= 5, `uptime before the restart: ${before}`);
    const port = gw.port;
    await gw.stop();
    await until(`${STATUS} === 'disconnected'`, SHOW_MS);
    assert.match(await page.evaluate<string>('document.body.innerText'), /disconnected/);
    gw = await gatewayOn(port);
    await until(`${STATUS} === 'live'`, SHOW_MS * 2);
    // Fresh snapshots again, from the new gateway: its uptime started from zero.
    const deadline = Date.now() + SHOW_MS;
    while (!(seconds(await uptime()) < before) && Date.now() < deadline) await page.waitForTimeout(200);
    assert.ok(seconds(await uptime()) < before, `uptime after the restart: ${await uptime()}`);
  });
});
