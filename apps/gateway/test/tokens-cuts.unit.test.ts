// Enforcing a reload of the tokens file, in process: a shard's token clients are cut when their token is
// removed or may no longer play their stream (each cut releases its slot once), main picks the newest
// clients beyond a lowered max_clients across every shard's list, and a round waits neither for a shard
// that died nor past its deadline for one that does not answer; a newer reload takes the limits over.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PlayerToken } from '../src/access/token-file.js';
import { nextTokenTable, TokenGate, type TokenTable, tokenTable } from '../src/access/token-gate.js';
import { newestOverLimit, TokenCuts } from '../src/control/token-cuts.js';
import type { Logger } from '../src/log.js';
import type { MainToShard } from '../src/protocol.js';
import { type CutCause, TokenClients } from '../src/shard/token-clients.js';
import type { StreamKey } from '../src/stream-key.js';

const tok = (token: string, maxClients: number | null, channels: string[] | null = null): PlayerToken => ({
  token,
  name: token.slice(0, 8),
  maxClients,
  channels,
});
const SPORTS: StreamKey = { kind: 'channel', hex: 'sports' };
const NEWS: StreamKey = { kind: 'channel', hex: 'news' };

test('a shard cuts the clients a reloaded file no longer allows, and each frees its slot once', () => {
  const first = tokenTable([tok('aaaaaaaa', null), tok('bbbbbbbb', 4)], 2);
  const gate = new TokenGate(first, 0);
  const clients = new TokenClients(gate);
  const cuts: Array<[string, CutCause]> = [];
  /** A client as the routes hold one: counted, recorded, released by its own end. */
  const join = (token: string, key: StreamKey, protocol: 'ts' | 'hls', label: string) => {
    const a = gate.admit(token, key).ok!;
    assert.ok(gate.acquire(a));
    let held = true;
    const c = clients.add(a, key, protocol, (cause) => {
      cuts.push([label, cause]);
      if (held) gate.release(a);
      held = false;
      clients.remove(c);
    });
    return c!;
  };
  join('aaaaaaaa', SPORTS, 'ts', 'a-sports');
  const b1 = join('bbbbbbbb', SPORTS, 'ts', 'b-sports');
  join('bbbbbbbb', NEWS, 'hls', 'b-news-hls');
  join('bbbbbbbb', NEWS, 'ts', 'b-news');
  const slotA = first.slots[0]!;
  const slotB = first.slots[1]!;
  assert.equal(gate.clients(slotB), 3);

  const second = nextTokenTable(first, [tok('bbbbbbbb', 1, ['sports'])])!;
  gate.update(second);
  assert.deepEqual(clients.revoke(), { ts: 2, hls: 1 });
  assert.deepEqual(cuts, [
    ['a-sports', 'SC_ERR_TOKEN_REQUIRED'],
    ['b-news-hls', 'SC_ERR_TOKEN_FORBIDDEN'],
    ['b-news', 'SC_ERR_TOKEN_FORBIDDEN'],
  ]);
  assert.equal(gate.clients(slotA), 0, "the removed token's slot is free");
  assert.equal(gate.clients(slotB), 1, 'the narrowed token counts its one allowed client');
  assert.deepEqual(clients.revoke(), { ts: 0, hls: 0 }, 'nothing is cut twice');
  assert.deepEqual(clients.limited(), [slotB, b1.order], 'the client main weighs against the limit');

  assert.deepEqual(clients.cutOrders([b1.order, b1.order + 1000]), { ts: 1, hls: 0 });
  assert.deepEqual(cuts.at(-1), ['b-sports', 'SC_ERR_TOKEN_LIMIT']);
  assert.deepEqual(clients.cutOrders([b1.order]), { ts: 0, hls: 0 }, 'a client already gone is skipped');
  assert.equal(gate.clients(slotB), 0);
  assert.equal(clients.size, 0);
});

test('the join order is gateway-wide: every gate of one table numbers from one counter', () => {
  const table = tokenTable([tok('aaaaaaaa', null)], 2);
  const shard0 = new TokenGate(table, 0);
  const shard1 = new TokenGate(table, 1);
  const orders = [shard0.joined(), shard1.joined(), shard0.joined()];
  assert.deepEqual(orders, [orders[0], orders[0]! + 1, orders[0]! + 2]);
  const next = nextTokenTable(table, [tok('bbbbbbbb', null)])!;
  assert.equal(new TokenGate(next, 1).joined(), orders[0]! + 3, 'and across reloads');
});

test('over a lowered limit, the newest clients go, whichever shard they are on', () => {
  const table = tokenTable([tok('aaaaaaaa', 2), tok('bbbbbbbb', null), tok('cccccccc', 5)]);
  const [a, b, c] = table.slots as [number, number, number];
  const cut = newestOverLimit(
    table,
    new Map([
      [0, [a, 1, a, 5, c, 2]],
      [1, [a, 3, b, 9, a, 4]],
      [2, [c, 6]],
    ]),
  );
  assert.deepEqual(
    [...cut].sort(),
    [
      [0, [5]],
      [1, [4]],
    ],
    'four clients of a limit of 2: the two newest; the others are within theirs',
  );
});

interface Harness {
  readonly cuts: TokenCuts;
  readonly sent: Array<[number, MainToShard]>;
  readonly lines: Array<Record<string, unknown>>;
  /** Shards without a worker (`send` fails). */
  readonly dead: Set<number>;
}

function harness(size: number, deadlineMs = 5000): Harness {
  const sent: Array<[number, MainToShard]> = [];
  const lines: Array<Record<string, unknown>> = [];
  const dead = new Set<number>();
  const log = { info: (o: object, msg: string) => lines.push({ ...o, msg }) } as unknown as Logger;
  const shards = {
    size,
    send: (id: number, msg: MainToShard) => {
      if (dead.has(id)) return false;
      sent.push([id, msg]);
      return true;
    },
  };
  return { cuts: new TokenCuts(shards, log, deadlineMs), sent, lines, dead };
}

const limited2 = (): { table: TokenTable; slot: number } => {
  const table = tokenTable([tok('aaaaaaaa', 2)], 3);
  return { table, slot: table.slots[0]! };
};

test('a round: every shard cuts and lists, main cuts the newest over the limit, one line counts it all', () => {
  const h = harness(3);
  const { table, slot } = limited2();
  h.dead.add(2);
  h.cuts.apply(table, 'file changed');
  assert.deepEqual(
    h.sent.map(([id, m]) => [id, m.type]),
    [
      [0, 'tokens'],
      [1, 'tokens'],
    ],
    'a dead shard is not sent to (its respawn gets the table at spawn)',
  );
  h.cuts.onAnswer(0, {
    type: 'tokensApplied',
    round: 1,
    cut: { ts: 2, hls: 0 },
    limited: [slot, 1, slot, 5],
  });
  assert.equal(h.sent.length, 2, 'waits for every shard it sent to');
  h.cuts.onAnswer(1, {
    type: 'tokensApplied',
    round: 1,
    cut: { ts: 0, hls: 1 },
    limited: [slot, 3, slot, 4],
  });
  assert.deepEqual(h.sent.slice(2), [
    [0, { type: 'tokenCut', round: 1, orders: [5] }],
    [1, { type: 'tokenCut', round: 1, orders: [4] }],
  ]);
  h.cuts.onAnswer(0, { type: 'tokenCutDone', round: 1, cut: { ts: 1, hls: 0 } });
  assert.equal(h.lines.length, 0);
  h.cuts.onAnswer(1, { type: 'tokenCutDone', round: 1, cut: { ts: 0, hls: 1 } });
  assert.deepEqual(h.lines, [
    { reason: 'file changed', cut: 3, cutOverLimit: 1, hlsSessionsEnded: 2, msg: 'tokens reload enforced' },
  ]);
  h.cuts.onAnswer(1, { type: 'tokenCutDone', round: 1, cut: { ts: 5, hls: 0 } });
  assert.equal(h.lines.length, 1, 'a late or repeated answer changes nothing');
});

test('a shard that dies during a round is not waited for; one that does not answer is named', async () => {
  const h = harness(2);
  const { table, slot } = limited2();
  h.cuts.apply(table, 'SIGHUP');
  h.cuts.onAnswer(0, { type: 'tokensApplied', round: 1, cut: { ts: 0, hls: 0 }, limited: [slot, 1] });
  // Shard 1 held two more clients: gone with it, they are not weighed against the limit.
  h.cuts.shardDown(1);
  assert.equal(h.sent.filter(([, m]) => m.type === 'tokenCut').length, 0, 'one client of 2: nothing over');
  assert.deepEqual(h.lines, [
    { reason: 'SIGHUP', cut: 0, cutOverLimit: 0, hlsSessionsEnded: 0, msg: 'tokens reload enforced' },
  ]);

  const slow = harness(2, 30);
  slow.cuts.apply(table, 'SIGHUP');
  slow.cuts.onAnswer(0, { type: 'tokensApplied', round: 1, cut: { ts: 1, hls: 0 }, limited: [] });
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(slow.lines, [
    {
      reason: 'SIGHUP',
      cut: 1,
      cutOverLimit: 0,
      hlsSessionsEnded: 0,
      shardsUnanswered: [1],
      msg: 'tokens reload enforced',
    },
  ]);
  slow.cuts.stop();
});

test('a newer reload takes the limits over: the earlier round only counts what it cut', () => {
  const h = harness(1);
  const { table, slot } = limited2();
  h.cuts.apply(table, 'file changed');
  const raised = nextTokenTable(table, [tok('aaaaaaaa', 10)])!;
  h.cuts.apply(raised, 'SIGHUP');
  h.cuts.onAnswer(0, {
    type: 'tokensApplied',
    round: 1,
    cut: { ts: 1, hls: 0 },
    limited: [slot, 1, slot, 2, slot, 3],
  });
  assert.equal(h.sent.filter(([, m]) => m.type === 'tokenCut').length, 0, 'not cut under the old limit');
  assert.equal(h.lines.length, 1);
  assert.equal(h.lines[0]!.cut, 1);
  h.cuts.onAnswer(0, {
    type: 'tokensApplied',
    round: 2,
    cut: { ts: 0, hls: 0 },
    limited: [slot, 1, slot, 2, slot, 3],
  });
  assert.equal(h.sent.filter(([, m]) => m.type === 'tokenCut').length, 0, 'three clients of 10');
  assert.equal(h.lines.length, 2);
});
