// The media probe reads codec, profile, level, size, frame rate, GOP and audio layout from MPEG-TS bytes
// (the engine simulator's fixture), and never throws whatever the bytes.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DEFAULT_FIXTURE } from '@shardcast/engine-sim';
import fc from 'fast-check';
import { isComplete, probeTs } from '../src/index.js';

const fixture = readFileSync(DEFAULT_FIXTURE);
const FIXTURE = new Uint8Array(fixture.buffer, fixture.byteOffset, fixture.length);

describe('probeTs', () => {
  test('the engine-sim fixture: h264 Main 640x360 25 fps GOP 25, aac LC 48 kHz stereo (its README)', () => {
    const m = probeTs(FIXTURE);
    assert.ok(m);
    assert.deepEqual(m.video, {
      pid: 256,
      codec: 'h264',
      profile: 'Main',
      level: '3.0',
      width: 640,
      height: 360,
      frame_rate: 25,
      gop_frames: 25,
      gop_seconds: 1,
      interlaced: false,
    });
    assert.deepEqual(m.audio, {
      pid: 257,
      codec: 'aac',
      profile: 'LC',
      sample_rate: 48000,
      channels: 2,
      language: null,
    });
    assert.deepEqual(
      m.tracks.map((t) => [t.pid, t.kind, t.codec]),
      [
        [256, 'video', 'h264'],
        [257, 'audio', 'aac'],
      ],
    );
    assert.ok(isComplete(m));
    assert.ok(
      m.sampled_seconds !== null && m.sampled_seconds > 7.5,
      `covers the loop (${m.sampled_seconds} s)`,
    );
  });

  test('half a second of the fixture: codec and size known, GOP not yet (a follow-up probe is due)', () => {
    const m = probeTs(FIXTURE, 188 * 400);
    assert.equal(m?.video?.width, 640);
    assert.equal(m?.video?.gop_frames, null);
    assert.equal(isComplete(m!), false);
  });

  test('keyframes are found from the IDR NAL units alone when no packet sets random_access_indicator', () => {
    const noRai = FIXTURE.slice();
    let cleared = 0;
    for (let off = 0; off + 188 <= noRai.length; off += 188) {
      // adaptation_field_control has the adaptation bit, the field is not empty, and its RAI bit is set.
      if ((noRai[off + 3]! & 0x20) !== 0 && noRai[off + 4]! > 0 && (noRai[off + 5]! & 0x40) !== 0) {
        noRai[off + 5]! &= ~0x40;
        cleared++;
      }
    }
    assert.ok(cleared > 0, 'the fixture marks its keyframes, so the check means something');
    const m = probeTs(noRai);
    assert.equal(m?.video?.gop_frames, 25);
  });

  test('no PAT/PMT in the sample: null', () => {
    // The fixture's audio and video packets only (PIDs 256 and 257), PSI removed.
    const media: Uint8Array[] = [];
    for (let off = 0; off + 188 <= FIXTURE.length; off += 188) {
      const pid = ((FIXTURE[off + 1]! & 0x1f) << 8) | FIXTURE[off + 2]!;
      if (pid === 256 || pid === 257) media.push(FIXTURE.subarray(off, off + 188));
    }
    assert.ok(media.length > 1000);
    assert.equal(probeTs(Buffer.concat(media)), null);
    assert.equal(probeTs(new Uint8Array(188 * 4)), null);
  });

  test('never throws on arbitrary or damaged bytes', () => {
    const damaged = fc
      .tuple(
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 188, max: 188 * 600 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 200 }),
      )
      .map(([start, length, flips]) => {
        const copy = FIXTURE.slice(start * 188, start * 188 + length);
        for (const [at, v] of flips) if (copy.length > 0) copy[at % copy.length] = v;
        return copy;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 4000 }), damaged), (bytes) => {
        probeTs(bytes);
      }),
      { numRuns: 300 },
    );
  });
});
