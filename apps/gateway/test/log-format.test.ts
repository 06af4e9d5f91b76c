// Logs: JSON lines when stdout is not a terminal (the default `auto` under a pipe), readable lines from
// pino-pretty with --log-format pretty, from main and the shards alike, with the same fields.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { resolveLogFormat } from '../src/log.js';

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** Runs the gateway until its ready line (debug level: shard lines too), then stops it; returns stdout. */
function runUntilReady(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        CLI,
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--docker',
        'off',
        '--shards',
        '2',
        '--log-level',
        'debug',
        ...args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`no ready line: ${out}`));
    }, 30_000);
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (c: string) => {
      out += c;
      if (out.includes('Shardcast ready')) proc.kill('SIGTERM');
    });
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

test('auto is pretty at a terminal, JSON otherwise; explicit formats win', () => {
  assert.equal(resolveLogFormat('auto', true), 'pretty');
  assert.equal(resolveLogFormat('auto', false), 'json');
  assert.equal(resolveLogFormat('json', true), 'json');
  assert.equal(resolveLogFormat('pretty', false), 'pretty');
});

test('under a pipe the default is one JSON object per line', async () => {
  const out = await runUntilReady([]);
  const lines = out.split('\n').filter(Boolean);
  assert.ok(lines.length > 2);
  for (const l of lines) JSON.parse(l);
  assert.ok(
    lines.some((l) => JSON.parse(l).shard !== undefined),
    'shard lines are JSON too',
  );
});

test('--log-format pretty writes readable lines with the same fields, shards included', async () => {
  const out = await runUntilReady(['--log-format', 'pretty']);
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  assert.ok(lines.length > 2);
  assert.ok(
    lines.every((l) => !l.trimStart().startsWith('{')),
    'no JSON line',
  );
  assert.ok(
    lines.some((l) => /INFO.*Shardcast ready/.test(l)),
    'level and message',
  );
  assert.ok(out.includes('shard: '), 'the shard field of shard lines');
});
