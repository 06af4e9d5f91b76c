// CORS: preflights on every route and the Access-Control-Allow-Origin of ordinary answers, for the default
// policy (players: any origin; admin API: none) and for --cors-origins lists; and the option's parsing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { loadConfig } from '../src/config/load.js';
import { ConfigError } from '../src/config/types.js';
import { type GatewayProc, startGateway } from './support/gateway-proc.js';
import { exchange, type RawRequest, type RawResponse, requestText } from './support/raw-http.js';

const ID = 'a8'.repeat(20);
const PANEL = 'https://panel.example';
const ELSEWHERE = 'https://elsewhere.example';
const PLAYER_METHODS = 'GET, HEAD, OPTIONS';
const READ_METHODS = 'GET, HEAD, OPTIONS';

/** Every route, with its kind and the methods it serves. */
const ROUTES: Array<{ path: string; kind: 'player' | 'admin'; allow: string }> = [
  { path: `/ace/getstream?id=${ID}`, kind: 'player', allow: PLAYER_METHODS },
  { path: `/ace/manifest.m3u8?id=${ID}`, kind: 'player', allow: PLAYER_METHODS },
  { path: `/ace/hls/${ID}/1.ts`, kind: 'player', allow: PLAYER_METHODS },
  { path: '/health', kind: 'player', allow: PLAYER_METHODS },
  { path: '/ready', kind: 'admin', allow: READ_METHODS },
  { path: '/metrics', kind: 'admin', allow: READ_METHODS },
  { path: '/metrics/performance', kind: 'admin', allow: READ_METHODS },
  { path: '/api/v1/streams', kind: 'admin', allow: READ_METHODS },
  { path: `/api/v1/streams/${ID}`, kind: 'admin', allow: 'GET, HEAD, DELETE, OPTIONS' },
  { path: '/api/v1/engines', kind: 'admin', allow: 'GET, HEAD, POST, OPTIONS' },
  { path: '/api/v1/engines/docker%3Aabc/drain', kind: 'admin', allow: 'POST, OPTIONS' },
  { path: '/', kind: 'admin', allow: READ_METHODS },
  { path: '/dashboard/', kind: 'admin', allow: READ_METHODS },
  { path: '/api/v1/live', kind: 'admin', allow: READ_METHODS },
  { path: '/api/v1/live/history', kind: 'admin', allow: READ_METHODS },
  { path: '/dashboard', kind: 'admin', allow: READ_METHODS },
  { path: '/dashboard/assets/main.js', kind: 'admin', allow: READ_METHODS },
  // Channels, their exports and the HDHomeRun tuner (answered without a catalog too: OPTIONS is the front door's).
  { path: '/channel/one.ts', kind: 'player', allow: PLAYER_METHODS },
  { path: '/channel/one.m3u8', kind: 'player', allow: PLAYER_METHODS },
  { path: '/channel/hls/ch-one/1.ts', kind: 'player', allow: PLAYER_METHODS },
  { path: '/playlist.m3u', kind: 'player', allow: PLAYER_METHODS },
  { path: '/epg.xml', kind: 'player', allow: PLAYER_METHODS },
  { path: '/discover.json', kind: 'player', allow: PLAYER_METHODS },
  { path: '/lineup.json', kind: 'player', allow: PLAYER_METHODS },
  { path: '/lineup_status.json', kind: 'player', allow: PLAYER_METHODS },
  { path: '/device.xml', kind: 'player', allow: PLAYER_METHODS },
  { path: '/lineup.post', kind: 'player', allow: 'POST, OPTIONS' },
  { path: '/hdhr/t0ken/lineup.json', kind: 'player', allow: PLAYER_METHODS },
  { path: '/hdhr/t0ken/discover.json', kind: 'player', allow: PLAYER_METHODS },
  { path: '/hdhr/t0ken/device.xml', kind: 'player', allow: PLAYER_METHODS },
  { path: '/hdhr/t0ken/lineup.post', kind: 'player', allow: 'POST, OPTIONS' },
  { path: '/api/v1/channels', kind: 'admin', allow: READ_METHODS },
  { path: '/api/v1/channels/one', kind: 'admin', allow: 'GET, HEAD, PUT, DELETE, OPTIONS' },
  { path: '/api/v1/channels/one/check', kind: 'admin', allow: 'POST, OPTIONS' },
];

let sim: EngineSim;
const gws: Record<'byDefault' | 'starAndPanel' | 'panelOnly', GatewayProc | undefined> = {
  byDefault: undefined,
  starAndPanel: undefined,
  panelOnly: undefined,
};

before(async () => {
  sim = await startEngineSim({ port: 0 });
  const base = ['--engine', sim.url, '--shards', '1'];
  gws.byDefault = await startGateway(base);
  gws.starAndPanel = await startGateway([...base, '--cors-origins', '*', '--cors-origins', PANEL]);
  gws.panelOnly = await startGateway(base, { SHARDCAST_CORS_ORIGINS: `${PANEL}/` });
});
after(async () => {
  await Promise.all(Object.values(gws).map((g) => g?.stop()));
  await sim?.close();
});

async function send(gw: GatewayProc, req: RawRequest): Promise<RawResponse> {
  const r = await exchange(gw.port, requestText(req), [req]);
  assert.equal(r.responses.length, 1, `${req.method} ${req.path}: no answer`);
  return r.responses[0]!;
}

function preflight(path: string, origin: string, method = 'GET'): RawRequest {
  return {
    method: 'OPTIONS',
    path,
    headers: {
      Host: 'gateway.test',
      Origin: origin,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'authorization, x-api-key, range, content-type',
    },
  };
}

/** What Access-Control-Allow-Origin a gateway should answer, or undefined for a refusal. */
type Expect = (kind: 'player' | 'admin', origin: string) => string | undefined;
const POLICIES: Array<[keyof typeof gws, Expect]> = [
  ['byDefault', (kind) => (kind === 'player' ? '*' : undefined)],
  ['starAndPanel', (kind, origin) => (kind === 'player' ? '*' : origin === PANEL ? PANEL : undefined)],
  ['panelOnly', (_kind, origin) => (origin === PANEL ? PANEL : undefined)],
];

describe('preflight on every route', () => {
  for (const [name, expected] of POLICIES) {
    test(`${name}: 204 with Allow; CORS headers only for allowed origins`, async () => {
      const gw = gws[name]!;
      for (const route of ROUTES) {
        for (const origin of [PANEL, ELSEWHERE]) {
          const method = route.allow.includes('DELETE') ? 'DELETE' : route.allow.split(', ')[0]!;
          const r = await send(gw, preflight(route.path, origin, method));
          const what = `${name} OPTIONS ${route.path} from ${origin}`;
          assert.equal(r.status, 204, what);
          assert.equal(r.headers.allow, route.allow, what);
          assert.equal(r.headers['content-length'], undefined, `${what}: a 204 has no Content-Length`);
          assert.equal(r.body.length, 0);
          const acao = expected(route.kind, origin);
          assert.equal(r.headers['access-control-allow-origin'], acao, what);
          if (acao === undefined) {
            assert.equal(r.headers['access-control-allow-methods'], undefined, what);
            continue;
          }
          assert.equal(r.headers['access-control-allow-methods'], route.allow, what);
          const allowed = (r.headers['access-control-allow-headers'] ?? '').toLowerCase().split(/,\s*/);
          for (const h of ['authorization', 'x-api-key', 'range', 'content-type'])
            assert.ok(allowed.includes(h), what);
          assert.equal(r.headers['access-control-max-age'], '86400', what);
          if (acao !== '*') assert.match(r.headers.vary ?? '', /Origin/, what);
        }
      }
    });
  }

  test('an unknown path answers OPTIONS 404 JSON', async () => {
    const r = await send(gws.byDefault!, preflight('/nope', ELSEWHERE));
    assert.equal(r.status, 404);
    assert.equal(JSON.parse(r.body.toString()).error.code, 'SC_ERR_NOT_FOUND');
  });
});

describe('ordinary answers', () => {
  const get = (path: string, origin: string): RawRequest => ({
    method: 'GET',
    path,
    headers: { Host: 'gateway.test', Origin: origin },
  });

  test('carry the Access-Control-Allow-Origin the policy gives, errors included', async () => {
    for (const [name, expected] of POLICIES) {
      for (const [path, kind] of [
        ['/health', 'player'],
        ['/ace/getstream?id=xyz', 'player'],
        ['/api/v1/engines', 'admin'],
        ['/api/v1/streams/unknown', 'admin'],
      ] as const) {
        for (const origin of [PANEL, ELSEWHERE]) {
          const r = await send(gws[name]!, get(path, origin));
          assert.equal(
            r.headers['access-control-allow-origin'],
            expected(kind, origin),
            `${name} GET ${path}`,
          );
        }
      }
    }
  });

  test('the admin API never answers a request without Origin with "*"', async () => {
    const r = await send(gws.starAndPanel!, { method: 'GET', path: '/api/v1/engines' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], undefined);
  });
});

describe('--cors-origins parsing', () => {
  test('origins are normalised; * and a list from the environment are accepted', () => {
    assert.deepEqual(loadConfig([], {}).config.corsOrigins, ['*']);
    assert.deepEqual(loadConfig(['--cors-origins', 'HTTPS://Panel.Example:443'], {}).config.corsOrigins, [
      PANEL,
    ]);
    assert.deepEqual(loadConfig([], { SHARDCAST_CORS_ORIGINS: `*, ${PANEL}` }).config.corsOrigins, [
      '*',
      PANEL,
    ]);
  });

  test('anything but an http(s) origin or * is refused with one sentence', () => {
    for (const bad of [
      'ftp://x.example',
      'https://a.example/path',
      'panel.example',
      'https://u:p@a.example',
    ]) {
      assert.throws(
        () => loadConfig(['--cors-origins', bad], {}),
        (err: unknown) => err instanceof ConfigError && /^Invalid --cors-origins/.test(err.message),
        bad,
      );
    }
  });
});
