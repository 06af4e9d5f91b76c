import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPmtPacket, buildPmtSection, STREAM_TYPE, TsDemuxer } from '../src/index.js';
import { demuxPieces } from './demux-helpers.js';
import {
  AUDIO_PID,
  concat,
  nullPacket,
  PMT_PID,
  packet,
  patPacket,
  syntheticStream,
  VIDEO_PID,
} from './fixtures.js';

const FRAMES = 20;
const GOP = 5;

describe('TsDemuxer', () => {
  it('passes an aligned stream through and follows PAT -> PMT -> video PID', () => {
    const input = syntheticStream(FRAMES, GOP);
    const { output, events, stats } = demuxPieces(input, []);
    assert.deepEqual(output, input);
    assert.equal(stats.packets, input.length / 188);
    const kinds = events.map((e) => e.kind);
    assert.deepEqual(kinds.slice(0, 2), ['pat', 'pmt']);
    // PAT/PMT repeat every GOP unchanged: every occurrence is reported, only the first as a change.
    const psi = events.filter((e) => e.kind === 'pat' || e.kind === 'pmt');
    assert.equal(psi.filter((e) => e.kind === 'pat').length, FRAMES / GOP);
    assert.equal(psi.filter((e) => e.kind === 'pmt').length, FRAMES / GOP);
    assert.deepEqual(
      psi.filter((e) => (e.kind === 'pat' || e.kind === 'pmt') && e.changed).map((e) => e.kind),
      ['pat', 'pmt'],
    );
    const pcrs = events.filter((e) => e.kind === 'pcr');
    assert.equal(pcrs.length, FRAMES);
    const video = events.filter((e) => e.kind === 'video');
    assert.equal(video.length, FRAMES);
    assert.deepEqual(
      video.map((v) => v.randomAccess),
      Array.from({ length: FRAMES }, (_, f) => f % GOP === 0),
    );
    const first = video[0];
    assert.ok(first && first.kind === 'video');
    assert.equal(first.pts, 126_000 + 3_600);
    assert.equal(first.dts, 126_000);
    // The first video packet follows PAT and PMT: offset 2 * 188.
    assert.equal(first.offset, 376);
    assert.equal(input[first.offset + 1]! & 0x1f, VIDEO_PID >> 8);
    assert.equal(events.filter((e) => e.kind === 'error').length, 0);
  });

  it('keeps raw copies of the latest PAT and PMT occurrence (with its continuity counter)', () => {
    const input = syntheticStream(2 * GOP, GOP);
    const d = new TsDemuxer();
    d.push(input);
    // The newest repetition, not the first one: a player joined with these continues the counters.
    let lastPat = -1;
    for (let off = 0; off < input.length; off += 188)
      if ((((input[off + 1]! & 0x1f) << 8) | input[off + 2]!) === 0) lastPat = off;
    assert.ok(lastPat > 0, 'the fixture repeats its PAT');
    assert.deepEqual(d.patPackets, input.subarray(lastPat, lastPat + 188));
    assert.deepEqual(d.pmtPackets, input.subarray(lastPat + 188, lastPat + 376));
    assert.notEqual(
      d.patPackets[3]! & 0x0f,
      input[3]! & 0x0f,
      'a newer continuity counter than the first PAT',
    );
    assert.equal(d.program.videoPid, VIDEO_PID);
    assert.equal(d.program.pcrPid, VIDEO_PID);
    assert.equal(d.program.videoCodec, 'h264');
  });

  it('resyncs after junk, reporting one classified non-fatal event', () => {
    const input = syntheticStream(4, GOP);
    const junk = Uint8Array.from({ length: 77 }, (_, i) => (i * 7) & 0x3f); // never 0x47
    const corrupted = concat([input.subarray(0, 188 * 5), junk, input.subarray(188 * 5)]);
    const { output, events, stats } = demuxPieces(corrupted, [100, 1000, 1050]);
    assert.deepEqual(output, input);
    const errors = events.filter((e) => e.kind === 'error');
    assert.equal(errors.length, 1);
    assert.deepEqual(
      errors.map((e) => e.kind === 'error' && [e.type, e.fatal, e.offset]),
      [['sync-loss', false, 188 * 5]],
    );
    assert.equal(stats.skippedBytes, 77);
  });

  it('drops a leading partial packet and reports a truncated tail at flush', () => {
    const input = syntheticStream(4, GOP);
    const cut = input.subarray(100, input.length - 50);
    const { output, events, stats } = demuxPieces(cut, [333]);
    assert.deepEqual(output, input.subarray(188, input.length - 188));
    const types = events.flatMap((e) => (e.kind === 'error' ? [e.type] : []));
    assert.deepEqual(types, ['sync-loss', 'truncated']);
    assert.equal(stats.truncated, 1);
  });

  it('reports a lost packet as a continuity error', () => {
    const input = syntheticStream(4, GOP);
    // Packets: PAT, PMT, video PES start, video continuation, audio, null. Dropping the continuation
    // (packet 3) breaks the video PID's counter at the next frame.
    const lossy = concat([input.subarray(0, 188 * 3), input.subarray(188 * 4)]);
    const { events, stats } = demuxPieces(lossy, []);
    assert.equal(stats.continuityErrors, 1);
    const err = events.find((e) => e.kind === 'error');
    assert.ok(err && err.kind === 'error' && err.type === 'continuity');
  });

  it('reports a transport_error_indicator packet and uses nothing from it', () => {
    const bad = packet({ pid: AUDIO_PID, cc: 0, payload: [1] });
    bad[1] = bad[1]! | 0x80;
    const input = concat([syntheticStream(2, GOP), bad]);
    const { stats, events } = demuxPieces(input, []);
    assert.equal(stats.transportErrors, 1);
    assert.ok(events.some((e) => e.kind === 'error' && e.type === 'transport-error'));
  });

  it('follows a PMT change to a new video PID', () => {
    const newPmt = buildPmtPacket(
      PMT_PID,
      {
        programNumber: 1,
        version: 1,
        pcrPid: 0x300,
        streams: [{ streamType: STREAM_TYPE.HEVC, pid: 0x300 }],
      },
      2,
    )!;
    const input = concat([syntheticStream(1, GOP), newPmt, nullPacket()]);
    const d = new TsDemuxer();
    const r = d.push(input);
    const pmts = r.events.filter((e) => e.kind === 'pmt');
    assert.equal(pmts.length, 2);
    assert.equal(d.program.videoPid, 0x300);
    assert.equal(d.program.videoCodec, 'hevc');
    assert.deepEqual(d.pmtPackets, newPmt);
  });

  it('assembles a PMT section spread over two packets', () => {
    const streams = Array.from({ length: 12 }, (_, i) => ({
      streamType: STREAM_TYPE.PRIVATE_PES,
      pid: 0x200 + i,
      descriptors: Uint8Array.from([0x0a, 0x04, 0x65, 0x6e, 0x67, 0x00, 0x6a, 0x01, 0x00]), // 'eng' + AC-3
    }));
    const spec = { programNumber: 1, pcrPid: 0x200, streams };
    assert.equal(buildPmtPacket(PMT_PID, spec), null); // too big for one packet
    const bytes = buildPmtSection(spec);
    // pointer_field 0 and the first 183 section bytes, then the rest in a continuation packet.
    const first = packet({ pid: PMT_PID, cc: 0, pusi: true, payload: [0x00, ...bytes.subarray(0, 183)] });
    const second = packet({ pid: PMT_PID, cc: 1, payload: [...bytes.subarray(183)] });
    const d = new TsDemuxer();
    d.push(concat([patPacket(0), first, second]));
    assert.equal(d.program.pmt?.streams.length, 12);
    assert.equal(d.program.pmt?.audio?.codec, 'ac3');
    assert.equal(d.pmtPackets?.length, 376);
  });

  it('restarts offsets and forgets PSI on reset()', () => {
    const input = syntheticStream(2, GOP);
    const d = new TsDemuxer();
    d.push(input);
    assert.equal(d.outputOffset, input.length);
    d.reset();
    assert.equal(d.outputOffset, 0);
    assert.equal(d.program.pat, null);
    assert.equal(d.patPackets, null);
    const r = d.push(input);
    assert.equal(r.offset, 0);
    assert.equal(r.events[0]?.kind, 'pat');
  });
});
