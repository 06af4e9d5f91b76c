// EpgService in-process with a fake clock over a local guide server: a guide that is not XMLTV is a failed
// load, a failed load keeps the guide in use and is retried after 1 min doubling to 30 min, and requests
// never fetch the guide more often than that schedule. A large guide is reduced off the main thread.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Catalog } from '../src/channels/catalog.js';
import { EpgService } from '../src/control/epg.js';
import { createLogger } from '../src/log.js';

const GUIDE = (title: string): string =>
  `<?xml version="1.0"?>\n<tv><channel id="a"/><programme channel="a"><title>${title}</title></programme></tv>\n`;
const HTML = '<!DOCTYPE html><html><body>Sign in</body></html>';
const CATALOG = {
  channels: [{ id: 'a', number: '1', name: 'A', group: null, logo: null, tvgId: 'a', sources: [] }],
} as unknown as Catalog;
const MIN = 60_000;

describe('EpgService schedule', () => {
  let origin: Server;
  let url: string;
  let answer: { status: number; body: string };
  let fetches: number;
  let t: number;
  const clock = { now: () => t };
  before(async () => {
    origin = createServer((_req, res) => {
      fetches++;
      res.writeHead(answer.status, { 'Content-Type': 'text/html' }).end(answer.body);
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/guide.xml`;
  });
  after(() => origin.close());
  beforeEach(() => {
    fetches = 0;
    t = 1_000_000;
  });

  const get = async (epg: EpgService) => {
    const res = await epg.handle({ method: 'GET', path: '/epg.xml', query: '', headers: {} });
    return { status: res.status, body: res.body };
  };
  const service = () => new EpgService(url, () => CATALOG, createLogger('silent'), clock);

  test('an HTML answer is not loaded; once the server is fixed, the guide loads at the first retry (1 min)', async () => {
    const epg = service();
    answer = { status: 200, body: HTML };
    const bad = await get(epg);
    assert.equal(bad.status, 503);
    assert.match(bad.body, /SC_ERR_EPG_UNAVAILABLE/);
    assert.match(bad.body, /not XMLTV/);
    answer = { status: 200, body: GUIDE('Fixed') };
    t += MIN - 1;
    assert.equal((await get(epg)).status, 503, 'not retried before the backoff');
    assert.equal(fetches, 1);
    t += 1;
    const good = await get(epg);
    assert.equal(good.status, 200);
    assert.match(good.body, /<title>Fixed<\/title>/);
    assert.equal(fetches, 2);
  });

  test('a failed refresh (not XMLTV) keeps the guide in use and is retried before the next 6 h', async () => {
    const epg = service();
    answer = { status: 200, body: GUIDE('First') };
    assert.match((await get(epg)).body, /First/);
    t += 6 * 60 * MIN - 1;
    assert.match((await get(epg)).body, /First/);
    assert.equal(fetches, 1, 'a URL is fetched again only after 6 h');
    t += 1;
    answer = { status: 200, body: HTML };
    const kept = await get(epg);
    assert.equal(kept.status, 200);
    assert.match(kept.body, /First/, 'the previous guide, not the HTML page');
    assert.equal(fetches, 2);
    answer = { status: 200, body: GUIDE('Second') };
    t += MIN;
    assert.match((await get(epg)).body, /Second/);
    assert.equal(fetches, 3);
  });

  test('failed loads are retried after 1, 2, 4, 8, 16, 30, 30 min, never once per request', async () => {
    const epg = service();
    answer = { status: 500, body: 'down' };
    assert.equal((await get(epg)).status, 503);
    assert.equal(fetches, 1);
    let expected = 1;
    for (const waitMin of [1, 2, 4, 8, 16, 30, 30]) {
      t += waitMin * MIN - 1;
      for (let i = 0; i < 3; i++) assert.equal((await get(epg)).status, 503);
      assert.equal(fetches, expected, `no fetch before ${waitMin} min`);
      t += 1;
      assert.equal((await get(epg)).status, 503);
      expected++;
      assert.equal(fetches, expected, `a fetch after ${waitMin} min`);
    }
  });

  test('concurrent requests share one load', async () => {
    const epg = service();
    answer = { status: 200, body: GUIDE('Shared') };
    const all = await Promise.all([get(epg), get(epg), get(epg), get(epg)]);
    assert.ok(all.every((r) => r.status === 200));
    assert.equal(fetches, 1);
  });
});

describe('EpgService off the main thread', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sc-epg-big-'));
    // A national-sized guide in miniature (~60 MB): thousands of programmes, a few for the catalog.
    const desc = 'A programme description of a few hundred characters, as national guides carry. '.repeat(4);
    const lines = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<tv>',
      '  <channel id="a"><display-name>A</display-name></channel>',
    ];
    for (let i = 0; i < 150_000; i++) {
      lines.push(
        `  <programme start="20260101000000 +0000" channel="other${i % 500}"><title>Show ${i}</title><desc>${desc}</desc></programme>`,
      );
    }
    lines.push(
      '  <programme start="20260101000000 +0000" channel="a"><title>Ours</title></programme>',
      '</tv>',
      '',
    );
    writeFileSync(join(dir, 'guide.xml'), lines.join('\n'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('reducing a large guide for a new catalog leaves the main thread free', async () => {
    // Main runs the stream directory: while it reduced a guide (seconds for a national one, after every
    // catalog change), no stream opened and no channel failed over.
    let catalog = CATALOG;
    const epg = new EpgService(join(dir, 'guide.xml'), () => catalog, createLogger('silent'));
    const get = () => epg.handle({ method: 'GET', path: '/epg.xml', query: '', headers: {} });
    assert.equal((await get()).status, 200, 'loaded');
    catalog = { channels: [...CATALOG.channels] } as unknown as Catalog; // an edit: rendered anew
    let done = false;
    let turns = 0;
    const pending = get().finally(() => {
      done = true;
    });
    // The event loop keeps turning while the guide is reduced (on main it stood still until the end).
    while (!done) {
      await new Promise((r) => setImmediate(r));
      turns++;
    }
    const res = await pending;
    assert.equal(res.status, 200);
    assert.match(res.body, /<title>Ours<\/title>/);
    assert.doesNotMatch(res.body, /other1"/);
    assert.ok(turns >= 1000, `the main thread turned ${turns} times while the guide was reduced`);
  });
});
