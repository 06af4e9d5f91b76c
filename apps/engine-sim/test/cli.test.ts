// The shardcast-engine-sim CLI: the bin shim, --help, the ready line, clean exit on signals, and one exact
// sentence (exit code 2) per invalid flag value.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { spawnSim } from './helpers.js';

const BIN = fileURLToPath(new URL('../../bin/shardcast-engine-sim.js', import.meta.url));

function run(args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10_000 });
}

describe('shardcast-engine-sim CLI', () => {
  it('ships an executable bin shim that loads the compiled CLI', () => {
    assert.ok((statSync(BIN).mode & 0o111) !== 0);
    const text = readFileSync(BIN, 'utf8');
    assert.ok(text.startsWith('#!/usr/bin/env node\n'));
    assert.match(text, /\.\.\/dist\/src\/cli\.js/);
  });

  it('prints usage for --help and exits 0', () => {
    const r = run(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: shardcast-engine-sim/);
    assert.match(r.stdout, /--burst-seconds/);
  });

  for (const [args, sentence] of [
    [['--port', '70000'], '--port must be an integer from 0 to 65535.'],
    [['--rate', '0'], '--rate must be a number above 0 and at most 1000, or "max".'],
    [['--rate', 'fast'], '--rate must be a number above 0 and at most 1000, or "max".'],
    [['--burst-seconds=-1'], '--burst-seconds must be a number of seconds from 0 to 600.'],
    [['--host', 'a b'], '--host must be a host name or IP address.'],
    [['--stall-for-s', 'x'], '--stall-for-s must be a number of seconds from 0 to 86400.'],
    [['--start-status', '200'], '--start-status must be an HTTP status from 400 to 599.'],
    [['--drop-after-bytes', '1.5'], '--drop-after-bytes must be a non-negative integer number of bytes.'],
  ] as const) {
    it(`refuses ${args.join(' ')} with one sentence`, () => {
      const r = run([...args]);
      assert.equal(r.status, 2);
      assert.equal(r.stderr, `${sentence}\n`);
      assert.equal(r.stdout, '');
    });
  }

  it('refuses an unknown flag', () => {
    const r = run(['--bogus']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--bogus/);
    assert.match(r.stderr, /see --help\.\n$/);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`prints the ready line, serves, and exits 0 on ${signal}`, async () => {
      const { child, url } = await spawnSim([]);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${url}/server/api?api_version=3&method=get_status`);
      assert.equal(res.status, 200);
      await res.text();
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill(signal);
      assert.equal(await exited, 0);
    });
  }
});
