// An audio-only MPEG-TS stream (a radio station: a PMT with one AAC stream and no video) plays: every audio
// PES start is a point to join at and to cut HLS segments at. Before, the ingest waited for a video
// keyframe that never comes, and every player got 504 SC_ERR_OPEN_TIMEOUT.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildPatPacket, buildPmtPacket, readPid, TS_PACKET_SIZE } from '@shardcast/mpegts';
import { type GatewayProc, startGateway } from './support/gateway-proc.js';
import { checkTs, openTs } from './support/ts-reader.js';

const PMT_PID = 0x1000;
const AUDIO_PID = 0x101;
const STREAM_TYPE_AAC_ADTS = 0x0f;
/** One audio frame per packet, 50 a second (20 ms of audio each). */
const FRAMES_PER_SECOND = 50;
const BATCH_MS = 100;
const DEADLINE_MS = 30_000;

/** A radio station: PAT and PMT every batch, then one AAC frame per packet with PTS and PCR. */
class RadioSource {
  #frame = 0;
  #cc = { pat: 0, pmt: 0, audio: 0 };

  batch(): Buffer {
    const packets: Uint8Array[] = [];
    packets.push(buildPatPacket({ programs: [{ programNumber: 1, pmtPid: PMT_PID }] }, this.#cc.pat++ & 15)!);
    packets.push(
      buildPmtPacket(
        PMT_PID,
        {
          programNumber: 1,
          pcrPid: AUDIO_PID,
          streams: [{ streamType: STREAM_TYPE_AAC_ADTS, pid: AUDIO_PID }],
        },
        this.#cc.pmt++ & 15,
      )!,
    );
    for (let i = 0; i < (FRAMES_PER_SECOND * BATCH_MS) / 1000; i++) packets.push(this.#audioPacket());
    return Buffer.concat(packets);
  }

  #audioPacket(): Uint8Array {
    const n = this.#frame++;
    const p = new Uint8Array(TS_PACKET_SIZE);
    p[0] = 0x47;
    p[1] = 0x40 | (AUDIO_PID >> 8); // payload_unit_start_indicator
    p[2] = AUDIO_PID & 0xff;
    p[3] = 0x30 | (this.#cc.audio++ & 15); // adaptation field and payload
    // Adaptation field: 7 bytes, PCR only.
    p[4] = 7;
    p[5] = 0x10;
    const base = 90_000 + n * (90_000 / FRAMES_PER_SECOND); // PCR base, 90 kHz (extension 0)
    p[6] = Math.floor(base / 2 ** 25) & 0xff;
    p[7] = Math.floor(base / 2 ** 17) & 0xff;
    p[8] = Math.floor(base / 2 ** 9) & 0xff;
    p[9] = Math.floor(base / 2) & 0xff;
    p[10] = ((base & 1) << 7) | 0x7e;
    p[11] = 0;
    // PES header: audio stream 0xC0, PTS only.
    const pes = 12;
    const payload = TS_PACKET_SIZE - (pes + 14);
    p.set([0x00, 0x00, 0x01, 0xc0], pes);
    const pesLength = 3 + 5 + payload;
    p[pes + 4] = pesLength >> 8;
    p[pes + 5] = pesLength & 0xff;
    p[pes + 6] = 0x80;
    p[pes + 7] = 0x80; // PTS_DTS_flags = '10'
    p[pes + 8] = 5;
    const pts = base;
    p[pes + 9] = 0x21 | ((Math.floor(pts / 2 ** 30) & 7) << 1);
    p[pes + 10] = Math.floor(pts / 2 ** 22) & 0xff;
    p[pes + 11] = ((Math.floor(pts / 2 ** 15) & 0x7f) << 1) | 1;
    p[pes + 12] = Math.floor(pts / 2 ** 7) & 0xff;
    p[pes + 13] = ((pts & 0x7f) << 1) | 1;
    // An ADTS frame header, then filler (the gateway never decodes audio).
    p.set([0xff, 0xf1, 0x50, 0x80, 0x14, 0x5f, 0xfc], pes + 14);
    p.fill(0x21, pes + 21);
    return p;
  }
}

let origin: Server;
let dir: string;
let gw: GatewayProc;

before(async () => {
  origin = createServer((_req, res) => {
    const radio = new RadioSource();
    res.writeHead(200, { 'Content-Type': 'video/mp2t' });
    res.write(radio.batch());
    const timer = setInterval(() => res.write(radio.batch()), BATCH_MS);
    res.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  const { port } = origin.address() as AddressInfo;
  dir = mkdtempSync(join(tmpdir(), 'sc-radio-'));
  const file = join(dir, 'channels.json');
  writeFileSync(
    file,
    JSON.stringify({
      channels: [{ id: 'radio', name: 'Radio', sources: [`http://127.0.0.1:${port}/radio.ts`] }],
    }),
  );
  gw = await startGateway([
    '--channels',
    file,
    '--shards',
    '1',
    '--open-timeout-seconds',
    '8',
    '--hls-segment-seconds',
    '1',
  ]);
});
after(async () => {
  await gw?.stop();
  origin?.closeAllConnections();
  origin?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('an audio-only stream plays over MPEG-TS: PAT, PMT, then audio from a frame start', async () => {
  const client = openTs(`${gw.url}/channel/radio.ts`);
  const { status } = await client.response;
  assert.equal(status, 200, 'the stream opened (before: 504 SC_ERR_OPEN_TIMEOUT)');
  assert.ok(await client.waitBytes(FRAMES_PER_SECOND * TS_PACKET_SIZE, DEADLINE_MS), 'a second of audio');
  const r = await client.close();
  assert.equal(r.closedByServer, false);
  const ts = checkTs(r.bytes);
  assert.equal(ts.syncErrors, 0);
  assert.equal(ts.ccErrors, 0);
  assert.deepEqual(ts.firstPids, [0, PMT_PID, AUDIO_PID], 'PAT, PMT, then the audio');
  // The first audio packet starts a PES (a frame a decoder can start at).
  assert.equal(readPid(r.bytes, 2 * TS_PACKET_SIZE), AUDIO_PID);
  assert.equal(r.bytes[2 * TS_PACKET_SIZE + 1]! & 0x40, 0x40);
});

test('an audio-only stream plays over HLS: the playlist lists segments', async () => {
  const playlist = await fetch(`${gw.url}/channel/radio.m3u8?session=radio-test-1`);
  assert.equal(playlist.status, 200);
  const text = await playlist.text();
  const segment = text.split('\n').find((l) => l.endsWith('.ts'));
  assert.ok(segment, `a segment is listed:\n${text}`);
  const seg = await fetch(new URL(segment, `${gw.url}/channel/radio.m3u8`));
  assert.equal(seg.status, 200);
  const bytes = new Uint8Array(await seg.arrayBuffer());
  const ts = checkTs(bytes);
  assert.deepEqual(ts.firstPids, [0, PMT_PID, AUDIO_PID], 'each segment starts with PAT, PMT, then audio');
  assert.equal(ts.syncErrors, 0);
});
