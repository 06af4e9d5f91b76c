// /epg.xml: the configured XMLTV guide (file or URL, gzip or not) reduced to the catalog's tvg_ids,
// cached (a URL is fetched once, not per request) and gzip-compressed for clients that accept it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { reduceXmltv } from '../src/channels/xmltv.js';
import { type GatewayProc, startGateway } from './support/gateway-proc.js';

const GUIDE = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE tv SYSTEM "xmltv.dtd">
<tv generator-info-name="test">
  <channel id="sports1.es"><display-name>Sports 1</display-name></channel>
  <channel id="other.es"><display-name>Other</display-name></channel>
  <channel id="a&amp;b.es"><display-name>A&amp;B</display-name></channel>
  <programme start="20261205180000 +0000" stop="20261205190000 +0000" channel="sports1.es"><title>Match</title></programme>
  <programme start="20261205180000 +0000" stop="20261205190000 +0000" channel="other.es"><title>Nope</title></programme>
  <programme start="20261205190000 +0000" stop="20261205200000 +0000" channel='a&amp;b.es'><title>Kept</title></programme>
  <programme start="20261205200000 +0000" stop="20261205210000 +0000" channel="sports1.es"/>
</tv>
`;

describe('reduceXmltv', () => {
  test("keeps the prolog, the tv element and only the catalog's channels and programmes", () => {
    const r = reduceXmltv(GUIDE, new Set(['sports1.es', 'a&b.es']))!;
    assert.equal(r.channels, 2);
    assert.equal(r.programmes, 3);
    assert.ok(
      r.xml.startsWith(
        '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE tv SYSTEM "xmltv.dtd">\n<tv generator-info-name="test">',
      ),
    );
    assert.ok(r.xml.includes('<title>Match</title>') && r.xml.includes('<title>Kept</title>'));
    assert.ok(!r.xml.includes('other.es') && !r.xml.includes('Nope'));
    assert.ok(r.xml.trimEnd().endsWith('</tv>'));
    assert.equal(reduceXmltv('<html>not a guide</html>', new Set()), null);
  });
});

describe('/epg.xml over HTTP', () => {
  let gw: GatewayProc;
  let origin: Server;
  let fetches = 0;
  let dir: string;
  before(async () => {
    origin = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'Content-Type': 'application/gzip' });
      res.end(gzipSync(GUIDE));
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/guide.xml.gz`;
    dir = mkdtempSync(join(tmpdir(), 'sc-epg-'));
    const channels = join(dir, 'channels.m3u');
    writeFileSync(channels, `#EXTM3U\n#EXTINF:-1 tvg-id="sports1.es",Sports 1\n${'1'.repeat(40)}\n`);
    gw = await startGateway(['--channels', channels, '--epg', url]);
  });
  after(async () => {
    await gw?.stop();
    origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('plain and gzip answers of the reduced guide; the source is fetched once', async () => {
    const plain = await request(`${gw.url}/epg.xml`);
    assert.equal(plain.statusCode, 200);
    assert.match(String(plain.headers['content-type']), /xml/);
    const text = await plain.body.text();
    assert.ok(text.includes('<title>Match</title>'));
    assert.ok(!text.includes('other.es'));
    const gz = await request(`${gw.url}/epg.xml`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.statusCode, 200);
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(Buffer.from(await gz.body.arrayBuffer())).toString('utf8'), text);
    assert.equal(fetches, 1, 'cached: one fetch of the source');
  });
});
