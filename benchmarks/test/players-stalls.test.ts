// The players CLI reports stalls against a gateway fed by a deliberately slow engine
// (engine-sim at 0.8× real time) and none against a healthy one. Both runs go at once (~15 s in all).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { runPlayersCli, type Service, startGateway } from '../src/bench/procs.js';
import type { PlayersReport } from '../src/players/report.js';

// A 1.5 s buffer drains at 0.2 s per second behind a 0.8x engine: dry after ~7.5 s of playback, well
// inside 12 s; a healthy stream keeps it full with room for a loaded machine's jitter.
const PLAYER_ARGS = ['--ts', '3', '--streams', '1', '--duration', '12', '--ramp-up', '1', '--buffer', '1.5'];

const sims: EngineSim[] = [];
const gateways: Service[] = [];

async function gatewayOn(rate: number): Promise<Service> {
  const sim = await startEngineSim({ rate, port: 0 });
  sims.push(sim);
  const gw = await startGateway({ shards: 1, engines: [sim.url] });
  gateways.push(gw);
  return gw;
}

let slow: PlayersReport;
let healthy: PlayersReport;

before(async () => {
  const [slowGw, healthyGw] = await Promise.all([gatewayOn(0.8), gatewayOn(1)]);
  [slow, healthy] = await Promise.all([
    runPlayersCli(slowGw.url, PLAYER_ARGS),
    runPlayersCli(healthyGw.url, PLAYER_ARGS),
  ]);
});

after(async () => {
  await Promise.all(gateways.map((g) => g.child.stop()));
  await Promise.all(sims.map((s) => s.close()));
});

test('players at real time stall behind an engine at 0.8× and report it (exit 1)', () => {
  assert.equal(slow.players.joined, 3);
  assert.ok(slow.stalls.events > 0, `expected stalls, got ${JSON.stringify(slow.stalls)}`);
  assert.ok(slow.stalls.stalledPlayers > 0);
  assert.equal(slow.exitCode, 1);
  assert.equal(slow.errors.total, 0);
});

test('the same players against a healthy engine: no stalls, no errors, valid TS (exit 0)', () => {
  assert.equal(healthy.players.joined, 3);
  assert.equal(healthy.stalls.events, 0, JSON.stringify(healthy.stalls));
  assert.equal(healthy.errors.total, 0, JSON.stringify(healthy.errors));
  assert.deepEqual(healthy.validation, {
    syncErrors: 0,
    ccErrors: 0,
    psiAtJoinFailed: 0,
    keyframeAtJoinFailed: 0,
    segmentsInvalid: 0,
  });
  assert.equal(healthy.exitCode, 0);
  // The PCR estimate drives playout: three players at ~141 kB/s for most of 12 s.
  assert.ok(healthy.egress.bytes > 3 * 141_000 * 5, `bytes ${healthy.egress.bytes}`);
});
