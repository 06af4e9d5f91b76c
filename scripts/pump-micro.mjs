// The MPEG-TS client pump's own JavaScript cost, in-process: no sockets, no-op responses, simulated time.
// S streams × C clients, each stream appended 15 packets (~141 kB/s) per 20 ms tick; prints the tick
// time per client visit (writes included) for two builds of ts-pump.js, alternated round by round in one
// process, and the after/before ratio per round. Build first (npm run build).
//
//   node scripts/pump-micro.mjs [--before path/to/ts-pump.js] [--after path/to/ts-pump.js]
//                               [--streams 4] [--clients 250] [--rounds 6] [--ticks 500]
//
// Both default to this checkout's build (an A/A run: the noise of the moment).
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = new URL('../', import.meta.url);
const DIST = new URL('apps/gateway/dist/src/', ROOT);
const { values: o } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string' },
    streams: { type: 'string', default: '4' },
    clients: { type: 'string', default: '250' },
    rounds: { type: 'string', default: '6' },
    ticks: { type: 'string', default: '500' },
  },
});
const STREAMS = Number(o.streams);
const PER = Number(o.clients);
const ROUNDS = Number(o.rounds);
const TICKS = Number(o.ticks);
const FLUSH_MS = 20;
const PACKETS_PER_TICK = 15;
const here = new URL('shard/ts-pump.js', DIST).href;
const url = (p) => (p ? pathToFileURL(resolve(p)).href : here);

const { loadConfig } = await import(new URL('config/load.js', DIST).href);
const { createLogger } = await import(new URL('log.js', DIST).href);
const { LocalStream } = await import(new URL('shard/streams.js', DIST).href);
const { TsClient } = await import(new URL('shard/ts-client.js', DIST).href);
const { createRing, RingWriter, TS_PACKET_SIZE } = await import('@shardcast/ring');
const builds = {
  before: (await import(url(o.before))).TsPump,
  after: (await import(`${url(o.after)}${o.after === o.before ? '?after' : ''}`)).TsPump,
};

class NoopResponse {
  cork(cb) {
    cb();
    return this;
  }
  write() {
    return true;
  }
  onWritable() {
    return this;
  }
  onAborted() {
    return this;
  }
  end() {}
  close() {}
}

function rig(TsPump) {
  let t = 1_000_000;
  const config = { ...loadConfig([], {}).config, flushMs: FLUSH_MS };
  const pump = new TsPump(config, createLogger('silent'), 0, () => t);
  pump.stop();
  const streams = [];
  for (let s = 0; s < STREAMS; s++) {
    const handles = createRing({ capacityPackets: 65536 });
    const writer = new RingWriter(handles);
    writer.setBitrate(1_128_000);
    writer.setState('live');
    const stream = new LocalStream(s + 1, { kind: 'id', hex: (s % 10).toString().repeat(40) }, handles);
    const bytes = new Uint8Array(PACKETS_PER_TICK * TS_PACKET_SIZE);
    for (let i = 0; i < PACKETS_PER_TICK; i++) bytes[i * TS_PACKET_SIZE] = 0x47;
    streams.push({ writer, stream, bytes });
  }
  const append = () => {
    for (const s of streams) {
      s.writer.write(s.bytes);
      s.writer.touch(t);
    }
  };
  append();
  for (const s of streams) s.writer.markRandomAccess(0, new Uint8Array(0));
  for (let i = 0; i < PER; i++)
    for (const s of streams) {
      s.stream.control.tryAcquire();
      pump.add(new TsClient(new NoopResponse(), s.stream, 0, () => {}));
    }
  return (ticks) => {
    let ns = 0n;
    for (let k = 0; k < ticks; k++) {
      t += FLUSH_MS;
      append();
      const a = process.hrtime.bigint();
      pump.tick(t);
      ns += process.hrtime.bigint() - a;
    }
    return Number(ns) / ticks / (STREAMS * PER);
  };
}

const run = { before: rig(builds.before), after: rig(builds.after) };
run.before(TICKS);
run.after(TICKS);
const res = { before: [], after: [] };
for (let r = 0; r < ROUNDS; r++) for (const k of ['before', 'after']) res[k].push(run[k](TICKS));
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const ratios = res.after.map((x, i) => x / res.before[i]);
const f = (v) => v.map((x) => x.toFixed(1)).join(' ');
process.stdout.write(
  `ns per client visit, ${STREAMS}×${PER} clients, ${ROUNDS} alternated rounds of ${TICKS} ticks\n` +
    `  before ${f(res.before)}  median ${median(res.before).toFixed(1)}\n` +
    `  after  ${f(res.after)}  median ${median(res.after).toFixed(1)}\n` +
    `  after/before ${ratios.map((x) => x.toFixed(2)).join(' ')}  median ${median(ratios).toFixed(2)}\n`,
);
