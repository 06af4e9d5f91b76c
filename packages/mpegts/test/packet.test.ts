import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  adaptationFieldLength,
  hasDiscontinuity,
  hasRandomAccessIndicator,
  parseAdaptationField,
  parsePacketHeader,
  payloadOffset,
  readCc,
  readPcr,
  readPid,
  readPusi,
} from '../src/index.js';
import { PAT_PACKET, packet } from './fixtures.js';

describe('packet header', () => {
  it('parses every field of a hand-built header', () => {
    // biome-ignore format: one line per field
    const bytes = Uint8Array.from([
      0x47, // sync_byte
      0xe1, 0x23, // TEI=1, PUSI=1, priority=1, PID=0x0123
      0xb7, // scrambling=10, adaptation_field_control=11, continuity_counter=7
    ]);
    assert.deepEqual(parsePacketHeader(bytes), {
      pid: 0x123,
      pusi: true,
      tei: true,
      priority: true,
      scrambling: 2,
      afc: 3,
      cc: 7,
      hasAdaptation: true,
      hasPayload: true,
    });
    assert.equal(readPid(bytes, 0), 0x123);
    assert.equal(readCc(bytes, 0), 7);
    assert.equal(readPusi(bytes, 0), true);
  });

  it('finds the payload after the adaptation field, and none for adaptation-only packets', () => {
    assert.equal(payloadOffset(PAT_PACKET, 0), 4);
    const withAf = packet({ pid: 0x100, cc: 1, pcr: 27_000_000, payload: [1, 2, 3] });
    assert.equal(payloadOffset(withAf, 0), 188 - 3);
    const afOnly = packet({ pid: 0x100, cc: 1, pcr: 27_000_000 });
    assert.equal(payloadOffset(afOnly, 0), -1);
  });
});

describe('adaptation field', () => {
  it('reads flags and the 27 MHz PCR value', () => {
    const pcr = 123_456_789 * 300 + 299;
    const p = packet({ pid: 0x100, cc: 0, pcr, rai: true, discontinuity: true, payload: [0] });
    assert.equal(readPcr(p, 0), pcr);
    assert.equal(hasRandomAccessIndicator(p, 0), true);
    assert.equal(hasDiscontinuity(p, 0), true);
    const af = parseAdaptationField(p, 0);
    assert.equal(af?.pcr, pcr);
    assert.equal(af?.opcr, -1);
    assert.equal(af?.randomAccess, true);
  });

  it('decodes a PCR from hand-written bytes', () => {
    // biome-ignore format: one line per field
    const bytes = Uint8Array.from([
      0x47, 0x01, 0x00, // sync, PID 0x100
      0x20, // adaptation_field_control=10 (adaptation only), cc=0
      0xb7, // adaptation_field_length=183
      0x10, // PCR_flag
      0x00, 0x00, 0x00, 0x01, 0x7e, 0x05, // PCR base=2 (last base bit 0, reserved 111111), extension=5
      ...new Array<number>(176).fill(0xff),
    ]);
    assert.equal(readPcr(bytes, 0), 2 * 300 + 5);
  });

  it('reports no PCR when the flag is unset or the field is too short', () => {
    assert.equal(readPcr(packet({ pid: 0x100, cc: 0, rai: true, payload: [1] }), 0), -1);
    const short = packet({ pid: 0x100, cc: 0, pcr: 5, payload: [1] });
    short[4] = 3; // adaptation_field_length too short for the 6-byte PCR
    assert.equal(readPcr(short, 0), -1);
    assert.equal(adaptationFieldLength(PAT_PACKET, 0), -1);
  });
});
