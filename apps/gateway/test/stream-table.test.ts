// The shard's stream table trusts main's answer to `open`: a viewer on a shard that never heard of the
// stream, or holds a stale entry for its key, gets the ring main names (no 502 "closed while opening").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRing, RingControl, type RingHandles } from '@shardcast/ring';
import type { MainToShard, ShardToMain } from '../src/protocol.js';
import type { ControlChannel } from '../src/shard/control.js';
import { StreamTable } from '../src/shard/streams.js';
import type { StreamKey } from '../src/stream-key.js';

const KEY: StreamKey = { kind: 'id', hex: 'e'.repeat(40) };
const ring = (): RingHandles => createRing({ capacityPackets: 1024 });

/** A control channel whose main answers every `open` with `answer`, counting the requests. */
function fakeMain(answer: (reqId: number) => MainToShard): { control: ControlChannel; opens: () => number } {
  let opens = 0;
  const control = {
    closed: false,
    request(build: (reqId: number) => ShardToMain): Promise<MainToShard | null> {
      const msg = build(opens + 1);
      assert.equal(msg.type, 'open');
      opens++;
      return Promise.resolve(answer(opens));
    },
  };
  return { control: control as unknown as ControlChannel, opens: () => opens };
}

test('a stream this shard was never told about is served from the ring in main’s answer', async () => {
  const handles = ring();
  const main = fakeMain((reqId) => ({
    type: 'opened',
    reqId,
    streamId: 7,
    key: KEY,
    ring: handles,
    error: null,
  }));
  const table = new StreamTable(main.control, 30);
  const got = await table.acquire(KEY);
  assert.equal(got.error, null);
  assert.equal(got.stream?.id, 7);
  assert.equal(table.byId(7), got.stream, 'the answer attached the stream');
  assert.equal(new RingControl(handles).readers, 1, 'the lease is on main’s ring');
  assert.equal(main.opens(), 1);
});

test('a stale entry for the key is replaced by the stream main names', async () => {
  const stale = ring();
  new RingControl(stale).tryClose();
  const fresh = ring();
  const main = fakeMain((reqId) => ({
    type: 'opened',
    reqId,
    streamId: 9,
    key: KEY,
    ring: fresh,
    error: null,
  }));
  const table = new StreamTable(main.control, 30);
  const old = table.attach(3, KEY, stale);
  const got = await table.acquire(KEY);
  assert.equal(got.stream?.id, 9);
  assert.ok(old.detached, 'the stale stream was dropped');
  assert.equal(table.byToken(old.token)?.id, 9);
});

test('an error from main is passed on unchanged', async () => {
  const error = { code: 'SC_ERR_NO_ENGINE', message: 'No engine.' } as const;
  const main = fakeMain((reqId) => ({ type: 'opened', reqId, streamId: null, error }));
  const table = new StreamTable(main.control, 30);
  const got = await table.acquire(KEY);
  assert.equal(got.stream, null);
  assert.deepEqual(got.error, error);
});
