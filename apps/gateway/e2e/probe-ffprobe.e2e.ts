/**
 * Stream insight against ffprobe: what the gateway's media probe reports for the engine-sim
 * stream in /api/v1/streams/<id> matches what ffprobe reads from the same bytes (the gateway's output)
 * and from the fixture file: codec, profile, level, resolution, frame rate, GOP, audio codec, sample rate
 * and channels. Run: eval "$(scripts/setup-e2e.sh)"; node scripts/test.mjs e2e probe
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { DEFAULT_FIXTURE, type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, getJson, startGateway, waitFor } from '../test/support/gateway-proc.js';
import { readTs } from '../test/support/ts-reader.js';

const exec = promisify(execFile);
const ID = '6'.repeat(40);
let sim: EngineSim;
let gw: GatewayProc;
let dir = '';

before(async () => {
  sim = await startEngineSim({ port: 0 });
  gw = await startGateway(['--engine', sim.url, '--shards', '2']);
  dir = mkdtempSync(join(tmpdir(), 'shardcast-probe-'));
});
after(async () => {
  await gw?.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface FfStream {
  codec_type: string;
  codec_name: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  r_frame_rate: string;
  sample_rate?: string;
  channels?: number;
}

async function ffprobeStreams(file: string): Promise<{ video: FfStream; audio: FfStream }> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', '-show_streams', '-of', 'json', file]);
  const streams = JSON.parse(stdout).streams as FfStream[];
  return {
    video: streams.find((s) => s.codec_type === 'video')!,
    audio: streams.find((s) => s.codec_type === 'audio')!,
  };
}

/** Frames between the last two keyframes ffprobe sees in the video stream. */
async function ffprobeGop(file: string): Promise<number> {
  const { stdout } = await exec(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'frame=key_frame', '-of', 'csv=p=0', file],
    { maxBuffer: 16 * 1024 * 1024 },
  );
  const keys = stdout
    .trim()
    .split('\n')
    .map((l, i) => (l.trim().startsWith('1') ? i : -1))
    .filter((i) => i >= 0);
  return keys.at(-1)! - keys.at(-2)!;
}

function rate(r: string): number {
  const [n, d] = r.split('/').map(Number);
  return Math.round((n! / d!) * 1000) / 1000;
}

test('the probe of the live stream matches ffprobe on the gateway output and on the fixture', async () => {
  const play = readTs(`${gw.url}/ace/getstream?id=${ID}`, 6000);
  let media: any = null;
  assert.ok(
    await waitFor(
      async () => {
        media = (await getJson(`${gw.url}/api/v1/streams/${ID}`)).body?.media;
        return media?.video?.gop_frames != null && media?.audio?.sample_rate != null;
      },
      10_000,
      250,
    ),
    `media probed: ${JSON.stringify(media)}`,
  );
  const r = await play;
  assert.equal(r.status, 200);
  const captured = join(dir, 'gateway-output.ts');
  writeFileSync(captured, r.bytes);

  for (const file of [captured, DEFAULT_FIXTURE]) {
    const ff = await ffprobeStreams(file);
    assert.equal(media.video.codec, ff.video.codec_name, `${file}: video codec`);
    assert.equal(media.video.profile, ff.video.profile, `${file}: profile`);
    assert.equal(media.video.level, (ff.video.level! / 10).toFixed(1), `${file}: level`);
    assert.equal(media.video.width, ff.video.width, `${file}: width`);
    assert.equal(media.video.height, ff.video.height, `${file}: height`);
    assert.equal(media.video.frame_rate, rate(ff.video.r_frame_rate), `${file}: frame rate`);
    assert.equal(media.audio.codec, ff.audio.codec_name, `${file}: audio codec`);
    assert.equal(media.audio.profile, ff.audio.profile, `${file}: audio profile`);
    assert.equal(media.audio.sample_rate, Number(ff.audio.sample_rate), `${file}: sample rate`);
    assert.equal(media.audio.channels, ff.audio.channels, `${file}: channels`);
  }
  assert.equal(media.video.gop_frames, await ffprobeGop(captured), 'GOP length');
});
