// AfterPoll: segment bodies wait for the end of the poll's handlers. Pure scheduling, no sockets.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AfterPoll } from '../src/http/after-poll.js';

const nextCheck = (): Promise<void> => new Promise((r) => setImmediate(r));

test('deferred tasks run after the synchronous handlers, in the order queued', async () => {
  const order: string[] = [];
  const after = new AfterPoll(() => assert.fail('no task throws'));
  // Three handlers of one poll: two segments, then a playlist answered at once.
  after.defer(() => order.push('segment 1'));
  after.defer(() => order.push('segment 2'));
  order.push('playlist');
  assert.deepEqual(order, ['playlist']);
  await nextCheck();
  assert.deepEqual(order, ['playlist', 'segment 1', 'segment 2']);
});

test('a task queued while the queue runs goes to the next batch, after the handlers in between', async () => {
  const order: string[] = [];
  const after = new AfterPoll(() => assert.fail('no task throws'));
  after.defer(() => {
    order.push('first');
    after.defer(() => order.push('queued by first'));
  });
  after.defer(() => order.push('second'));
  await nextCheck();
  assert.deepEqual(order, ['first', 'second']);
  order.push('a handler of the next poll');
  await nextCheck();
  assert.deepEqual(order, ['first', 'second', 'a handler of the next poll', 'queued by first']);
});

test('a task that throws is reported and the others still run', async () => {
  const errors: unknown[] = [];
  const ran: number[] = [];
  const after = new AfterPoll((err) => errors.push(err));
  after.defer(() => ran.push(1));
  after.defer(() => {
    throw new Error('boom');
  });
  after.defer(() => ran.push(3));
  await nextCheck();
  assert.deepEqual(ran, [1, 3]);
  assert.equal(errors.length, 1);
  assert.equal((errors[0] as Error).message, 'boom');
  // The queue is usable again afterwards.
  after.defer(() => ran.push(4));
  await nextCheck();
  assert.deepEqual(ran, [1, 3, 4]);
});
