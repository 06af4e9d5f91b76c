// The channel catalog parser (JSON and M3U / M3U Plus): what a valid file becomes, and the exact sentence
// each mistake produces (with its line number for M3U). Also through the real CLI: the start-up check, and an
// M3U whose entries share a tvg-id served as one channel.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseCatalog, parseJsonCatalog, parseM3u, slug } from '../src/channels/catalog.js';
import { channelJson, mergeCatalogJson, renderCatalogJson } from '../src/channels/render.js';
import { isHlsUrl, parseSource, redactUserinfo, sourceText } from '../src/channels/source.js';
import { jsonErrorOffset } from '../src/json-syntax.js';
import { runCli } from './support/cli-startup.js';
import { getJson, startGateway } from './support/gateway-proc.js';

const A = 'a'.repeat(40);
const B = 'B'.repeat(40);
const C = 'c'.repeat(40);

function error(text: string): string {
  const r = parseCatalog(text);
  assert.equal(r.catalog, null, 'expected a mistake');
  return r.error!;
}

describe('sources', () => {
  test('the four forms', () => {
    assert.deepEqual(parseSource(`acestream://${A}`).source, { kind: 'id', hex: A });
    assert.deepEqual(parseSource(B).source, { kind: 'id', hex: B.toLowerCase() });
    assert.deepEqual(parseSource(`infohash:${C}`).source, { kind: 'infohash', hex: C });
    assert.deepEqual(parseSource('http://10.0.0.5:8080/live/1.ts').source, {
      kind: 'url',
      url: 'http://10.0.0.5:8080/live/1.ts',
    });
    assert.equal(sourceText(parseSource(B).source!), `acestream://${B.toLowerCase()}`);
    assert.equal(isHlsUrl('https://cdn.example/a/index.m3u8?x=1'), true);
    assert.equal(isHlsUrl('https://cdn.example/a/stream.ts'), false);
  });
  test('mistakes are sentences', () => {
    assert.equal(
      parseSource('acestream://abc').error,
      '"acestream://abc" is not acestream://<40 hex digits>',
    );
    assert.equal(parseSource('infohash:xyz').error, '"infohash:xyz" is not infohash:<40 hex digits>');
    assert.equal(
      parseSource('ftp://x/y').error,
      '"ftp://x/y" is not a source (acestream://<id>, a 40-hex id, infohash:<hash> or an http(s):// URL)',
    );
    assert.equal(
      parseSource('http://u:p@h/x.ts').error,
      '"http://***@h/x.ts" carries credentials, which are not supported',
    );
    assert.equal(parseSource('   ').error, 'a source is empty');
  });
});

describe('no secret in a message', () => {
  test('a source with credentials is refused without echoing them, whatever its form', () => {
    const cases: Array<[string, string]> = [
      ['http://user:hunter2@h/x.ts', '"http://***@h/x.ts" carries credentials, which are not supported'],
      [
        'HTTPS://user:hunter2@h:8443/x.m3u8',
        '"HTTPS://***@h:8443/x.m3u8" carries credentials, which are not supported',
      ],
      ['http:///user:hunter2@h/x.ts', '"http:///***@h/x.ts" carries credentials, which are not supported'],
      ['http://hunter2@h/x.ts', '"http://***@h/x.ts" carries credentials, which are not supported'],
      ['http://u:p@ss:hunter2@h/x.ts', '"http://***@h/x.ts" carries credentials, which are not supported'],
      ['http://user:hun ter2@h /x.ts', '"http://***@h /x.ts" is not a valid URL'],
      [
        'rtmp://user:hunter2@h/live',
        '"rtmp://***@h/live" is not a source (acestream://<id>, a 40-hex id, infohash:<hash> or an http(s):// URL)',
      ],
    ];
    for (const [source, message] of cases) assert.equal(parseSource(source).error, message, source);
    assert.equal(
      error(JSON.stringify({ channels: [{ id: 'x', name: 'X', sources: ['http://u:hunter2@h/x.ts'] }] })),
      'channels[0].sources[0]: "http://***@h/x.ts" carries credentials, which are not supported',
    );
    assert.equal(redactUserinfo('http://h/a@b?c=d@e'), 'http://h/a@b?c=d@e', 'an @ after the host is kept');
    assert.equal(redactUserinfo(`acestream://${A}`), `acestream://${A}`);
  });
  test('malformed JSON is named by line and column, never quoted', () => {
    const text = '{"channels": [\n  {"id": "x", "name": "X", "sources": [http://u:hunter2@h/x.ts]}]}';
    const message = error(text);
    assert.equal(
      message,
      'it is neither JSON (a syntax error at line 2, column 40) nor an M3U playlist (#EXTM3U first)',
    );
    assert.equal(text.split('\n')[1]![39], 'h', 'line 2, column 40 is where the JSON breaks');
    assert.equal(
      error('{"channels": ['),
      'it is neither JSON (a syntax error at line 1, column 15) nor an M3U playlist (#EXTM3U first)',
    );
  });
  test('the position scan accepts exactly what JSON.parse accepts', () => {
    const texts = [
      '{}',
      '[]',
      ' [1, -0.5e+3, "a\\u00e9\\n", true, false, null, {"k": [{}]}] ',
      '"s"',
      '0',
      '-1.25E-2',
      '',
      ' ',
      '{',
      '[1,]',
      '{"a":1,}',
      '{"a" 1}',
      '{a:1}',
      "{'a':1}",
      '[01]',
      '[1.]',
      '[.5]',
      '[1e]',
      '[-]',
      '["\\x"]',
      '["\\u12g4"]',
      '["a\tb"]',
      '[tru]',
      '[nul]',
      '[1] 2',
      '[1]]',
      '{"a":1}}',
      '[NaN]',
      '\uFEFF{}',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      `${'['.repeat(5000)}${']'.repeat(4999)}`,
    ];
    for (const t of texts) {
      let valid = true;
      try {
        JSON.parse(t);
      } catch {
        valid = false;
      }
      assert.equal(jsonErrorOffset(t) === null, valid, JSON.stringify(t.slice(0, 40)));
    }
    assert.equal(
      jsonErrorOffset('['.repeat(1_000_000)),
      1_000_000,
      'deep nesting does not overflow the stack',
    );
  });
});

describe('names and attributes are one line of text', () => {
  test('control characters, line separators and unpaired surrogates are refused, by code point', () => {
    const one = (c: Record<string, unknown>): string =>
      error(JSON.stringify({ channels: [{ id: 'x', name: 'X', sources: [A], ...c }] }));
    const tail = 'control characters, line separators and unpaired surrogates are not allowed';
    assert.equal(
      one({ name: 'Innocent\u2028http://attacker.example/steal.ts\u2028#EXTINF:-1,Fake' }),
      `channels[0].name has U+2028 (a line separator) at character 9: ${tail}`,
    );
    assert.equal(
      one({ name: 'a\u2029b' }),
      `channels[0].name has U+2029 (a line separator) at character 2: ${tail}`,
    );
    assert.equal(
      one({ name: 'lone \ud800 x' }),
      `channels[0].name has U+D800 (half of a surrogate pair) at character 6: ${tail}`,
    );
    assert.equal(
      one({ name: 'lone \udc00' }),
      `channels[0].name has U+DC00 (half of a surrogate pair) at character 6: ${tail}`,
    );
    for (const [ch, hex] of [
      ['\u0000', '0000'],
      ['\v', '000B'],
      ['\f', '000C'],
      ['\r', '000D'],
      ['\u007f', '007F'],
      ['\u0085', '0085'],
      ['\u009b', '009B'],
    ])
      assert.equal(
        one({ name: `a${ch}b` }),
        `channels[0].name has U+${hex} (a control character) at character 2: ${tail}`,
      );
    assert.equal(
      one({ group: 'G\u0085' }),
      `channels[0].group has U+0085 (a control character) at character 2: ${tail}`,
    );
    assert.equal(
      one({ logo: 'http://l/\n.png' }),
      `channels[0].logo has U+000A (a control character) at character 10: ${tail}`,
    );
    assert.equal(
      one({ tvg_id: '\u2028' }),
      `channels[0].tvg_id has U+2028 (a line separator) at character 1: ${tail}`,
    );
    const ok = parseJsonCatalog(
      JSON.stringify({
        channels: [{ id: 'x', name: ' Ünïcode 📺 \u00a0ok\n', group: 'G\t✓', sources: [A] }],
      }),
    );
    assert.equal(
      ok.error,
      null,
      'a pair of surrogates (an emoji), a tab and other printable text pass; the name is trimmed',
    );
    assert.equal(ok.catalog.channels[0]!.name, 'Ünïcode 📺 \u00a0ok');
  });
});

describe('JSON catalog', () => {
  test('a valid file', () => {
    const r = parseJsonCatalog(
      JSON.stringify({
        channels: [
          {
            id: 'sports-1',
            number: 7,
            name: 'Sports 1',
            group: 'Sports',
            logo: 'http://l/s1.png',
            tvg_id: 'sports1.es',
            sources: [`acestream://${A}`, `infohash:${C}`, 'http://h/x.m3u8'],
          },
          { id: 'news', name: 'News', sources: [B] },
        ],
      }),
    );
    assert.equal(r.error, null);
    const [s, n] = r.catalog!.channels;
    assert.equal(s!.number, '7');
    assert.equal(s!.tvgId, 'sports1.es');
    assert.deepEqual(
      s!.sources.map((x) => x.kind),
      ['id', 'infohash', 'url'],
    );
    assert.equal(n!.number, '8', 'a channel without a number gets the next one after the highest');
    assert.equal(n!.group, null);
  });
  test('each mistake has its sentence', () => {
    const one = (c: unknown): string => error(JSON.stringify({ channels: [c] }));
    assert.match(error('{nope'), /^it is neither JSON \(.*\) nor an M3U playlist \(#EXTM3U first\)$/);
    assert.equal(error('{"chans":[]}'), 'it must be a JSON object with a "channels" array');
    assert.equal(
      one({ id: 'Bad Id', name: 'x', sources: [A] }),
      'channels[0].id must be 1 to 64 lower-case letters, digits, - or _ (starting with a letter or digit)',
    );
    assert.equal(
      one({ id: 'x', name: '', sources: [A] }),
      'channels[0].name must be a non-empty string of at most 512 characters',
    );
    assert.equal(one({ id: 'x', name: 'X', sources: [] }), 'channels[0].sources must be a non-empty array');
    assert.equal(
      one({ id: 'x', name: 'X', sources: [A, 'nope'] }),
      'channels[0].sources[1]: "nope" is not a source (acestream://<id>, a 40-hex id, infohash:<hash> or an http(s):// URL)',
    );
    assert.equal(
      one({ id: 'x', name: 'X', number: 'seven', sources: [A] }),
      'channels[0].number must be a guide number such as 7 or "7.1"',
    );
    assert.equal(
      error(
        JSON.stringify({
          channels: [
            { id: 'x', name: 'X', sources: [A] },
            { id: 'x', name: 'Y', sources: [B] },
          ],
        }),
      ),
      'channels[1]: channel id "x" is used twice',
    );
    assert.equal(
      error(
        JSON.stringify({
          channels: [
            { id: 'x', name: 'X', number: 3, sources: [A] },
            { id: 'y', name: 'Y', number: '3', sources: [B] },
          ],
        }),
      ),
      'channels[1]: guide number 3 is already channel "x"\'s',
    );
  });
  test('guide numbers are compared and kept in canonical form: 07, 7.0 and 7 are one number', () => {
    const pair = (second: unknown, first: unknown = 7) =>
      JSON.stringify({
        channels: [
          { id: 'x', name: 'X', number: first, sources: [A] },
          { id: 'y', name: 'Y', number: second, sources: [B] },
        ],
      });
    for (const n of ['07', '7.0', '007.00', 7.0, '7'])
      assert.equal(error(pair(n)), 'channels[1]: guide number 7 is already channel "x"\'s', String(n));
    assert.equal(error(pair('7.01', '7.1')), 'channels[1]: guide number 7.1 is already channel "x"\'s');
    const kept = (n: string) => parseJsonCatalog(pair(n)).catalog?.channels[1]?.number;
    assert.equal(kept('08'), '8');
    assert.equal(kept('007.010'), '7.10');
    assert.equal(kept('7.10'), '7.10', 'a sub-number 10 is not 1');
    assert.equal(kept('7.2'), '7.2');
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1 tvg-chno="4",X\n${A}\n#EXTINF:-1 tvg-chno="04.0",Y\n${B}`),
      'line 4: guide number 4 is already channel "x"\'s',
    );
  });
});

describe('JSON catalog written back by the admin API', () => {
  // The file as an operator wrote it: notes of their own at the top level and in channels, keys in their order.
  const file = {
    comment: 'Edited by hand and through the API',
    channels: [
      { notes: 'first', id: 'sports', name: 'Sports', number: '07', sources: [A], x_provider: { id: 3 } },
      { id: 'news', number: 2, name: 'News', group: 'N', sources: [B], notes: 'replaced by a PUT' },
      { id: 'gone', number: 3, name: 'Gone', sources: [C], notes: 'deleted' },
    ],
    x_meta: [1, 2],
  };
  const channel = (text: string) => parseJsonCatalog(text).catalog!.channels;

  test('unknown keys stay in the file order; known fields are the catalog’s, canonical', () => {
    const before = JSON.stringify(file);
    const [sports, , gone] = channel(before);
    // The edit: news replaced (no group now), gone deleted, a new channel appended.
    const [news] = channel(
      JSON.stringify({ channels: [{ id: 'news', number: 2, name: 'News 2', sources: [C] }] }),
    );
    const [added] = channel(
      JSON.stringify({ channels: [{ id: 'added', number: 4, name: 'Added', sources: [A] }] }),
    );
    assert.equal(gone!.id, 'gone');
    const merged = mergeCatalogJson({ channels: [sports!, news!, added!] }, file);
    const expected = {
      comment: 'Edited by hand and through the API',
      channels: [
        {
          notes: 'first',
          id: 'sports',
          name: 'Sports',
          // The missing known fields go after the known field before them (the file has name before number).
          group: null,
          logo: null,
          tvg_id: null,
          number: '7',
          sources: [`acestream://${A}`],
          x_provider: { id: 3 },
        },
        {
          id: 'news',
          number: '2',
          name: 'News 2',
          group: null,
          logo: null,
          tvg_id: null,
          sources: [`acestream://${C}`],
          notes: 'replaced by a PUT',
        },
        {
          id: 'added',
          number: '4',
          name: 'Added',
          group: null,
          logo: null,
          tvg_id: null,
          sources: [`acestream://${A}`],
        },
      ],
      x_meta: [1, 2],
    };
    // As text: the key order counts.
    assert.equal(JSON.stringify(merged), JSON.stringify(expected));
    const text = renderCatalogJson({ channels: [sports!, news!, added!] }, file);
    assert.equal(
      text,
      `${JSON.stringify(expected, null, 2)}\n`,
      'written as before: 2 spaces, a final newline',
    );
    assert.equal(JSON.stringify(file), before, 'the file’s JSON is not changed');
    // What is written reads back as the same catalog.
    assert.deepEqual(parseJsonCatalog(text).catalog!.channels, [sports, news, added]);
  });

  test('a missing known field goes after the known field before it', () => {
    const raw = { id: 'a', sources: [A], x: 1, name: 'A' };
    const merged = mergeCatalogJson(
      { channels: channel(JSON.stringify({ channels: [raw] })) },
      { channels: [raw] },
    );
    assert.deepEqual(Object.keys((merged.channels as object[])[0]!), [
      'id',
      'number',
      'sources',
      'x',
      'name',
      'group',
      'logo',
      'tvg_id',
    ]);
  });

  test('without a file (or not a JSON object) only the known fields are written', () => {
    const catalog = { channels: channel(JSON.stringify(file)) };
    const plain = `${JSON.stringify({ channels: catalog.channels.map(channelJson) }, null, 2)}\n`;
    for (const none of [undefined, null, 'text', [file], { channels: 'nope' }])
      assert.equal(renderCatalogJson(catalog, none), plain, JSON.stringify(none));
  });

  test('a key named __proto__ is kept as a key, not taken as a prototype', () => {
    const text =
      '{"__proto__": {"polluted": true}, "channels": [{"id": "a", "name": "A", "sources": ["' +
      A +
      '"], "__proto__": 5}]}';
    const doc = JSON.parse(text);
    const out = renderCatalogJson({ channels: channel(text) }, doc);
    const back = JSON.parse(out);
    assert.deepEqual(Object.keys(back), ['__proto__', 'channels']);
    assert.deepEqual(back.__proto__, { polluted: true });
    assert.deepEqual(Object.keys(back.channels[0]).at(-1), '__proto__');
    assert.equal(back.channels[0].__proto__, 5);
    assert.equal(({} as { polluted?: boolean }).polluted, undefined);
  });
});

describe('M3U catalog', () => {
  test('entries sharing a tvg-id (else a name) make one channel, sources in file order', () => {
    const text = [
      '#EXTM3U url-tvg="http://epg/x.xml"',
      `#EXTINF:-1 tvg-id="sports1.es" tvg-name="Sports 1" tvg-logo="http://l/1.png" group-title="Sports" tvg-chno="5",Sports 1 HD`,
      `acestream://${A}`,
      '#EXTVLCOPT:network-caching=1000',
      `#EXTINF:-1 tvg-id="sports1.es",Sports 1 (backup)`,
      B,
      '',
      `#EXTINF:-1 tvg-id="sports1.es" group-title="Other",Sports 1 (third)`,
      `infohash:${C}`,
      '#EXTINF:-1,News, Today',
      'http://h/news.ts',
      '#EXTINF:-1 tvg-chno="9",News, Today',
      'http://h/news2.m3u8',
    ].join('\r\n');
    const r = parseM3u(text);
    assert.equal(r.error, null);
    const chans = r.catalog!.channels;
    assert.equal(chans.length, 2);
    const s = chans[0]!;
    assert.equal(s.id, 'sports1-es');
    assert.equal(s.name, 'Sports 1 HD', 'the first entry names the channel');
    assert.equal(s.number, '5');
    assert.equal(s.group, 'Sports', 'later entries only fill in what the first left out');
    assert.equal(s.logo, 'http://l/1.png');
    assert.equal(s.tvgId, 'sports1.es');
    assert.deepEqual(s.sources.map(sourceText), [
      `acestream://${A}`,
      `acestream://${B.toLowerCase()}`,
      `infohash:${C}`,
    ]);
    const n = chans[1]!;
    assert.equal(n.name, 'News, Today', 'the name is everything after the first comma outside quotes');
    assert.equal(n.id, 'news-today');
    assert.equal(n.number, '9', 'a later entry supplies the missing tvg-chno');
    assert.equal(n.sources.length, 2);
  });
  test('ids are slugs, made unique', () => {
    assert.equal(slug('Canal+ Fútbol HD'), 'canal-futbol-hd');
    assert.equal(slug('!!!'), 'channel');
    const r = parseM3u(['#EXTM3U', '#EXTINF:-1,A b', A, '#EXTINF:-1,a-B', B].join('\n'));
    assert.deepEqual(
      r.catalog!.channels.map((c) => c.id),
      ['a-b', 'a-b-2'],
    );
  });
  test('each malformed line is named', () => {
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1 tvg-id="x,X\n${A}`),
      'line 2: #EXTINF attribute tvg-id has no closing quote',
    );
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1 tvg-id=x,X\n${A}`),
      'line 2: #EXTINF attribute tvg-id needs a quoted value (tvg-id="...")',
    );
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1 tvg-id="x"\n${A}`),
      'line 2: #EXTINF has no comma before the channel name',
    );
    assert.equal(error(`#EXTM3U\n\n${A}`), 'line 3: a source line needs an #EXTINF line before it');
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1,X\n#EXTINF:-1,Y\n${A}`),
      'line 2: #EXTINF has no source line after it',
    );
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1,X\n${A}\n#EXTINF:-1,Y`),
      'line 4: #EXTINF has no source line after it',
    );
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1,X\n${A}\n#EXTINF:-1,Y\nrtmp://x/y`),
      'line 5: "rtmp://x/y" is not a source (acestream://<id>, a 40-hex id, infohash:<hash> or an http(s):// URL)',
    );
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1,\n${A}`),
      'line 2: #EXTINF names no channel (no name after the comma, no tvg-name)',
    );
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1 tvg-chno="x1",X\n${A}`),
      'line 2: tvg-chno "x1" is not a guide number such as 7 or 7.1',
    );
    assert.equal(
      error(`#EXTM3U\n#EXTINF:-1 tvg-chno="4",X\n${A}\n#EXTINF:-1 tvg-chno="4",Y\n${B}`),
      'line 4: guide number 4 is already channel "x"\'s',
    );
  });
});

describe('start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-catalog-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  test('a malformed M3U line stops start-up in one sentence naming the file and the line', () => {
    const file = join(dir, 'bad.m3u');
    writeFileSync(file, `#EXTM3U\n#EXTINF:-1 tvg-id="x",X\n${A}\n#EXTINF:-1 group-title="y,Y\n${B}\n`);
    const r = runCli(['--channels', file]);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `The channel file ${file} is invalid: line 4: #EXTINF attribute group-title has no closing quote.\n`,
    );
  });
  test('a gateway started on an M3U with 3 entries of one tvg-id serves 1 channel with 3 sources', async () => {
    const file = join(dir, 'three.m3u');
    writeFileSync(
      file,
      [
        '#EXTM3U',
        `#EXTINF:-1 tvg-id="sports1.tv" tvg-chno="7",Sports 1`,
        `acestream://${A}`,
        `#EXTINF:-1 tvg-id="sports1.tv",Sports 1 backup`,
        `infohash:${C}`,
        `#EXTINF:-1 tvg-id="sports1.tv",Sports 1 web`,
        'http://127.0.0.1:9/sports1.ts',
        '',
      ].join('\n'),
    );
    const gw = await startGateway([
      '--engine',
      'http://127.0.0.1:9',
      '--channels',
      file,
      '--api-key',
      'k-for-tests',
    ]);
    try {
      const r = await getJson(`${gw.url}/api/v1/channels`, { headers: { 'X-API-Key': 'k-for-tests' } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.channels, [
        {
          id: 'sports1-tv',
          number: '7',
          name: 'Sports 1',
          group: null,
          logo: null,
          tvg_id: 'sports1.tv',
          sources: [`acestream://${A}`, `infohash:${C}`, 'http://127.0.0.1:9/sports1.ts'],
        },
      ]);
    } finally {
      await gw.stop();
    }
  });
  test('a source with credentials stops start-up in one sentence that does not repeat them', () => {
    const file = join(dir, 'creds.json');
    writeFileSync(
      file,
      JSON.stringify({ channels: [{ id: 'x', name: 'X', sources: ['http://user:hunter2@10.0.0.5/x.ts'] }] }),
    );
    const r = runCli(['--channels', file]);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `The channel file ${file} is invalid: channels[0].sources[0]: "http://***@10.0.0.5/x.ts" carries credentials, which are not supported.\n`,
    );
  });
  test('a missing file is one sentence too', () => {
    const file = join(dir, 'missing.json');
    const r = runCli(['--channels', file]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `Cannot read the channel file ${file} (ENOENT).\n`);
  });
});
