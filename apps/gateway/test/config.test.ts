// Every invalid configuration value stops the gateway with one exact sentence (one test per sentence).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DOCKER_STARTUP_TIMEOUT_MS } from '@shardcast/docker-engines';
import { helpText, loadConfig } from '../src/config/load.js';
import { OPTIONS } from '../src/config/schema.js';
import { ConfigError, type GatewayConfig } from '../src/config/types.js';
import { type CliOptions, runCli, spawnCli, spawnCliAsync } from './support/cli-startup.js';
import { startGateway } from './support/gateway-proc.js';

/** True only when A and B are the same type (a compile-time check). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

function sentence(argv: string[], env: NodeJS.ProcessEnv = {}): string {
  try {
    loadConfig(argv, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`expected ${argv.join(' ')} to be rejected`);
}

const dir = mkdtempSync(join(tmpdir(), 'shardcast-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe('configuration sentences', () => {
  const cases: Array<[string, string[], NodeJS.ProcessEnv, string]> = [
    ['unknown flag', ['--prot', '1'], {}, 'Unknown option --prot; run shardcast --help for the options.'],
    ['stray argument', ['8000'], {}, 'Unexpected argument "8000"; run shardcast --help for the options.'],
    ['missing value', ['--port'], {}, 'Option --port needs a value.'],
    [
      'port not a number',
      ['--port', 'abc'],
      {},
      'Invalid --port "abc": expected an integer from 0 to 65535.',
    ],
    [
      'port out of range',
      ['--port', '70000'],
      {},
      'Invalid --port "70000": expected an integer from 0 to 65535.',
    ],
    [
      'port from env',
      [],
      { SHARDCAST_PORT: '-1' },
      'Invalid SHARDCAST_PORT "-1": expected an integer from 0 to 65535.',
    ],
    ['shards zero', ['--shards', '0'], {}, 'Invalid --shards "0": expected an integer from 1 to 64.'],
    ['shards fractional', ['--shards=1.5'], {}, 'Invalid --shards "1.5": expected an integer from 1 to 64.'],
    ['port in hex', ['--port', '0x50'], {}, 'Invalid --port "0x50": expected an integer from 0 to 65535.'],
    [
      'grace in exponent form',
      ['--grace-seconds', '1e3'],
      {},
      'Invalid --grace-seconds "1e3": expected a number from 0 to 3600.',
    ],
    [
      'grace negative',
      ['--grace-seconds', '-2'],
      {},
      'Invalid --grace-seconds "-2": expected a number from 0 to 3600.',
    ],
    [
      'engine not a url',
      ['--engine', 'localhost:6878'],
      {},
      'Invalid --engine "localhost:6878": expected an http:// or https:// URL with only a host and port.',
    ],
    [
      'engine with path',
      ['--engine', 'http://h:6878/ace'],
      {},
      'Invalid --engine "http://h:6878/ace": expected an http:// or https:// URL with only a host and port.',
    ],
    [
      'engine list from env',
      [],
      { SHARDCAST_ENGINES: 'http://a:1,ftp://b' },
      'Invalid SHARDCAST_ENGINES "ftp://b": expected an http:// or https:// URL with only a host and port.',
    ],
    [
      'events url with query',
      ['--events-url', 'http://o/x?a=1'],
      {},
      'Invalid --events-url "http://o/x?a=1": expected an http:// or https:// URL without credentials or query.',
    ],
    ['enum', ['--upstream', 'rtmp'], {}, 'Invalid --upstream "rtmp": expected one of auto, ts, hls.'],
    [
      'log level',
      ['--log-level', 'loud'],
      {},
      'Invalid --log-level "loud": expected one of fatal, error, warn, info, debug, trace, silent.',
    ],
    [
      'bool env',
      [],
      { SHARDCAST_ALLOW_UWS_FALLBACK: 'maybe' },
      'Invalid SHARDCAST_ALLOW_UWS_FALLBACK "maybe": expected true or false.',
    ],
    [
      'api key with space (not echoed)',
      ['--api-key', 'my key'],
      {},
      'Invalid --api-key: expected a non-empty string of at most 256 characters without spaces.',
    ],
    [
      'sim rate',
      ['--sim-rate', 'fast'],
      {},
      'Invalid --sim-rate "fast": expected a factor above 0 and at most 100, or "max".',
    ],
    [
      'sim rate zero (the sentence does not offer 0)',
      ['--sim-rate', '0'],
      {},
      'Invalid --sim-rate "0": expected a factor above 0 and at most 100, or "max".',
    ],
    [
      'epg with a scheme it cannot read',
      ['--epg', 'ftp://guides.example/epg.xml'],
      {},
      'Invalid --epg "ftp://guides.example/epg.xml": expected a file or an http(s) URL.',
    ],
    [
      'docker label',
      ['--docker-label', 'a=b=c'],
      {},
      'Invalid --docker-label "a=b=c": expected a label as key or key=value.',
    ],
    [
      'provision without a template',
      ['--provision', 'on'],
      {},
      '--provision on needs --provision-template <file.json> (a Docker create-container body).',
    ],
    [
      'provision with docker off',
      ['--provision', 'on', '--provision-template', '/x.json', '--docker', 'off'],
      {},
      '--provision on needs Docker: remove --docker off.',
    ],
    [
      'provision min above max',
      ['--provision', 'on', '--provision-template', '/x.json', '--provision-min', '5'],
      {},
      '--provision-min 5 must not exceed --provision-max 4.',
    ],
    [
      'provision ports fewer than the maximum',
      ['--provision', 'on', '--provision-template', '/x.json', '--provision-ports', '20000-20003'],
      {},
      '--provision-ports 20000-20003 holds 4 ports; --provision-max 4 needs 5 (one more for a replacement while an engine drains).',
    ],
    [
      'provision ports',
      ['--provision-ports', '20000-19000'],
      {},
      'Invalid --provision-ports "20000-19000": expected a port range first-last within 1-65535.',
    ],
    ['provision mode', ['--provision', 'yes'], {}, 'Invalid --provision "yes": expected one of on, off.'],
  ];
  for (const [name, argv, env, expected] of cases) {
    test(name, () => assert.equal(sentence(argv, env), expected));
  }

  test('provisioned engines carry 3 streams unless --engine-max-streams says otherwise', () => {
    const on = ['--provision', 'on', '--provision-template', '/x.json'];
    assert.equal(loadConfig(on, {}).config.engineMaxStreams, 3);
    assert.equal(loadConfig([...on, '--engine-max-streams', '5'], {}).config.engineMaxStreams, 5);
    assert.equal(
      loadConfig([], {
        SHARDCAST_ENGINE_MAX_STREAMS: '7',
        SHARDCAST_PROVISION: 'on',
        SHARDCAST_PROVISION_TEMPLATE: '/x.json',
      }).config.engineMaxStreams,
      7,
    );
    assert.equal(loadConfig([], {}).config.engineMaxStreams, 100);
  });

  test('--api-key-file: the key is the first line; the key never appears in a message', () => {
    const p = file('key.txt', 's3cret-key\n');
    assert.equal(loadConfig(['--api-key-file', p], {}).config.apiKey, 's3cret-key');
    assert.equal(loadConfig([], { SHARDCAST_API_KEY_FILE: p }).config.apiKey, 's3cret-key');
  });
  test('--api-key-file and --api-key together', () => {
    const p = file('key2.txt', 'k\n');
    assert.equal(
      sentence(['--api-key-file', p], { SHARDCAST_API_KEY: 'other' }),
      'Give the API key with --api-key or --api-key-file, not both.',
    );
  });
  test('--api-key-file missing', () => {
    const p = join(dir, 'no-key.txt');
    assert.equal(sentence(['--api-key-file', p]), `Cannot read --api-key-file ${p} (ENOENT).`);
  });
  test('--api-key-file empty or with spaces', () => {
    for (const [name, text] of [
      ['empty.txt', ''],
      ['spaced.txt', 'my secret key\n'],
    ] as const) {
      const p = file(name, text);
      const got = sentence(['--api-key-file', p]);
      assert.equal(
        got,
        `The key in --api-key-file ${p} must be one line of at most 256 characters without spaces.`,
      );
      assert.ok(!got.includes('secret'), 'the key is not echoed');
    }
  });
  test('config file missing', () => {
    const p = join(dir, 'nope.json');
    assert.equal(sentence(['--config', p]), `Cannot read config file ${p} (ENOENT).`);
  });
  test('config file not JSON', () => {
    const p = file('bad.json', '{port: 1');
    assert.equal(sentence(['--config', p]), `Config file ${p} is not valid JSON.`);
  });
  test('config file not an object', () => {
    const p = file('arr.json', '[1]');
    assert.equal(sentence(['--config', p]), `Config file ${p} must hold a JSON object.`);
  });
  test('config file unknown key', () => {
    const p = file('unk.json', '{"prot": 1}');
    assert.equal(sentence(['--config', p]), `Unknown key "prot" in config file ${p}.`);
  });
  test('config file bad value', () => {
    const p = file('val.json', '{"port": "x"}');
    assert.equal(
      sentence(['--config', p]),
      `Invalid port "x" in config file ${p}: expected an integer from 0 to 65535.`,
    );
  });
});

describe('configuration precedence', () => {
  test('flags beat environment beat file beat defaults', () => {
    const p = file('prec.json', JSON.stringify({ port: 1111, graceSeconds: 9, maxStreams: 7 }));
    const { config } = loadConfig(['--config', p, '--port', '3333'], {
      SHARDCAST_PORT: '2222',
      SHARDCAST_GRACE_SECONDS: '8',
    });
    assert.equal(config.port, 3333);
    assert.equal(config.graceSeconds, 8);
    assert.equal(config.maxStreams, 7);
    assert.equal(config.flushMs, 20);
  });
  test('repeatable --engine and defaults', () => {
    const { config } = loadConfig(['--engine', 'http://a:6878/', '--engine=http://b:6879'], {});
    assert.deepEqual(config.engines, ['http://a:6878', 'http://b:6879']);
    assert.equal(config.port, 8000);
    assert.ok(config.shards >= 1);
    assert.equal(config.apiKey, undefined);
  });
  test('the config has exactly the keys of the option table (its type is derived from it)', () => {
    const { config } = loadConfig([], {});
    assert.deepEqual(Object.keys(config).sort(), OPTIONS.map((o) => o.key).sort());
    // Compile-time: the derived types follow each option's kind, choices and default.
    const docker: GatewayConfig['docker'] = config.docker;
    const port: GatewayConfig['port'] = config.port;
    const metricsPort: GatewayConfig['metricsPort'] = config.metricsPort;
    const exact: [
      Equal<typeof docker, 'auto' | 'on' | 'off'>,
      Equal<typeof port, number>,
      Equal<typeof metricsPort, number | undefined>,
    ] = [true, true, true];
    assert.deepEqual(exact, [true, true, true]);
  });
  test('--help lists every flag with its environment variable', () => {
    const text = helpText();
    for (const flag of ['--port', '--shards', '--engine', '--api-key', '--config'])
      assert.match(text, new RegExp(flag));
    assert.match(text, /SHARDCAST_API_KEY/);
  });
});

describe('unknown SHARDCAST_ variables', () => {
  test('are reported with the setting they most likely meant; the deploy files’ and tests’ are not', () => {
    const r = loadConfig([], {
      SHARDCAST_ENGINE: 'http://e1:6878',
      SHARDCAST_GRACE_SECOND: '3',
      SHARDCAST_SOMETHING_ELSE: 'x',
      SHARDCAST_PORT: '8000',
      SHARDCAST_LB_BIND: ':8080',
      SHARDCAST_GW1: '127.0.0.1:8001',
      SHARDCAST_TEST_HOLD_SHARDS: '1',
    });
    assert.deepEqual(r.unknownEnv, [
      { name: 'SHARDCAST_ENGINE', suggestion: 'SHARDCAST_ENGINES' },
      { name: 'SHARDCAST_GRACE_SECOND', suggestion: 'SHARDCAST_GRACE_SECONDS' },
      { name: 'SHARDCAST_SOMETHING_ELSE', suggestion: null },
    ]);
    assert.deepEqual(r.config.engines, [], 'still ignored: a warning, not a refusal');
  });
});

describe('the CLI', () => {
  // The CLI told to listen on 127.0.0.1:port with this many shards, and these flags.
  const onPort = (port: number, shards: string, flags: readonly string[], options?: CliOptions) =>
    spawnCli(['--host', '127.0.0.1', '--port', String(port), '--shards', shards, ...flags], options);
  test('exits with status 2 and only the sentence on stderr', () => {
    const r = spawnCli(['--port', 'abc']);
    assert.equal(r.status, 2);
    assert.equal(r.stderr, 'Invalid --port "abc": expected an integer from 0 to 65535.\n');
    assert.equal(r.stdout, '');
  });
  test('--help prints usage and exits 0', () => {
    const r = spawnCli(['--help']);
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^Usage: shardcast/);
  });
  test('--docker on without a daemon refuses to start, in one sentence', () => {
    const r = spawnCli(['--port', '0', '--docker', 'on'], {
      env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    });
    assert.equal(r.status, 1);
    assert.equal(
      r.stderr,
      '--docker on, but no Docker socket at /nonexistent/docker.sock (set DOCKER_HOST to use another daemon).\n',
    );
    assert.doesNotMatch(r.stdout, /engine simulator/, 'no simulator started in its place');
  });
  test('--docker on with a daemon address that refuses connections says so when it refuses to start', async () => {
    const { createServer } = await import('node:net');
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    const port = await new Promise<number>((r) =>
      probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)),
    );
    await new Promise((r) => probe.close(r));
    const r = await spawnCliAsync(['--port', '0', '--docker', 'on'], {
      env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` },
    });
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^--docker on, but the Docker daemon at \\S*127\\.0\\.0\\.1:${port}\\S* does not answer \\(ECONNREFUSED: [^\\n]*\\)\\.\\n$`,
      ),
    );
  });

  // A socket that accepts connections but never answers an HTTP request (a hung daemon): start-up is
  // refused once the start-up deadline passes, naming the timeout, not after the longer call deadlines.
  async function refusalOnSilentSocket(name: string, args: readonly string[]) {
    const { createServer } = await import('node:net');
    const sock = join(dir, name);
    const srv = createServer(() => {});
    await new Promise<void>((r) => srv.listen(sock, r));
    try {
      const { status, stderr } = await spawnCliAsync(['--port', '0', ...args], {
        env: { DOCKER_HOST: `unix://${sock}` },
      });
      return { code: status, stderr, sock };
    } finally {
      srv.close();
    }
  }
  const timeoutCause = `timeout: no reply within ${DOCKER_STARTUP_TIMEOUT_MS / 1000} s`;

  test('--docker on with a socket nobody answers on refuses to start, naming the timeout', async () => {
    const r = await refusalOnSilentSocket('silent-docker.sock', ['--docker', 'on']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `--docker on, but the Docker daemon at unix://${r.sock} does not answer (${timeoutCause}).\n`,
    );
  });
  test('--provision on with a socket nobody answers on refuses to start, naming the timeout', async () => {
    const template = join(dir, 'silent-template.json');
    writeFileSync(template, JSON.stringify({ Image: 'engine', Cmd: ['--port', '{port}'] }));
    const r = await refusalOnSilentSocket('silent-provision.sock', [
      '--provision',
      'on',
      '--provision-template',
      template,
    ]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `--provision on, but the Docker daemon at unix://${r.sock} does not answer (${timeoutCause}).\n`,
    );
  });
  test('a public port in use stops start-up with one sentence on stderr, no stack trace', async () => {
    const { createServer } = await import('node:net');
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = onPort(port, '2', [
        '--docker',
        'off',
        '--engine',
        'http://127.0.0.1:9',
        '--log-format',
        'json',
      ]);
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `Port ${port} on 127.0.0.1 is already in use.\n`);
      assert.doesNotMatch(r.stdout, /"stack"/, 'no stack trace in the log either');
    } finally {
      taken.close();
    }
  });
  test('the port of a running gateway is in use too (its shards listen with SO_REUSEPORT)', async () => {
    const first = await startGateway(['--shards', '1', '--engine', 'http://127.0.0.1:9']);
    try {
      const r = onPort(first.port, '1', ['--docker', 'off', '--engine', 'http://127.0.0.1:9']);
      assert.equal(r.status, 1, 'the second gateway does not share the first one’s port');
      assert.equal(r.stderr, `Port ${first.port} on 127.0.0.1 is already in use.\n`);
    } finally {
      await first.stop();
    }
  });
  test('a gateway refused for its port has not touched Docker (no provisioning, no adoption)', async () => {
    const first = await startGateway(['--shards', '1', '--engine', 'http://127.0.0.1:9']);
    const template = join(dir, 'engine-template.json');
    writeFileSync(template, JSON.stringify({ Image: 'engine', Cmd: ['--port', '{port}'] }));
    try {
      // A daemon address nothing answers on: had provisioning started, the refusal would be about Docker
      // (and a real daemon's engines of the same --provision-id would have been adopted).
      const provisioning = ['--docker', 'on', '--provision', 'on', '--provision-template', template];
      const r = onPort(first.port, '1', provisioning, {
        env: { DOCKER_HOST: 'tcp://127.0.0.1:9' },
        timeout: 60_000,
      });
      assert.equal(r.status, 1);
      assert.equal(r.stderr, `Port ${first.port} on 127.0.0.1 is already in use.\n`);
    } finally {
      await first.stop();
    }
  });
  test('a host that does not resolve stops start-up with one sentence', () => {
    const r = runCli(['--host', 'nosuch.invalid', '--engine', 'http://127.0.0.1:9']);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'Cannot listen on nosuch.invalid (ENOTFOUND).\n');
  });
  test('refuses the uWS JavaScript fallback, naming the cause', () => {
    const r = spawnCli(['--port', '0', '--engine', 'http://127.0.0.1:9'], { env: { UWS_USE_FALLBACK: '1' } });
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr,
      'uWebSockets.js native binary did not load (UWS_USE_FALLBACK is set in the environment); refusing to run on its slow pure-JS fallback (pass --allow-uws-fallback to override).\n',
    );
  });
});
