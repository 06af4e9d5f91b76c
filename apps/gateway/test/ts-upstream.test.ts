// The TS upstream's hold (pacing): reading stops while the sink asks to wait, in one hold at a time, even
// when one socket read carries several chunks of a chunked body.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ByteStream, EngineClient } from '@shardcast/engine-client';
import { Recorder } from '@shardcast/metrics';
import { COALESCE_MS, TsUpstream, type TsUpstreamOptions } from '../src/shard/owner/ts-upstream.js';

/** A TsUpstream whose engine hands out `stream`, feeding `sink`. */
function upstreamOver(stream: ByteStream, sink: TsUpstreamOptions['sink']): TsUpstream {
  const client = { openByteStream: async () => stream } as unknown as EngineClient;
  return new TsUpstream({
    client,
    url: 'http://127.0.0.1:1/ace/r/x',
    stallMs: 60_000,
    recorder: new Recorder(),
    sink,
  });
}

test(
  'several chunks of one read start one hold, and reading resumes once it is over',
  { timeout: 10_000 },
  async () => {
    let pauses = 0;
    let resumes = 0;
    let end!: () => void;
    let resumed!: () => void;
    const firstResume = new Promise<void>((r) => {
      resumed = r;
    });
    const stream: ByteStream = {
      statusCode: 200,
      headers: {},
      pipe(onData) {
        // One read, two chunks of a chunked body.
        onData(new Uint8Array(188));
        onData(new Uint8Array(188));
        return new Promise<void>((r) => {
          end = r;
        });
      },
      pause: () => pauses++,
      resume: () => {
        resumes++;
        resumed();
      },
      coalesce: () => {},
      close: () => end?.(),
    };
    // Hold twice (5 ms each), then read on.
    const holds = [5, 5];
    const up = upstreamOver(stream, {
      data: () => true,
      discontinuity: () => {},
      holdMs: () => holds.shift() ?? 0,
    });
    const ac = new AbortController();
    const run = up.run(ac.signal);
    await firstResume;
    // A second, parallel hold would resume again shortly after the first one.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(resumes, 1, 'reading resumed once');
    assert.equal(pauses, 2, 'paused for the first hold and again when it was renewed');
    assert.equal(holds.length, 0);
    stream.close();
    assert.equal(await run, 2 * 188);
  },
);

/** One TS packet (sync byte first), as a not-yet-playing stream's probe expects. */
function packet(): Uint8Array {
  const p = new Uint8Array(188);
  p[0] = 0x47;
  return p;
}

test(
  'reads are coalesced once the stream plays, not before (a cold start reads at once)',
  { timeout: 10_000 },
  async () => {
    const calls: number[] = [];
    let playing = false;
    let chunks = 0;
    let end!: () => void;
    const stream: ByteStream = {
      statusCode: 200,
      headers: {},
      pipe(onData) {
        onData(packet());
        assert.deepEqual(calls, [], 'not before the stream plays');
        playing = true;
        onData(packet());
        onData(packet());
        return new Promise<void>((r) => {
          end = r;
        });
      },
      pause: () => {},
      resume: () => {},
      coalesce: (ms) => calls.push(ms),
      close: () => end?.(),
    };
    const up = upstreamOver(stream, {
      data: () => {
        chunks++;
        return true;
      },
      discontinuity: () => {},
      playing: () => playing,
    });
    const run = up.run(new AbortController().signal);
    await new Promise((r) => setImmediate(r));
    assert.equal(chunks, 3);
    assert.ok(COALESCE_MS > 0);
    assert.deepEqual(calls, [COALESCE_MS], 'turned on once, at the first chunk after the stream played');
    stream.close();
    assert.equal(await run, 3 * 188);
  },
);
