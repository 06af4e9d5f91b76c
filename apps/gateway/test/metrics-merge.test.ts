// The gateway's latency data has one source of truth. Snapshots of 8 shards plus main's own
// recorder (the pseudo-shard Telemetry feeds with stream_open / docker_stats_collection) merged in one
// Aggregator give the same /metrics/performance numbers and the same Prometheus histograms as a single
// recorder that saw every sample.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Aggregator, Recorder } from '@shardcast/metrics';
import fc from 'fast-check';
import { performanceResponse } from '../src/control/performance.js';
import { MAIN_METRICS_SOURCE } from '../src/control/telemetry.js';
import { OPERATIONS } from '../src/operations.js';

const NOW = 1_800_000_000_000;
const SHARDS = 8;

test('8 shards + main merged = one histogram of all samples (JSON and Prometheus)', () => {
  const sample = fc.tuple(
    fc.constantFrom(...OPERATIONS),
    fc.double({ min: 0, max: 120_000, noNaN: true }),
    fc.boolean(),
    fc.integer({ min: 0, max: SHARDS }), // SHARDS = main's recorder
    fc.integer({ min: 0, max: 30 }), // seconds before NOW
  );
  fc.assert(
    fc.property(fc.array(sample, { minLength: 1, maxLength: 300 }), (samples) => {
      const merged = new Aggregator(OPERATIONS);
      const single = new Aggregator(OPERATIONS);
      for (let ago = 30; ago >= 0; ago--) {
        const end = NOW - ago * 1000;
        const one = new Recorder(end - 1000, OPERATIONS);
        for (let source = 0; source <= SHARDS; source++) {
          const rec = new Recorder(end - 1000, OPERATIONS);
          for (const [op, ms, ok, at, a] of samples) {
            if (at !== source || a !== ago) continue;
            rec.recordMs(op, ms, ok);
            one.recordMs(op, ms, ok);
          }
          merged.ingest(source === SHARDS ? MAIN_METRICS_SOURCE : source, rec.snapshot(end));
        }
        single.ingest(0, one.snapshot(end));
      }
      for (const q of ['window=10', 'window=31', '']) {
        assert.deepEqual(
          performanceResponse(merged, q, NOW).body,
          performanceResponse(single, q, NOW).body,
          q,
        );
      }
      assert.equal(merged.renderPrometheus(), single.renderPrometheus());
    }),
    { numRuns: 40 },
  );
});
