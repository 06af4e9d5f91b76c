// The exports media servers and IPTV apps read: /playlist.m3u (M3U Plus, absolute URLs that play) and
// the HDHomeRun tuner (discover.json with a DeviceID that passes libhdhomerun's check digit, lineup.json
// whose URLs play, lineup_status.json, device.xml, POST lineup.post), and the tuner limit (503).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { TokenGate, tokenTable } from '../src/access/token-gate.js';
import type { Catalog } from '../src/channels/catalog.js';
import { parseM3u } from '../src/channels/catalog.js';
import { deviceIdFor, isValidDeviceId, xml } from '../src/channels/exports.js';
import { loadConfig } from '../src/config/load.js';
import type { GatewayConfig } from '../src/config/types.js';
import { ExportRoutes } from '../src/control/exports.js';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { refusal } from './support/refused.js';
import { checkTs, openTs } from './support/ts-reader.js';

const DEADLINE_MS = 30_000;

/** libhdhomerun's hdhomerun_discover_validate_device_id, written out independently of the gateway's. */
function libhdhomerunValid(hex: string): boolean {
  const lut = [0xa, 0x5, 0xf, 0x6, 0x7, 0xc, 0x1, 0xb, 0x9, 0x2, 0x8, 0xd, 0x4, 0x3, 0xe, 0x0];
  const id = Number.parseInt(hex, 16);
  let c = 0;
  c ^= lut[(id >>> 28) & 0xf]!;
  c ^= (id >>> 24) & 0xf;
  c ^= lut[(id >>> 20) & 0xf]!;
  c ^= (id >>> 16) & 0xf;
  c ^= lut[(id >>> 12) & 0xf]!;
  c ^= (id >>> 8) & 0xf;
  c ^= lut[(id >>> 4) & 0xf]!;
  c ^= id & 0xf;
  return /^[0-9A-F]{8}$/.test(hex) && c === 0;
}

/** What Plex, Jellyfin and Emby read from discover.json and each lineup entry. */
const DISCOVER_FIELDS = {
  FriendlyName: 'string',
  ModelNumber: 'string',
  FirmwareName: 'string',
  FirmwareVersion: 'string',
  DeviceID: 'string',
  DeviceAuth: 'string',
  BaseURL: 'string',
  LineupURL: 'string',
  TunerCount: 'number',
};
const LINEUP_FIELDS = { GuideNumber: 'string', GuideName: 'string', URL: 'string' };

function hasFields(obj: Record<string, unknown>, fields: Record<string, string>): void {
  for (const [k, type] of Object.entries(fields)) assert.equal(typeof obj[k], type, `${k} is a ${type}`);
}

describe('DeviceID check digit', () => {
  test("generated ids pass libhdhomerun's check; any changed digit fails it", () => {
    for (let i = 0; i < 200; i++) {
      const id = deviceIdFor(`seed-${i}`);
      assert.ok(libhdhomerunValid(id), id);
      assert.ok(isValidDeviceId(id), id);
      const flipped = id.slice(0, 7) + ((Number.parseInt(id[7]!, 16) + 1) % 16).toString(16).toUpperCase();
      assert.equal(libhdhomerunValid(flipped), false, flipped);
      assert.equal(isValidDeviceId(flipped), false, flipped);
    }
    assert.equal(deviceIdFor('x'), deviceIdFor('x'), 'stable for one address');
    assert.notEqual(deviceIdFor('x'), deviceIdFor('y'));
  });
});

describe('export routes in-process', () => {
  const catalog = parseM3u(
    `#EXTM3U\n#EXTINF:-1 tvg-id="s1" tvg-logo="http://l/1.png" group-title="Sports" tvg-chno="5",Sports "One"\n${'a'.repeat(40)}\n`,
  ).catalog!;
  const config = (extra: string[] = []): GatewayConfig =>
    loadConfig(['--docker', 'off', ...extra], {}).config;
  const get = (r: ExportRoutes, path: string, query = '', host = 'tv.lan:8000') =>
    r.handle({ method: 'GET', path, query, headers: { host } });
  test('absolute URLs from --public-url, else the Host; ?format=hls', () => {
    const byHost = new ExportRoutes(config(), () => catalog);
    const m3u = get(byHost, '/playlist.m3u');
    assert.equal(m3u.status, 200);
    assert.equal(
      m3u.body,
      `#EXTM3U\n#EXTINF:-1 tvg-id="s1" tvg-name="Sports 'One'" tvg-logo="http://l/1.png" group-title="Sports" tvg-chno="5",Sports 'One'\nhttp://tv.lan:8000/channel/s1.ts\n`,
    );
    assert.match(
      get(byHost, '/playlist.m3u', 'format=hls').body,
      /\nhttp:\/\/tv\.lan:8000\/channel\/s1\.m3u8\n$/,
    );
    assert.equal(get(byHost, '/playlist.m3u', 'format=mp4').status, 400);
    for (const bad of ['evil.example/x?', 'evil.com:99999', 'a..b', '-a.com']) {
      assert.equal(get(byHost, '/playlist.m3u', '', bad).status, 400, `a Host that is not a host: ${bad}`);
      assert.equal(get(byHost, '/discover.json', '', bad).status, 400, `discover.json, Host ${bad}`);
    }
    const pub = new ExportRoutes(config(['--public-url', 'https://tv.example.com/gw/']), () => catalog);
    assert.match(get(pub, '/playlist.m3u').body, /\nhttps:\/\/tv\.example\.com\/gw\/channel\/s1\.ts\n$/);
    const d = JSON.parse(get(pub, '/discover.json').body);
    assert.equal(d.BaseURL, 'https://tv.example.com/gw');
    assert.equal(d.LineupURL, 'https://tv.example.com/gw/lineup.json');
  });
  test('TunerCount is --tuner-count, else --max-streams', () => {
    assert.equal(
      JSON.parse(get(new ExportRoutes(config(['--max-streams', '12']), () => catalog), '/discover.json').body)
        .TunerCount,
      12,
    );
    assert.equal(
      JSON.parse(get(new ExportRoutes(config(['--tuner-count', '3']), () => catalog), '/discover.json').body)
        .TunerCount,
      3,
    );
  });
  test("under a token, TunerCount is at most the token's max_clients", () => {
    // Plex plans recordings by TunerCount: a second tuner the token cannot open fails the recording.
    const gate = new TokenGate(
      tokenTable([
        { token: 'one-client', name: 'one', maxClients: 1, channels: null },
        { token: 'many-clients', name: 'many', maxClients: 50, channels: null },
        { token: 'unbounded', name: 'any', maxClients: null, channels: null },
      ]),
    );
    const routes = new ExportRoutes(config(['--tuner-count', '4']), () => catalog, gate);
    const tuners = (path: string, query = '') => JSON.parse(get(routes, path, query).body).TunerCount;
    assert.equal(tuners('/hdhr/one-client/discover.json'), 1);
    assert.equal(tuners('/discover.json', 'token=one-client'), 1);
    assert.equal(tuners('/hdhr/many-clients/discover.json'), 4, 'never more than --tuner-count');
    assert.equal(tuners('/hdhr/unbounded/discover.json'), 4);
    assert.match(get(routes, '/hdhr/one-client/device.xml').body, /<friendlyName>Shardcast<\/friendlyName>/);
  });
});

/** Every line break some M3U reader splits on: CR, LF, VT, FF, FS/GS/RS, NEL, LS, PS (Python's splitlines). */
const ANY_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;
/** Control characters (C0, DEL, C1), line and paragraph separators, unpaired surrogates. */
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const INJECTION =
  'Innocent\u2028http://attacker.example/steal.ts\u2029#EXTINF:-1,Fake\u0085x\vy\fz\u0000\u001b\u007f\u009bw\ra';

describe('exports are one line per field, well-formed UTF-8', () => {
  // Built by hand: the catalog refuses these characters in JSON, but the exports must hold whatever they get.
  const catalog: Catalog = {
    channels: [
      {
        id: 'evil',
        number: '1',
        name: `${INJECTION} lone \ud800 high, lone \udc00 low, pair 📺`,
        group: 'G\u2028#EXTINF:-1,Group',
        logo: 'http://l/\u0085x.png',
        tvgId: 'e\nvil',
        sources: [{ kind: 'id', hex: 'a'.repeat(40) }],
      },
    ],
  };
  const routes = new ExportRoutes(loadConfig(['--docker', 'off'], {}).config, () => catalog);
  const get = (path: string) =>
    routes.handle({ method: 'GET', path, query: '', headers: { host: 'tv.lan' } });
  test('playlist.m3u: control characters and line separators become spaces, unpaired surrogates U+FFFD', () => {
    const body = get('/playlist.m3u').body as string;
    assert.deepEqual(body.split(ANY_BREAK), [
      '#EXTM3U',
      '#EXTINF:-1 tvg-id="e vil" tvg-name="Innocent http://attacker.example/steal.ts #EXTINF:-1,Fake x y z w a lone \ufffd high, lone \ufffd low, pair 📺" tvg-logo="http://l/ x.png" group-title="G #EXTINF:-1,Group" tvg-chno="1",Innocent http://attacker.example/steal.ts #EXTINF:-1,Fake x y z w a lone \ufffd high, lone \ufffd low, pair 📺',
      'http://tv.lan/channel/evil.ts',
      '',
    ]);
    assert.equal(
      UNSAFE.test(body.replace(/\n/g, '')),
      false,
      'no unsafe character but the LF ending each line',
    );
  });
  test('playlist.m3u: a name with quotes and commas reads whole by the rule of Kodi IPTV Simple', () => {
    // pvr.iptvsimple PlaylistLoader::ParseIntoChannel: the name starts after the first comma following
    // the line's last `"` when only spaces come between them, else after the line's last comma.
    const kodiName = (line: string): string => {
      let comma = line.lastIndexOf(',');
      const quote = line.lastIndexOf('"');
      if (quote >= 0) {
        const rest = line.slice(quote + 1);
        if (rest.trim().startsWith(',')) comma = quote + rest.indexOf(',') + 1;
      }
      return line.slice(comma + 1).trim();
    };
    for (const name of ['Sports "1", HD', 'A "b" c, d', 'News, "Live"', 'Plain, comma', '"Quoted"']) {
      const one: Catalog = {
        channels: [
          {
            id: 'q',
            number: '1',
            name,
            group: 'G, H',
            logo: null,
            tvgId: 't',
            sources: catalog.channels[0]!.sources,
          },
        ],
      };
      const r = new ExportRoutes(loadConfig(['--docker', 'off'], {}).config, () => one);
      const body = r.handle({ method: 'GET', path: '/playlist.m3u', query: '', headers: { host: 'tv.lan' } })
        .body as string;
      const line = body.split('\n')[1]!;
      assert.equal(kodiName(line), name.replace(/"/g, "'"), line);
    }
  });
  test('lineup.json: GuideName is one line of well-formed text', () => {
    const body = get('/lineup.json').body as string;
    assert.equal(UNSAFE.test(body), false, 'not even as a JSON escape');
    assert.equal(
      JSON.parse(body)[0].GuideName,
      'Innocent http://attacker.example/steal.ts #EXTINF:-1,Fake x y z w a lone \ufffd high, lone \ufffd low, pair 📺',
    );
  });
  test('XML text: characters XML 1.0 forbids become U+FFFD; tab, CR, LF and markup are escaped or kept', () => {
    assert.equal(
      xml('a\u0000b\u001bc\ud800d\uffffe\tf<&>"\''),
      'a\ufffdb\ufffdc\ufffdd\ufffde\tf&#60;&#38;&#62;&#34;&#39;',
    );
  });
});

describe('exports over HTTP of an M3U catalog holding control characters and line separators', () => {
  let gw: GatewayProc;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sc-exports-lsep-'));
    const file = join(dir, 'channels.m3u');
    // An M3U catalog is read line by line (LF); every other break character stays inside the name.
    writeFileSync(
      file,
      `#EXTM3U\n#EXTINF:-1 tvg-id="lsep" group-title="G\u2028x",${INJECTION}\n${'2'.repeat(40)}\n`,
    );
    gw = await startGateway(['--engine', 'http://127.0.0.1:9', '--channels', file]);
  });
  after(async () => {
    await gw?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  test('playlist.m3u and lineup.json: one line per entry, well-formed UTF-8, no injected URL line', async () => {
    const r = await fetch(`${gw.url}/playlist.m3u`);
    assert.equal(r.status, 200);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(await r.arrayBuffer());
    const name = 'Innocent http://attacker.example/steal.ts #EXTINF:-1,Fake x y z w a';
    assert.deepEqual(text.split(ANY_BREAK), [
      '#EXTM3U',
      `#EXTINF:-1 tvg-id="lsep" tvg-name="${name}" group-title="G x" tvg-chno="1",${name}`,
      `${gw.url}/channel/lsep.ts`,
      '',
    ]);
    const l = await fetch(`${gw.url}/lineup.json`);
    const lineup = new TextDecoder('utf-8', { fatal: true }).decode(await l.arrayBuffer());
    assert.equal(JSON.parse(lineup)[0].GuideName, name);
  });
});

describe('exports over HTTP', () => {
  let sim: EngineSim;
  let gw: GatewayProc;
  let dir: string;
  before(async () => {
    sim = await startEngineSim({ port: 0 });
    dir = mkdtempSync(join(tmpdir(), 'sc-exports-'));
    const file = join(dir, 'channels.m3u');
    const entries = ['one', 'two', 'three'].map(
      (name, i) =>
        `#EXTINF:-1 tvg-id="${name}.tv" group-title="G" tvg-chno="${i + 1}",Channel ${name}\n${String(i + 1).repeat(40)}`,
    );
    writeFileSync(file, `#EXTM3U\n${entries.join('\n')}\n`);
    gw = await startGateway([
      '--engine',
      sim.url,
      '--channels',
      file,
      '--tuner-count',
      '2',
      '--grace-seconds',
      '1',
    ]);
  });
  after(async () => {
    await gw?.stop();
    await sim?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('playlist.m3u lists every channel with M3U Plus attributes and URLs that play', async () => {
    const r = await fetch(`${gw.url}/playlist.m3u`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /mpegurl/);
    const lines = (await r.text()).trim().split('\n');
    assert.equal(lines[0], '#EXTM3U');
    const urls = lines.filter((l) => !l.startsWith('#'));
    assert.deepEqual(
      urls,
      ['one', 'two', 'three'].map((n) => `${gw.url}/channel/${n}-tv.ts`),
    );
    assert.match(
      lines[1]!,
      /^#EXTINF:-1 tvg-id="one.tv" tvg-name="Channel one" group-title="G" tvg-chno="1",Channel one$/,
    );
    for (const url of urls.slice(0, 2)) {
      const c = openTs(url);
      assert.ok(await c.waitBytes(64 * 1024, DEADLINE_MS), `${url} plays`);
      const got = await c.close();
      assert.equal(checkTs(got.bytes).syncErrors, 0);
    }
    const hls = await (await fetch(`${gw.url}/playlist.m3u?format=hls`)).text();
    assert.ok(hls.includes(`${gw.url}/channel/one-tv.m3u8\n`));
  });

  test('HDHomeRun: discover, lineup, status, device.xml, lineup.post', async () => {
    const d = await getJson(`${gw.url}/discover.json`);
    assert.equal(d.status, 200);
    hasFields(d.body, DISCOVER_FIELDS);
    assert.ok(libhdhomerunValid(d.body.DeviceID), `DeviceID ${d.body.DeviceID} passes the check digit`);
    assert.equal(d.body.BaseURL, gw.url);
    assert.equal(d.body.LineupURL, `${gw.url}/lineup.json`);
    assert.equal(d.body.TunerCount, 2);
    const l = await getJson(d.body.LineupURL);
    assert.equal(l.body.length, 3);
    for (const e of l.body) hasFields(e, LINEUP_FIELDS);
    assert.deepEqual(
      l.body.map((e: any) => [e.GuideNumber, e.GuideName]),
      [
        ['1', 'Channel one'],
        ['2', 'Channel two'],
        ['3', 'Channel three'],
      ],
    );
    const s = await getJson(`${gw.url}/lineup_status.json`);
    assert.deepEqual(s.body, { ScanInProgress: 0, ScanPossible: 1, Source: 'Cable', SourceList: ['Cable'] });
    const x = await fetch(`${gw.url}/device.xml`);
    const xml = await x.text();
    assert.match(x.headers.get('content-type') ?? '', /xml/);
    assert.ok(xml.includes(`<serialNumber>${d.body.DeviceID}</serialNumber>`));
    assert.ok(xml.includes(`<URLBase>${gw.url}</URLBase>`));
    const post = await fetch(`${gw.url}/lineup.post?scan=start`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 200);
    assert.equal((await fetch(`${gw.url}/discover.json`, { method: 'POST' })).status, 405);
  });

  test('lineup URLs play, and one tuner more than TunerCount is a 503', async () => {
    const l = (await getJson(`${gw.url}/lineup.json`)).body;
    const tuned = [openTs(l[0].URL), openTs(l[1].URL)];
    for (const c of tuned) assert.ok(await c.waitBytes(64 * 1024, DEADLINE_MS), 'lineup URL plays');
    const third = await refusal(l[2].URL);
    assert.equal(third.status, 503);
    assert.equal(third.body.error.code, 'SC_ERR_TUNER_LIMIT');
    assert.ok(third.headers.get('retry-after'));
    await Promise.all(tuned.map((c) => c.close()));
    // Once a tuner is free again (grace period over), the third channel plays.
    const freed = await waitFor(
      async () => (await getJson(`${gw.url}/api/v1/streams`)).body.streams.length < 2,
      DEADLINE_MS,
      200,
    );
    assert.ok(freed);
    const c = openTs(l[2].URL);
    assert.ok(await c.waitBytes(64 * 1024, DEADLINE_MS), 'the freed tuner plays');
    await c.close();
  });
});
