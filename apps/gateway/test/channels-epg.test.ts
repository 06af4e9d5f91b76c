// /epg.xml: the configured XMLTV guide (file or URL, gzip or not) reduced to the catalog's tvg_ids,
// cached (a URL is fetched once, not per request) and gzip-compressed for clients that accept it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { reduceXmltv } from '../src/channels/xmltv.js';
import { runCli } from './support/cli-startup.js';
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
    assertWellFormed(r.xml);
  });

  // Markup inside comments, CDATA sections, processing instructions and quoted attribute values is not
  // taken for elements: the answer is well-formed XML with exactly the wanted elements.
  const cases: Array<{ name: string; guide: string; want: string; channels: number; programmes: number }> = [
    {
      name: 'a CDATA section holding </programme>',
      guide:
        '<tv><programme channel="a"><desc><![CDATA[ a </programme> ]]></desc></programme><programme channel="b"/></tv>',
      want: '<tv>\n  <programme channel="a"><desc><![CDATA[ a </programme> ]]></desc></programme>\n</tv>\n',
      channels: 0,
      programmes: 1,
    },
    {
      name: 'an empty guide <tv/>',
      guide: '<?xml version="1.0"?>\n<tv/>\n',
      want: '<?xml version="1.0"?>\n<tv/>\n',
      channels: 0,
      programmes: 0,
    },
    {
      name: 'a comment before the root that mentions <tv>',
      guide:
        '<?xml version="1.0"?>\n<!-- built for <tv> apps -->\n<tv date="x"><channel id="a"/><channel id="b"/></tv>',
      want: '<?xml version="1.0"?>\n<!-- built for <tv> apps -->\n<tv date="x">\n  <channel id="a"/>\n</tv>\n',
      channels: 1,
      programmes: 0,
    },
    {
      name: 'a commented-out programme',
      guide: '<tv><!-- <programme channel="a"><title>Old</title></programme> --><channel id="a"/></tv>',
      want: '<tv>\n  <channel id="a"/>\n</tv>\n',
      channels: 1,
      programmes: 0,
    },
    {
      name: 'a > inside an attribute value before channel=',
      guide: '<tv><programme title="x > y" channel="a"><title>T</title></programme></tv>',
      want: '<tv>\n  <programme title="x > y" channel="a"><title>T</title></programme>\n</tv>\n',
      channels: 0,
      programmes: 1,
    },
    {
      name: 'processing instructions, a DOCTYPE subset and nested elements of the same name',
      guide:
        '<?xml version="1.0"?><!DOCTYPE tv [ <!ENTITY x "<tv>"> ]><?pi <programme channel="a"/> ?>' +
        '<tv><?pi <channel id="a"/>?><channel id="a"><channel id="b"/><icon src="a>b"/></channel>' +
        '<programme channel="b"><programme channel="a"/></programme></tv>',
      want:
        '<?xml version="1.0"?><!DOCTYPE tv [ <!ENTITY x "<tv>"> ]><?pi <programme channel="a"/> ?><tv>\n' +
        '  <channel id="a"><channel id="b"/><icon src="a>b"/></channel>\n</tv>\n',
      channels: 1,
      programmes: 0,
    },
  ];
  for (const c of cases) {
    test(`well-formed answer with exactly the wanted elements: ${c.name}`, () => {
      const r = reduceXmltv(c.guide, new Set(['a']))!;
      assert.ok(r, 'recognised as XMLTV');
      assertWellFormed(r.xml);
      assert.equal(r.xml, c.want);
      assert.equal(r.channels, c.channels);
      assert.equal(r.programmes, c.programmes);
    });
  }

  test('a guide cut off mid-element keeps the complete elements and stays well-formed', () => {
    const r = reduceXmltv('<tv><channel id="a"/><programme channel="a"><title>Cut', new Set(['a']))!;
    assert.equal(r.xml, '<tv>\n  <channel id="a"/>\n</tv>\n');
    assertWellFormed(r.xml);
  });

  test('the well-formedness check itself rejects what the old reduction produced', () => {
    assert.throws(() => assertWellFormed('<tv/>\n</tv>\n'));
    assert.throws(() =>
      assertWellFormed('<tv>\n  <programme channel="a"><desc><![CDATA[ a </programme>\n</tv>\n'),
    );
    assert.throws(() => assertWellFormed('<!-- built for <tv>\n  <channel id="a"/>\n</tv>\n'));
  });
  test('characters XML 1.0 forbids are not passed on raw', () => {
    const guide =
      '<?xml version="1.0"?>\n<tv>\n<channel id="s"><display-name>A\u0000B\u001bC\uffffD\tE</display-name></channel>\n</tv>\n';
    const r = reduceXmltv(guide, new Set(['s']))!;
    assert.equal(r.channels, 1);
    assert.ok(r.xml.includes('<display-name>A\ufffdB\ufffdC\ufffdD\tE</display-name>'));
    assert.equal(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/.test(r.xml), false);
  });
});

/**
 * A minimal XML well-formedness check (no DTD processing): one root, nested tags that match, quoted
 * attributes, closed comments / CDATA / processing instructions, entity references, no text outside the root.
 */
function assertWellFormed(xml: string): void {
  const NAME = '[A-Za-z_:][\\w:.-]*';
  const START = new RegExp(`<(${NAME})((?:\\s+${NAME}\\s*=\\s*(?:"[^"<]*"|'[^'<]*'))*)\\s*(/?)>`, 'y');
  const END = new RegExp(`</(${NAME})\\s*>`, 'y');
  const TEXT_OK = /^(?:[^&<]|&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)*$/;
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  const fail = (why: string): never =>
    assert.fail(`not well-formed (${why}) at ${i}: ${JSON.stringify(xml.slice(i, i + 60))}`);
  const skip = (open: string, close: string): void => {
    const j = xml.indexOf(close, i + open.length);
    if (j < 0) fail(`unclosed ${open}`);
    if (open === '<!--' && xml.slice(i + 4, j).includes('--')) fail('-- in a comment');
    i = j + close.length;
  };
  while (i < xml.length) {
    if (xml.startsWith('<?', i)) skip('<?', '?>');
    else if (xml.startsWith('<!--', i)) skip('<!--', '-->');
    else if (xml.startsWith('<![CDATA[', i)) {
      if (stack.length === 0) fail('CDATA outside the root');
      skip('<![CDATA[', ']]>');
    } else if (xml.startsWith('<!DOCTYPE', i)) {
      if (roots > 0) fail('DOCTYPE after the root');
      const j = xml.indexOf(']>', i);
      i =
        xml.indexOf('[', i) >= 0 && xml.indexOf('[', i) < xml.indexOf('>', i)
          ? j + 2
          : xml.indexOf('>', i) + 1;
      if (i <= 0) fail('unclosed DOCTYPE');
    } else if (xml.startsWith('</', i)) {
      END.lastIndex = i;
      const m = END.exec(xml) ?? fail('bad end tag');
      if (stack.pop() !== m[1]) fail(`</${m[1]}> does not close the open element`);
      i = END.lastIndex;
    } else if (xml[i] === '<') {
      START.lastIndex = i;
      const m = START.exec(xml) ?? fail('bad start tag');
      if (stack.length === 0 && roots++ > 0) fail('a second root element');
      if (!m[3]) stack.push(m[1]!);
      i = START.lastIndex;
    } else {
      let j = xml.indexOf('<', i);
      if (j < 0) j = xml.length;
      const text = xml.slice(i, j);
      if (stack.length === 0 && text.trim() !== '') fail('text outside the root');
      if (!TEXT_OK.test(text)) fail('bad character data');
      i = j;
    }
  }
  if (stack.length > 0) fail(`<${stack.at(-1)}> not closed`);
  if (roots !== 1) fail('no root element');
}

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

/** Polls until `cond()` holds (a log line arrives asynchronously). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('/epg.xml from a file that is replaced by something that is not XMLTV', () => {
  let gw: GatewayProc;
  let dir: string;
  let guide: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sc-epg-file-'));
    guide = join(dir, 'epg.xml');
    writeFileSync(guide, GUIDE);
    const channels = join(dir, 'channels.m3u');
    writeFileSync(channels, `#EXTM3U\n#EXTINF:-1 tvg-id="sports1.es",Sports 1\n${'1'.repeat(40)}\n`);
    gw = await startGateway(['--channels', channels, '--epg', guide]);
  });
  after(async () => {
    await gw?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the guide already loaded is kept (and a warning logged) until a good guide replaces the bad one', async () => {
    const first = await request(`${gw.url}/epg.xml`);
    assert.equal(first.statusCode, 200);
    const text = await first.body.text();
    assert.ok(text.includes('<title>Match</title>'));

    writeFileSync(guide, 'garbage\n');
    utimesSync(guide, new Date(), new Date(Date.now() + 10_000)); // a modification time surely different
    for (let i = 0; i < 3; i++) {
      const res = await request(`${gw.url}/epg.xml`);
      assert.equal(res.statusCode, 200, 'the previous guide, not 503');
      assert.equal(await res.body.text(), text);
    }
    await until(
      () =>
        gw.logs.some(
          (l) => l.msg === 'guide not loaded; keeping the one in use' && /XMLTV/.test(String(l.error)),
        ),
      'the warning',
    );
    const warnings = gw.logs.filter((l) => l.msg === 'guide not loaded; keeping the one in use');
    assert.equal(warnings.length, 1, 'the same bad file is read and logged once, not per request');

    writeFileSync(guide, GUIDE.replace('<title>Match</title>', '<title>Final</title>'));
    utimesSync(guide, new Date(), new Date(Date.now() + 20_000));
    const res = await request(`${gw.url}/epg.xml`);
    assert.equal(res.statusCode, 200);
    assert.ok((await res.body.text()).includes('<title>Final</title>'));
  });
});

describe('/epg.xml while the guide URL fails', () => {
  let gw: GatewayProc;
  let origin: Server;
  let fetches = 0;
  let dir: string;
  before(async () => {
    origin = createServer((_req, res) => {
      fetches++;
      res.writeHead(500).end('down');
    });
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/guide.xml`;
    dir = mkdtempSync(join(tmpdir(), 'sc-epg-down-'));
    const channels = join(dir, 'channels.m3u');
    writeFileSync(channels, `#EXTM3U\n#EXTINF:-1 tvg-id="sports1.es",Sports 1\n${'1'.repeat(40)}\n`);
    gw = await startGateway(['--channels', channels, '--epg', url]);
  });
  after(async () => {
    await gw?.stop();
    origin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('requests answer 503 and do not fetch the guide again (retried on the backoff schedule only)', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await request(`${gw.url}/epg.xml`);
      assert.equal(res.statusCode, 503);
      const body = (await res.body.json()) as { error: { code: string } };
      assert.equal(body.error.code, 'SC_ERR_EPG_UNAVAILABLE');
    }
    assert.equal(fetches, 1, 'one fetch for five requests');
  });
});

describe('start-up', () => {
  test('a guide file not there yet is a warning, and loaded once a grabber writes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-epg-later-'));
    let gw: GatewayProc | undefined;
    try {
      const file = join(dir, 'guide.xml');
      const channels = join(dir, 'channels.m3u');
      writeFileSync(channels, `#EXTM3U\n#EXTINF:-1 tvg-id="sports1.es",Sports 1\n${'1'.repeat(40)}\n`);
      gw = await startGateway(['--channels', channels, '--epg', file]);
      assert.ok(
        gw.logs.some((l) => l.level === 40 && /is not there \(yet\)/.test(String(l.msg))),
        'warned',
      );
      assert.equal((await request(`${gw.url}/epg.xml`)).statusCode, 503);
      writeFileSync(file, GUIDE);
      const res = await request(`${gw.url}/epg.xml`);
      assert.equal(res.statusCode, 200);
      assert.ok((await res.body.text()).includes('<title>Match</title>'));
    } finally {
      await gw?.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a guide path that is not a file stops start-up in one sentence', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-epg-missing-'));
    try {
      const d = runCli(['--engine', 'http://127.0.0.1:9', '--epg', dir]);
      assert.equal(d.status, 1);
      assert.equal(d.stderr, `Cannot read the guide file ${dir} (not a file).\n`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
