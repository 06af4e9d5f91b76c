// Token tables across reloads: a token still listed keeps its client-count slot (its clients stay counted
// and are released from the same slot), a new token never lands on a slot that still has clients, and a
// gate updated to the new table lets in only the new file's tokens.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type PlayerToken, parseTokens } from '../src/access/token-file.js';
import {
  nextTokenTable,
  releaseShard,
  TOKEN_SLOTS,
  TokenGate,
  tokenTable,
} from '../src/access/token-gate.js';
import { runCli } from './support/cli-startup.js';

const tok = (token: string, maxClients: number | null = null): PlayerToken => ({
  token,
  name: token.slice(0, 8),
  maxClients,
  channels: null,
});

test('kept tokens keep their slot and count; removed ones open nothing; new ones avoid busy slots', () => {
  const first = tokenTable([tok('aaaaaaaa', 2), tok('bbbbbbbb')]);
  const gate = new TokenGate(first);
  const a = gate.admit('aaaaaaaa', null).ok!;
  const b = gate.admit('bbbbbbbb', null).ok!;
  assert.ok(gate.acquire(a));
  assert.ok(gate.acquire(b));

  const second = nextTokenTable(first, [tok('cccccccc'), tok('aaaaaaaa', 2)])!;
  assert.equal(second.counts, first.counts, 'one counts buffer for every table');
  assert.equal(second.slots[1], first.slots[0], 'a kept token keeps its slot');
  assert.notEqual(second.slots[0], first.slots[1], "a new token does not take the removed token's busy slot");
  gate.update(second);
  assert.equal(gate.admit('bbbbbbbb', null).error, 'SC_ERR_TOKEN_REQUIRED', 'a removed token opens nothing');
  const a2 = gate.admit('aaaaaaaa', null).ok!;
  assert.ok(gate.acquire(a2), 'second client of the kept token');
  assert.equal(
    gate.acquire(gate.admit('aaaaaaaa', null).ok!),
    false,
    'its count from before the reload holds',
  );
  assert.equal(gate.clients(second.slots[1]!), 2);

  // The removed token's client leaves: its old slot empties and becomes free for a later reload.
  gate.release(b);
  assert.equal(gate.clients(first.slots[1]!), 0);
  const third = nextTokenTable(second, [tok('cccccccc'), tok('aaaaaaaa', 2), tok('dddddddd')])!;
  assert.equal(third.slots[2], first.slots[1], 'an emptied slot no table uses is reused');
});

test('no free slot: the reload is refused', () => {
  const many = Array.from({ length: TOKEN_SLOTS / 2 }, (_, i) => tok(`token-${String(i).padStart(6, '0')}`));
  const first = tokenTable(many);
  const gate = new TokenGate(first);
  // Every first token has a client (counted straight into its slot: a lookup per token would be slow).
  for (const slot of first.slots) assert.ok(gate.acquire({ index: slot, name: null, max: null }));
  const others = Array.from({ length: TOKEN_SLOTS / 2 }, (_, i) =>
    tok(`other-${String(i).padStart(6, '0')}`),
  );
  const second = nextTokenTable(first, others);
  assert.ok(second, 'half the slots are still free');
  assert.equal(nextTokenTable(second!, [tok('one-more-token')]), null, 'every slot is taken or busy');
});

test('a token removed and listed again gets its old slot back: its clients still count', () => {
  const first = tokenTable([tok('aaaaaaaa', 2), tok('bbbbbbbb')]);
  const gate = new TokenGate(first);
  const a = gate.admit('aaaaaaaa', null).ok!;
  assert.ok(gate.acquire(a));
  assert.ok(gate.acquire(a));
  // Removed by mistake: its two TS clients play on.
  const second = nextTokenTable(first, [tok('bbbbbbbb')])!;
  gate.update(second);
  assert.equal(gate.admit('aaaaaaaa', null).error, 'SC_ERR_TOKEN_REQUIRED');
  const third = nextTokenTable(second, [tok('bbbbbbbb'), tok('cccccccc')])!;
  assert.notEqual(third.slots[1], first.slots[0], 'a new token does not take the busy slot');
  // Listed again: its clients from before still count against max_clients.
  const fourth = nextTokenTable(third, [tok('bbbbbbbb'), tok('cccccccc'), tok('aaaaaaaa', 2)])!;
  gate.update(fourth);
  assert.equal(fourth.slots[2], first.slots[0], 'its old slot');
  assert.equal(gate.acquire(gate.admit('aaaaaaaa', null).ok!), false, 'already at its 2 clients');
  gate.release(a);
  assert.ok(gate.acquire(gate.admit('aaaaaaaa', null).ok!), 'one left: room for one');
});

test("a shard that died takes its clients' counts with it; a limit holds across shards", () => {
  const table = tokenTable([tok('aaaaaaaa', 2)], 2);
  const shard0 = new TokenGate(table, 0);
  const shard1 = new TokenGate(table, 1);
  const a = shard1.admit('aaaaaaaa', null).ok!;
  assert.ok(shard1.acquire(a));
  assert.ok(shard1.acquire(a));
  assert.equal(shard0.acquire(shard0.admit('aaaaaaaa', null).ok!), false, 'the limit counts every shard');
  assert.equal(shard0.clients(a.index), 2);
  // Shard 1 crashes: its two clients are gone, nothing will release them.
  releaseShard(table, 1);
  assert.equal(shard0.clients(a.index), 0);
  assert.ok(shard0.acquire(shard0.admit('aaaaaaaa', null).ok!), 'the token plays again');
  // A reload after the crash sees the slot as free of clients.
  const next = nextTokenTable(table, [tok('bbbbbbbb')])!;
  assert.equal(next.shards, 2);
});

test('a tokens file that is not JSON is named by line and column, never quoted (it may hold a token)', () => {
  const cases: Array<[string, string]> = [
    ['{"tokens":[{"name":"a","token":TOPSECRET-token-xyz}]}', 'line 1, column 32'],
    ['{"tokens": [\n  {"name": "a", "token": "TOPSECRET-token-xyz}\n]}', 'line 2, column 47'],
    ['{"tokens": [{"name": "a", "token": "TOPSECRET-token-xyz"},]}', 'line 1, column 59'],
    ['{"tokens": [{"name": "a", "token": "TOPSECRET-token-xyz"}', 'line 1, column 58'],
  ];
  for (const [text, place] of cases) {
    const r = parseTokens(text);
    assert.equal(r.error, `it is not JSON (a syntax error at ${place})`, text);
    assert.equal(/TOPSECRET|token-xyz/.test(r.error!), false);
  }
});

test('start-up: a tokens file that is not JSON stops the gateway in one sentence without the token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sc-tokens-file-'));
  try {
    const file = join(dir, 'tokens.json');
    writeFileSync(file, '{"tokens":[{"name":"a","token":TOPSECRET-token-xyz}]}\n');
    const r = runCli(['--tokens', file]);
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      `The tokens file ${file} is invalid: it is not JSON (a syntax error at line 1, column 32).\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
