/**
 * `shardcast-players`: simulated viewers against any Shardcast or AceStream-compatible base URL.
 * Exit codes: 0 healthy, 1 degraded (stalls, errors or failed checks), 2 usage, 3 nothing received.
 */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../util/args.js';
import { parsePlayersArgs } from './options.js';
import { ProgressLine } from './progress.js';
import { EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, renderSummary } from './report.js';
import { runPlayers } from './runner.js';

const HELP = `Usage: shardcast-players --url http://HOST:PORT [options]

Simulated viewers against a Shardcast gateway or any AceStream-compatible proxy.

Players:
  --ts N              progressive MPEG-TS players (GET <ts-path>?id=ID), read at real time
  --hls N             HLS players (GET <hls-path>?id=ID), RFC 8216 reload rules
  --streams S         spread players over S deterministic content ids (default 1)
  --ids A,B,...       explicit 40-hex content ids instead (with --streams: the first S)
  --url URL           base URL (default http://127.0.0.1:8000)
  --ts-path P         default /ace/getstream
  --hls-path P        default /ace/manifest.m3u8

Timing:
  --duration S        run length after the prewarm, ramp-up included (default 30)
  --ramp-up S         start the players evenly over S seconds (default min(5, duration/2))
  --warm-up S         open the measurement window S seconds after the ramp-up ends (default 0)
  --join-timeout S    prewarm: wait this long for the first player of each stream (default 30)
  --read-timeout S    a player with nothing to read for S seconds fails with "timeout" (default 10)
  --no-prewarm        do not start one player per stream first (all joins then count as warm)

Playback:
  --buffer S          seconds buffered before playing, and after a stall (default 2)
  --max-buffer S      stop reading above S buffered seconds (default max(10, 2 x buffer))
  --bitrate B         media bitrate in bit/s (1128000, 1128k, 1.1M) instead of the PCR estimate
  --pace P            realtime (default) or none (read as fast as possible; no stalls counted)
  --validate V        full (default): sync, continuity, PAT/PMT + keyframe at join, segment checks;
                      join: only the first 256 KiB of each TS player; off

Output and scale:
  --json FILE         write the JSON report to FILE
  --quiet             no progress line and no summary (exit code and --json only)
  --workers N         spread the players over N worker threads (default 1)

A stall is counted when a player's buffer runs dry while playing. Exit codes: 0 healthy (no errors, no
stalls, all checks passed); 1 degraded (the run completed with stalls, errors or failed checks);
2 usage error; 3 nothing received at all (target down or wrong URL); 130 interrupted (Ctrl-C; the
report covers what ran).
`;

async function main(): Promise<void> {
  let cli: ReturnType<typeof parsePlayersArgs>;
  try {
    cli = parsePlayersArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(EXIT_USAGE);
  }
  if (cli === 'help') {
    process.stdout.write(HELP);
    return;
  }
  const line = cli.quiet ? null : new ProgressLine(process.stderr.isTTY === true);
  let interrupted = false;
  const abort = new AbortController();
  process.once('SIGINT', () => {
    // The first Ctrl-C ends the run early with a report; a second one quits at once.
    interrupted = true;
    abort.abort();
    process.stderr.write('\ninterrupted: finishing the report (Ctrl-C again to quit now)\n');
    process.once('SIGINT', () => process.exit(130));
  });
  const report = await runPlayers(cli.options, {
    onProgress: line ? (f) => line.update(f, Date.now()) : undefined,
    signal: abort.signal,
  });
  line?.done();
  if (cli.jsonPath) writeFileSync(cli.jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  if (!cli.quiet) process.stdout.write(`${renderSummary(report)}\n`);
  process.exit(interrupted ? EXIT_INTERRUPTED : report.exitCode);
}

main().catch((err: unknown) => {
  process.stderr.write(`shardcast-players failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT_FAILED);
});
