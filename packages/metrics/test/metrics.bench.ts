// Micro-benchmark (not a test; compiled, never run by CI):
//   node --expose-gc packages/metrics/dist/test/metrics.bench.js [seconds=900] [shards=8]
// Measures the hot-path recording cost, the per-second snapshot cost, and rendering of
// /metrics/performance and the Prometheus histograms over 8 shards x 15 minutes of per-second data.
import { encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { Aggregator, type IntervalSnapshot, Recorder, seriesToHdr } from '../src/index.js';
import { KNOWN } from './known.js';
import { libHistogram } from './reference.js';

const SECONDS = Number(process.argv[2] ?? 900);
const SHARDS = Number(process.argv[3] ?? 8);
const T0 = 1_700_000_000_000;

// Samples per shard per second and median latency (µs) per operation: a busy gateway
// (500 streams, thousands of clients) with lognormal spread over ~3 decades.
const LOAD: Record<string, { perSec: number; medianUs: number }> = {
  stream_open: { perSec: 1, medianUs: 1_500_000 },
  engine_session_start: { perSec: 1, medianUs: 800_000 },
  mpegts_client_join: { perSec: 20, medianUs: 40_000 },
  mpegts_chunk_read: { perSec: 3_000, medianUs: 300 },
  hls_manifest_generation: { perSec: 200, medianUs: 80 },
  hls_segment_delivery: { perSec: 500, medianUs: 15_000 },
  hls_segment_fetch: { perSec: 5, medianUs: 250_000 },
  docker_stats_collection: { perSec: 1, medianUs: 20_000 },
};

// Deterministic lognormal-ish values: exp(N(0, 1.2)) around the median.
let seed = 42;
function rand(): number {
  seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
  return (seed + 0.5) / 2 ** 31;
}
function lognormal(median: number): number {
  const z = Math.sqrt(-2 * Math.log(rand())) * Math.cos(2 * Math.PI * rand());
  return median * Math.exp(1.2 * z);
}

const POOL = 1 << 16;
const pools = new Map<string, Float64Array>();
for (const [op, { medianUs }] of Object.entries(LOAD)) {
  pools.set(
    op,
    Float64Array.from({ length: POOL }, () => lognormal(medianUs)),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

function timeIt(runs: number, fn: () => void): number {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return median(ms);
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function benchRecord(): { ours: number; lib: number } {
  const N = 10_000_000;
  const vals = pools.get('mpegts_chunk_read')!;
  const r = new Recorder(T0, KNOWN);
  const lib = libHistogram([]);
  let ours = Number.POSITIVE_INFINITY;
  let theirs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    let t = process.hrtime.bigint();
    for (let i = 0; i < N; i++) r.recordUs('mpegts_chunk_read', vals[i & (POOL - 1)]!, (i & 1023) !== 0);
    ours = Math.min(ours, Number(process.hrtime.bigint() - t) / N);
    r.snapshot(T0);
    t = process.hrtime.bigint();
    for (let i = 0; i < N / 10; i++) lib.recordValue(Math.round(vals[i & (POOL - 1)]!));
    theirs = Math.min(theirs, Number(process.hrtime.bigint() - t) / (N / 10));
  }
  return { ours, lib: theirs };
}

/** Records one second of LOAD into a shard recorder. */
function recordSecond(r: Recorder, cursor: { i: number }): void {
  for (const [op, { perSec }] of Object.entries(LOAD)) {
    const pool = pools.get(op)!;
    for (let k = 0; k < perSec; k++) r.recordUs(op, pool[cursor.i++ & (POOL - 1)]!, (cursor.i & 255) !== 0);
  }
}

function main(): void {
  const rec = benchRecord();
  console.log(
    `record: ${rec.ours.toFixed(1)} ns/op (hdr-histogram-js recordValue: ${rec.lib.toFixed(1)} ns/op)`,
  );

  const shards = Array.from({ length: SHARDS }, () => new Recorder(T0, KNOWN));
  const agg = new Aggregator(KNOWN);
  const cursor = { i: 0 };
  gc();
  const heapBefore = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const snapMs: number[] = [];
  const ingestMs: number[] = [];
  let sample: IntervalSnapshot | undefined;
  for (let sec = 1; sec <= SECONDS; sec++) {
    for (const [id, r] of shards.entries()) {
      recordSecond(r, cursor);
      let t = performance.now();
      const snap = structuredClone(r.snapshot(T0 + sec * 1000));
      snapMs.push(performance.now() - t);
      sample ??= snap;
      t = performance.now();
      agg.ingest(id, snap);
      ingestMs.push(performance.now() - t);
    }
  }
  gc();
  const heapAfter = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const nowMs = T0 + SECONDS * 1000 + 500;
  const perSecSamples = Object.values(LOAD).reduce((a, b) => a + b.perSec, 0);
  console.log(
    `data: ${SHARDS} shards x ${SECONDS} s x ${perSecSamples} samples/s per shard, ${KNOWN.length} ops`,
  );
  console.log(`snapshot+clone per shard-second: median ${median(snapMs).toFixed(3)} ms`);
  console.log(`ingest per snapshot: median ${median(ingestMs).toFixed(3)} ms`);
  console.log(
    `memory: retained arrays ${(agg.retainedBytes() / 2 ** 20).toFixed(1)} MiB, ` +
      `heap+arrayBuffers growth ${((heapAfter - heapBefore) / 2 ** 20).toFixed(1)} MiB`,
  );

  const RUNS = 30;
  const json = (window: number | 'all') => () => JSON.stringify(agg.query({ window }, nowMs));
  console.log(`render /metrics/performance window=900: ${timeIt(RUNS, json(900)).toFixed(2)} ms`);
  console.log(`render /metrics/performance window=60:  ${timeIt(RUNS, json(60)).toFixed(2)} ms`);
  console.log(`render /metrics/performance window=all: ${timeIt(RUNS, json('all')).toFixed(2)} ms`);
  const text = agg.renderPrometheus();
  console.log(
    `render Prometheus histograms (${text.split('\n').length - 1} lines): ${timeIt(RUNS, () => agg.renderPrometheus()).toFixed(2)} ms`,
  );

  // Why sparse typed arrays rather than the library's compressed base64 on the wire.
  const s = sample?.series.find((x) => x.op === 'mpegts_chunk_read');
  if (s === undefined) throw new Error('the benchmark recorded no mpegts_chunk_read series');
  const sparseBytes = s.indices.byteLength + s.counts.byteLength;
  let b64 = '';
  const encMs = timeIt(200, () => {
    b64 = encodeIntoCompressedBase64(seriesToHdr(s));
  });
  console.log(
    `one busy series (${s.count} samples, ${s.indices.length} bins): sparse ${sparseBytes} B; ` +
      `library compressed base64 ${b64.length} B, ${encMs.toFixed(3)} ms to encode`,
  );
}

main();
