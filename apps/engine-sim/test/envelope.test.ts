// The AceStream HTTP API (docs/engine-api.md): start envelopes, validation, engine status and version.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type EngineSim, startEngineSim } from '../src/index.js';
import { CONTENT_ID, getJson, INFOHASH, type Json } from './helpers.js';

const HEX40 = /^[0-9a-f]{40}$/;

describe('start envelope', () => {
  let sim: EngineSim;
  before(async () => {
    sim = await startEngineSim({ port: 0 });
  });
  after(() => sim.close());

  it('answers /ace/getstream?id=...&format=json with the full envelope', async () => {
    const { status, body } = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&pid=p1`);
    assert.equal(status, 200);
    assert.equal(body.error, null);
    const r = body.response;
    assert.deepEqual(Object.keys(r).sort(), [
      'bitrate',
      'client_session_id',
      'command_url',
      'infohash',
      'is_encrypted',
      'is_live',
      'playback_session_id',
      'playback_url',
      'stat_url',
    ]);
    assert.match(r.playback_session_id, HEX40);
    assert.match(r.infohash, HEX40);
    assert.equal(r.playback_url, `${sim.url}/ace/r/${r.infohash}/${r.playback_session_id}`);
    assert.equal(r.stat_url, `${sim.url}/ace/stat/${r.infohash}/${r.playback_session_id}`);
    assert.equal(r.command_url, `${sim.url}/ace/cmd/${r.infohash}/${r.playback_session_id}`);
    assert.equal(r.is_live, 1);
    assert.equal(r.is_encrypted, 0);
    assert.equal(r.client_session_id, -1);
    assert.equal(r.bitrate, 141_000);
  });

  it('accepts infohash= and echoes it', async () => {
    const { body } = await getJson(`${sim.url}/ace/getstream?infohash=${INFOHASH.toUpperCase()}&format=json`);
    assert.equal(body.response.infohash, INFOHASH);
  });

  it('gives the same session to the same pid and a new one to a fresh pid', async () => {
    const q = `${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json`;
    const a = (await getJson(`${q}&pid=same`)).body.response;
    const b = (await getJson(`${q}&pid=same`)).body.response;
    const c = (await getJson(`${q}&pid=other`)).body.response;
    assert.equal(a.playback_session_id, b.playback_session_id);
    assert.notEqual(a.playback_session_id, c.playback_session_id);
  });

  it('tolerates file_indexes, seekback and unknown parameters', async () => {
    const { status, body } = await getJson(
      `${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&pid=x&file_indexes=0,2&seekback=30&foo=bar`,
    );
    assert.equal(status, 200);
    assert.equal(body.error, null);
  });

  it('rejects malformed ids and parameters with an error envelope', async () => {
    for (const q of ['id=xyz', `infohash=${'g'.repeat(40)}`, '', `id=${CONTENT_ID}&file_indexes=a`]) {
      const { status, body } = await getJson(`${sim.url}/ace/getstream?${q}&format=json`);
      assert.equal(status, 400, q);
      assert.equal(body.response, null);
      assert.equal(typeof body.error, 'string');
    }
  });

  it('answers /ace/manifest.m3u8?format=json with an HLS playback_url', async () => {
    const { body } = await getJson(`${sim.url}/ace/manifest.m3u8?id=${CONTENT_ID}&format=json&pid=hls`);
    const r = body.response;
    assert.equal(r.playback_url, `${sim.url}/ace/m/${r.infohash}/${r.playback_session_id}.m3u8`);
  });

  it('builds URLs from the Host the request came in on', async () => {
    const body = await new Promise<Json>((resolve, reject) => {
      const req = request(
        `${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json&pid=h`,
        { headers: { Host: 'engine.example:6878' } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve(JSON.parse(text)));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.match(body.response.playback_url, /^http:\/\/engine\.example:6878\/ace\/r\//);
  });

  it('answers get_status and get_version', async () => {
    const status = await getJson(`${sim.url}/server/api?api_version=3&method=get_status`);
    assert.equal(status.status, 200);
    assert.equal(typeof status.body.result.speed_down, 'number');
    assert.equal(typeof status.body.result.peers, 'number');
    const version = await getJson(`${sim.url}/webui/api/service?method=get_version`);
    assert.match(version.body.result.version, /^3\./);
    assert.equal(version.body.result.platform, 'linux');
  });
});

describe('advertised host', () => {
  let sim: EngineSim;
  before(async () => {
    sim = await startEngineSim({ port: 0, advertisedHost: 'acestream:6878' });
  });
  after(() => sim.close());

  it('puts the configured host into every URL', async () => {
    const { body } = await getJson(`${sim.url}/ace/getstream?id=${CONTENT_ID}&format=json`);
    for (const key of ['playback_url', 'stat_url', 'command_url']) {
      assert.match(body.response[key], /^http:\/\/acestream:6878\/ace\//);
    }
  });
});
