#!/usr/bin/env node
// shardcast-engine-sim: runs the simulator as a process. Prints exactly one line,
// `engine-sim listening on http://HOST:PORT`, on stdout when ready; exits cleanly on SIGINT/SIGTERM, and when
// the parent that started it with an IPC channel goes away.
import { parseArgs } from 'node:util';
import { startEngineSim } from './engine-sim.js';
import { FAULT_KEYS, type FaultKey, type Faults, faultFlag } from './faults.js';
import { EngineSimOptionError, type EngineSimOptions, type OptionNaming, resolveOptions } from './options.js';

const DEFAULT_PORT = 6878;
const EXIT_USAGE = 2;
const SHUTDOWN_GRACE_MS = 3_000;

const HELP = `Usage: shardcast-engine-sim [options]

A simulated AceStream engine: real H.264+AAC MPEG-TS looped seamlessly at real-time pace, HLS, faults on demand.

Options:
  --port N                    TCP port (default ${DEFAULT_PORT}; 0 = any free port)
  --host ADDR                 interface to listen on (default 127.0.0.1)
  --advertised-host H[:P]     host to put in playback/stat/command URLs (default: the request's Host)
  --rate R                    playback speed factor by PCR (default 1; e.g. 0.8, 2) or "max" (unpaced)
  --burst-seconds N           start N seconds behind live and send them at once (default 0)
  --hls-only                  answer /ace/getstream with 404; /ace/manifest.m3u8 works
  --fixture FILE              MPEG-TS file to loop (default: the committed 8 s fixture)
  --session-idle-seconds N    end sessions idle this long (default 60)
  --hls-window N              segments in the engine playlist (default 6)
  --hls-segment-seconds N     HLS segment length to aim for (default 2, cut at keyframes)
  --tick-ms N                 pacing batch interval (default 20)
  --help                      show this help

Faults (defaults for new sessions; also query parameters with the camelCase name, e.g.
?stallForS=5, and JSON on POST /sim/faults):
  --start-delay-ms N          answer session starts N ms late
  --start-error TEXT          answer session starts with {"response": null, "error": TEXT}
  --start-status CODE         answer session starts with HTTP CODE (400-599)
  --stall-after-s N           begin the stall after N s of streaming (default 0)
  --stall-for-s N             send nothing for N s, then resume
  --eof-after-s N             end playback cleanly after N s
  --zero-byte-eof             answer playback with 200 and no bytes
  --drop-after-bytes N        cut the connection after N body bytes
  --garbage-after-s N         after N s of valid TS send --garbage instead, for good (default 0)
  --garbage KIND              random | html | null-only | single-pid (default random): bytes that carry
                              no program (lost sync, an error page, only null packets, one unlisted PID)
  --status-error TEXT         engine-wide: get_status answers {"result": null, "error": TEXT} (the engine
                              looks unhealthy); on POST /sim/faults as the global "statusError"

Admin: GET /sim/stats, GET|POST|DELETE /sim/faults, POST /sim/kill.
`;

const FLAG_OF: Partial<Record<keyof EngineSimOptions, string>> = {
  port: '--port',
  host: '--host',
  advertisedHost: '--advertised-host',
  rate: '--rate',
  burstSeconds: '--burst-seconds',
  hlsOnly: '--hls-only',
  fixturePath: '--fixture',
  sessionIdleSeconds: '--session-idle-seconds',
  hlsWindow: '--hls-window',
  hlsSegmentSeconds: '--hls-segment-seconds',
  tickMs: '--tick-ms',
};

const byFlag: OptionNaming = (option) =>
  FLAG_OF[option as keyof EngineSimOptions] ?? faultFlag(option as FaultKey);

function parseCli(argv: string[]): EngineSimOptions | 'help' {
  const str = { type: 'string' } as const;
  const bool = { type: 'boolean' } as const;
  const faultOptions = Object.fromEntries(
    FAULT_KEYS.map((k) => [faultFlag(k).slice(2), k === 'zeroByteEof' ? bool : str]),
  );
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: bool,
      port: str,
      host: str,
      'advertised-host': str,
      rate: str,
      'burst-seconds': str,
      'hls-only': bool,
      fixture: str,
      'session-idle-seconds': str,
      'hls-window': str,
      'hls-segment-seconds': str,
      'tick-ms': str,
      ...faultOptions,
    },
  });
  if (values.help) return 'help';
  const v = values as Record<string, string | boolean | undefined>;
  const num = (flag: string): number | undefined => {
    const raw = v[flag];
    return typeof raw === 'string' ? (raw.trim() === '' ? Number.NaN : Number(raw)) : undefined;
  };
  const faults: Record<string, unknown> = {};
  for (const k of FAULT_KEYS) {
    const raw = v[faultFlag(k).slice(2)];
    if (raw !== undefined) faults[k] = raw;
  }
  const rate = v.rate;
  return {
    port: num('port') ?? DEFAULT_PORT,
    host: v.host as string | undefined,
    advertisedHost: v['advertised-host'] as string | undefined,
    rate: rate === 'max' ? 'max' : num('rate'),
    burstSeconds: num('burst-seconds'),
    hlsOnly: v['hls-only'] === true,
    fixturePath: v.fixture as string | undefined,
    sessionIdleSeconds: num('session-idle-seconds'),
    hlsWindow: num('hls-window'),
    hlsSegmentSeconds: num('hls-segment-seconds'),
    tickMs: num('tick-ms'),
    faults: faults as Faults,
  };
}

async function main(): Promise<void> {
  let options: EngineSimOptions | 'help';
  try {
    options = parseCli(process.argv.slice(2));
    if (options !== 'help') resolveOptions(options, byFlag);
  } catch (err) {
    const message =
      err instanceof EngineSimOptionError ? err.message : `${(err as Error).message}; see --help.`;
    process.stderr.write(`${message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const sim = await startEngineSim(options);
  process.stdout.write(`engine-sim listening on ${sim.url}\n`);
  const shutdown = (): void => {
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    sim.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // Started by a parent with an IPC channel (the gateway's embedded default): the channel closes when the
  // parent dies, even by SIGKILL, which sends the child no signal. Follow the parent out instead of
  // living on as an orphan that holds its port. The channel must not keep this process alive by itself.
  if (process.channel) {
    process.channel.unref();
    process.once('disconnect', shutdown);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`engine-sim failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
