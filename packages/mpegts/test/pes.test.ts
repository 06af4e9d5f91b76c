import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePesHeader } from '../src/index.js';
import { pesBytes } from './fixtures.js';

describe('PES header', () => {
  it('parses PTS and DTS from hand-written bytes', () => {
    // biome-ignore format: one line per field
    const bytes = Uint8Array.from([
      0x00, 0x00, 0x01, // packet_start_code_prefix
      0xe0, // stream_id: video stream 0
      0x00, 0x00, // PES_packet_length 0 (unbounded)
      0x80, // '10', no scrambling, no flags
      0xc0, // PTS_DTS_flags '11'
      0x0a, // PES_header_data_length 10
      0x31, 0x00, 0x0b, 0x32, 0x81, // '0011', PTS = 170304 (0x29940) with marker bits
      0x11, 0x00, 0x0b, 0x15, 0x11, // '0001', DTS = 166536 (0x28a88) with marker bits
      0x00, 0x00, 0x00, 0x01, 0x09, // ES data (AUD)
    ]);
    const pes = parsePesHeader(bytes, 0);
    assert.ok(pes);
    assert.equal(pes.streamId, 0xe0);
    assert.equal(pes.pts, 170_304);
    assert.equal(pes.dts, 166_536);
    assert.equal(pes.payloadOffset, 19);
    assert.equal(pes.ptsOffset, 9);
    assert.equal(pes.dtsOffset, 14);
  });

  it('handles PTS only, the 33rd bit, and rejects non-PES bytes', () => {
    const pts = 2 ** 33 - 1;
    const pes = parsePesHeader(Uint8Array.from(pesBytes(0xc0, pts, -1, [1, 2])), 0);
    assert.equal(pes?.pts, pts);
    assert.equal(pes?.dts, -1);
    assert.equal(pes?.payloadOffset, 14);
    assert.equal(parsePesHeader(Uint8Array.from([0, 0, 2, 0xe0, 0, 0, 0x80, 0, 0]), 0), null);
    // PTS flag set but the header is cut before the field ends.
    assert.equal(parsePesHeader(Uint8Array.from(pesBytes(0xe0, 1, -1, [])).subarray(0, 12), 0), null);
  });

  it('does not expect an optional header on padding streams', () => {
    const pes = parsePesHeader(Uint8Array.from([0, 0, 1, 0xbe, 0, 4, 0xff, 0xff, 0xff, 0xff]), 0);
    assert.equal(pes?.pts, -1);
    assert.equal(pes?.payloadOffset, 6);
  });
});
