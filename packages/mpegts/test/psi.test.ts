import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  buildPatPacket,
  buildPmtPacket,
  buildPmtSection,
  crc32Mpeg2,
  parsePatPacket,
  parsePatSection,
  parsePmtPacket,
  parsePmtSection,
  STREAM_TYPE,
} from '../src/index.js';
import { AUDIO_PID, PAT_PACKET, PMT_PID, pmtPacket, VIDEO_PID } from './fixtures.js';

describe('CRC-32/MPEG-2', () => {
  it('matches the catalogue check value', () => {
    // CRC-32/MPEG-2 check value for the ASCII string "123456789".
    assert.equal(crc32Mpeg2(new TextEncoder().encode('123456789')), 0x0376e6e7);
  });
});

describe('PAT', () => {
  it('parses the hand-built PAT', () => {
    const pat = parsePatPacket(PAT_PACKET);
    assert.deepEqual(pat, {
      transportStreamId: 1,
      version: 0,
      programs: [{ programNumber: 1, pmtPid: PMT_PID }],
      networkPid: -1,
    });
  });

  it('builds the same bytes as the hand-built PAT', () => {
    const built = buildPatPacket({ transportStreamId: 1, programs: [{ programNumber: 1, pmtPid: PMT_PID }] });
    assert.deepEqual(built, PAT_PACKET);
  });

  it('rejects a PAT with a broken CRC', () => {
    const bad = PAT_PACKET.slice();
    bad[20] = (bad[20]! ^ 0x01) & 0xff;
    assert.equal(parsePatPacket(bad), null);
    assert.equal(parsePatSection(bad, 5, 188, false)?.programs.length, 1);
  });

  it('round-trips build -> parse for arbitrary programs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 31 }),
        fc.uniqueArray(fc.integer({ min: 1, max: 0xffff }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0x10, max: 0x1ffe }),
        (tsid, version, numbers, pid) => {
          const programs = numbers.map((programNumber, i) => ({ programNumber, pmtPid: (pid + i) & 0x1fff }));
          const packet = buildPatPacket({ transportStreamId: tsid, version, programs });
          assert.ok(packet);
          assert.deepEqual(parsePatPacket(packet), {
            transportStreamId: tsid,
            version,
            programs,
            networkPid: -1,
          });
        },
      ),
    );
  });
});

describe('PMT', () => {
  it('parses PCR PID and classifies streams', () => {
    const pmt = parsePmtPacket(pmtPacket());
    assert.ok(pmt);
    assert.equal(pmt.programNumber, 1);
    assert.equal(pmt.pcrPid, VIDEO_PID);
    assert.deepEqual(
      pmt.streams.map((s) => [s.pid, s.kind, s.codec]),
      [
        [VIDEO_PID, 'video', 'h264'],
        [AUDIO_PID, 'audio', 'aac'],
      ],
    );
    assert.equal(pmt.video?.pid, VIDEO_PID);
    assert.equal(pmt.audio?.pid, AUDIO_PID);
  });

  it('classifies HEVC, MPEG-2, MP3, AC-3 (ATSC and DVB descriptor) and reads the language', () => {
    const section = buildPmtSection({
      programNumber: 7,
      pcrPid: 0x200,
      streams: [
        { streamType: STREAM_TYPE.HEVC, pid: 0x200 },
        { streamType: STREAM_TYPE.MPEG2_VIDEO, pid: 0x201 },
        { streamType: STREAM_TYPE.MPEG1_AUDIO, pid: 0x202 },
        { streamType: STREAM_TYPE.AC3, pid: 0x203 },
        // private PES with a DVB AC-3 descriptor (tag 0x6a, length 1, flags 0) and ISO 639 'eng'
        {
          streamType: STREAM_TYPE.PRIVATE_PES,
          pid: 0x204,
          descriptors: Uint8Array.from([0x6a, 0x01, 0x00, 0x0a, 0x04, 0x65, 0x6e, 0x67, 0x00]),
        },
        { streamType: 0x86, pid: 0x205 }, // SCTE-35: not audio/video
      ],
    });
    const pmt = parsePmtSection(section);
    assert.ok(pmt);
    assert.deepEqual(
      pmt.streams.map((s) => [s.kind, s.codec, s.language]),
      [
        ['video', 'hevc', null],
        ['video', 'mpeg2', null],
        ['audio', 'mp3', null],
        ['audio', 'ac3', null],
        ['audio', 'ac3', 'eng'],
        ['other', null, null],
      ],
    );
    assert.equal(pmt.video?.codec, 'hevc');
  });

  it('round-trips build -> parse for arbitrary stream lists', () => {
    const types = [0x02, 0x1b, 0x24, 0x0f, 0x03, 0x81, 0x06, 0x15];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff }),
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: 0x20, max: 0x1ffe }),
        fc.array(fc.record({ t: fc.constantFrom(...types), pid: fc.integer({ min: 0x20, max: 0x1ffe }) }), {
          maxLength: 20,
        }),
        (programNumber, version, pcrPid, list) => {
          const packet = buildPmtPacket(0x1000, {
            programNumber,
            version,
            pcrPid,
            streams: list.map((s) => ({ streamType: s.t, pid: s.pid })),
          });
          assert.ok(packet);
          const pmt = parsePmtPacket(packet);
          assert.ok(pmt);
          assert.equal(pmt.programNumber, programNumber);
          assert.equal(pmt.version, version);
          assert.equal(pmt.pcrPid, pcrPid);
          assert.deepEqual(
            pmt.streams.map((s) => [s.streamType, s.pid]),
            list.map((s) => [s.t, s.pid]),
          );
        },
      ),
    );
  });
});
