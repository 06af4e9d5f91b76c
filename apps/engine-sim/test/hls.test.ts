// The engine's own HLS: a live playlist over GOP-aligned segments cut from the same loop (RFC 8216).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readPid, TsDemuxer } from '@shardcast/mpegts';
import { type EngineSim, startEngineSim } from '../src/index.js';
import { CONTENT_ID, checkTs, getJson, readStream, strictlyIncreasing } from './helpers.js';

const VIDEO_PID = 0x100;

function parsePlaylist(text: string) {
  const lines = text.trim().split('\n');
  const tag = (name: string) => lines.find((l) => l.startsWith(`#${name}:`))?.slice(name.length + 2);
  const uris = lines.filter((l) => !l.startsWith('#'));
  const durations = lines.filter((l) => l.startsWith('#EXTINF:')).map((l) => Number.parseFloat(l.slice(8)));
  return {
    lines,
    uris,
    durations,
    target: Number(tag('EXT-X-TARGETDURATION')),
    seq: Number(tag('EXT-X-MEDIA-SEQUENCE')),
  };
}

describe('engine HLS', () => {
  let sim: EngineSim;
  let playlistUrl: string;
  before(async () => {
    sim = await startEngineSim({ port: 0 });
    const { body } = await getJson(`${sim.url}/ace/manifest.m3u8?id=${CONTENT_ID}&format=json&pid=hls`);
    playlistUrl = body.response.playback_url;
  });
  after(() => sim.close());

  it('serves a live media playlist: 6 segments of 2 s, constant target duration, no ENDLIST', async () => {
    const res = await fetch(playlistUrl);
    assert.equal(res.headers.get('content-type'), 'application/vnd.apple.mpegurl');
    const p = parsePlaylist(await res.text());
    assert.equal(p.lines[0], '#EXTM3U');
    assert.equal(p.target, 2);
    assert.deepEqual(p.durations, [2, 2, 2, 2, 2, 2]);
    assert.equal(p.uris.length, 6);
    for (const [i, u] of p.uris.entries()) assert.ok(u.endsWith(`/${p.seq + i}.ts`), u);
    assert.ok(!p.lines.includes('#EXT-X-ENDLIST'));
  });

  it('returns the same playlist directly without format=json', async () => {
    const res = await fetch(`${sim.url}/ace/manifest.m3u8?id=${CONTENT_ID}&pid=hls`);
    const p = parsePlaylist(await res.text());
    assert.equal(p.uris.length, 6);
    assert.ok(p.uris[0]!.includes(playlistUrl.split('/').at(-1)!.replace('.m3u8', '')));
  });

  it('segments start with PAT, PMT and a keyframe, and consecutive ones join seamlessly', async () => {
    const p = parsePlaylist(await (await fetch(playlistUrl)).text());
    const a = Buffer.from(await (await fetch(p.uris[4]!)).arrayBuffer());
    const b = Buffer.from(await (await fetch(p.uris[5]!)).arrayBuffer());
    for (const seg of [a, b]) {
      assert.equal(seg.length % 188, 0);
      assert.equal(readPid(seg, 0), 0);
      const d = new TsDemuxer();
      const events = d.push(seg).events;
      assert.equal(events[0]?.kind, 'pat');
      assert.equal(events[1]?.kind, 'pmt');
      const firstVideo = events.find((e) => e.kind === 'video');
      assert.ok(firstVideo?.kind === 'video' && firstVideo.randomAccess);
    }
    const joined = checkTs(Buffer.concat([a, b]), VIDEO_PID);
    assert.equal(joined.ccErrors, 0);
    assert.ok(strictlyIncreasing(joined.pcrs));
  });

  it('answers 404 for segments outside the window and for unknown sessions', async () => {
    const p = parsePlaylist(await (await fetch(playlistUrl)).text());
    const future = p.uris[5]!.replace(/\/(\d+)\.ts$/, (_, n: string) => `/${Number(n) + 5}.ts`);
    assert.equal((await readStream(future, 1000, 2000)).status, 404);
    const unknown = p.uris[0]!.replace(/\/ace\/c\/[0-9a-f]{40}\//, `/ace/c/${'0'.repeat(40)}/`);
    assert.equal((await readStream(unknown, 1000, 2000)).status, 404);
  });

  it('ends the playlist with EXT-X-ENDLIST after eofAfterS', async () => {
    const { body } = await getJson(
      `${sim.url}/ace/manifest.m3u8?id=${CONTENT_ID}&format=json&pid=end&eofAfterS=0`,
    );
    const text = await (await fetch(body.response.playback_url)).text();
    assert.ok(text.trim().endsWith('#EXT-X-ENDLIST'));
  });
});
