import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  addPcr,
  addTimestamp,
  buildNullPackets,
  NULL_PID,
  PCR_WRAP,
  parsePacketHeader,
  parsePesHeader,
  payloadOffset,
  pcrDiff,
  readCc,
  readPcr,
  setContinuityCounter,
  TIMESTAMP_WRAP,
  timestampDiff,
  writePcr,
  writePesTimestamps,
} from '../src/index.js';
import { h264AccessUnit, packet, pesBytes, VIDEO_PID } from './fixtures.js';

const pcrValue = fc.integer({ min: 0, max: PCR_WRAP - 1 });
const tsValue = fc.integer({ min: 0, max: TIMESTAMP_WRAP - 1 });

describe('rewrite then parse', () => {
  it('PCR round-trips and leaves every other byte alone', () => {
    fc.assert(
      fc.property(pcrValue, pcrValue, (a, b) => {
        const p = packet({ pid: VIDEO_PID, cc: 4, pcr: a, rai: true, payload: [9, 8, 7] });
        const before = p.slice();
        assert.equal(writePcr(p, 0, b), true);
        assert.equal(readPcr(p, 0), b);
        for (let i = 0; i < 188; i++) if (i < 6 || i > 11) assert.equal(p[i], before[i]);
      }),
    );
  });

  it('PTS and DTS round-trip inside a PES header', () => {
    fc.assert(
      fc.property(tsValue, tsValue, tsValue, (pts0, pts, dts) => {
        const p = packet({
          pid: VIDEO_PID,
          cc: 0,
          pusi: true,
          payload: pesBytes(0xe0, pts0, pts0, h264AccessUnit(true)),
        });
        assert.equal(writePesTimestamps(p, 0, pts, dts), true);
        const pes = parsePesHeader(p, payloadOffset(p, 0), 188);
        assert.equal(pes?.pts, pts);
        assert.equal(pes?.dts, dts);
      }),
    );
  });

  it('refuses to write a DTS into a PES header that has none', () => {
    const p = packet({ pid: VIDEO_PID, cc: 0, pusi: true, payload: pesBytes(0xc0, 5, -1, [1]) });
    assert.equal(writePesTimestamps(p, 0, 10, 20), false);
    assert.equal(writePesTimestamps(p, 0, 10), true);
    assert.equal(parsePesHeader(p, payloadOffset(p, 0), 188)?.pts, 10);
  });

  it('continuity_counter round-trips without touching the other header bits', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 15 }), (a, b) => {
        const p = packet({ pid: VIDEO_PID, cc: a, pusi: true, payload: [1] });
        const h = parsePacketHeader(p);
        setContinuityCounter(p, 0, b);
        assert.equal(readCc(p, 0), b);
        assert.deepEqual({ ...parsePacketHeader(p), cc: h.cc }, h);
      }),
    );
  });

  it('builds null packets', () => {
    const n = buildNullPackets(3);
    assert.equal(n.length, 3 * 188);
    for (let i = 0; i < 3; i++) {
      assert.equal(n[i * 188], 0x47);
      assert.equal(parsePacketHeader(n, i * 188).pid, NULL_PID);
      assert.equal(n[i * 188 + 187], 0xff);
    }
  });
});

describe('timestamp arithmetic', () => {
  it('wraps at 2^33 and measures differences across the wrap', () => {
    assert.equal(addTimestamp(TIMESTAMP_WRAP - 10, 25), 15);
    assert.equal(timestampDiff(15, TIMESTAMP_WRAP - 10), 25);
    assert.equal(timestampDiff(TIMESTAMP_WRAP - 10, 15), -25);
    assert.equal(addPcr(PCR_WRAP - 1, 2), 1);
    assert.equal(pcrDiff(1, PCR_WRAP - 1), 2);
  });
});
