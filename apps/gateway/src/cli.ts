/**
 * `shardcast` entry point: validate configuration once (one exact sentence and exit status 2 on any bad
 * value), start the gateway, and shut it down gracefully on SIGINT/SIGTERM.
 */
import { helpText, loadConfig } from './config/load.js';
import { ConfigError } from './config/types.js';
import { Gateway, StartupError } from './control/gateway.js';
import { createLogger, resolveLogFormat } from './log.js';
import { UwsLoadError } from './uws.js';

const EXIT_CONFIG = 2;
const EXIT_STARTUP = 1;

async function main(): Promise<void> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  if (loaded.help) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  // Shards log through main's stdout: decide the format here, once, and hand it down.
  const config = {
    ...loaded.config,
    logFormat: resolveLogFormat(loaded.config.logFormat, process.stdout.isTTY === true),
  };
  const log = createLogger(config.logLevel, {}, config.logFormat);
  for (const { name, suggestion } of loaded.unknownEnv) {
    log.warn(
      { variable: name, ...(suggestion ? { suggestion } : {}) },
      `${name} is not a Shardcast setting and is ignored${suggestion ? ` (did you mean ${suggestion}?)` : ''}`,
    );
  }
  if (process.argv.some((a) => a === '--api-key' || a.startsWith('--api-key='))) {
    log.warn(
      '--api-key on the command line is visible to every local user (ps); prefer SHARDCAST_API_KEY or --api-key-file',
    );
  }
  const stop = (gateway: Gateway): void => {
    gateway.stop().then(
      (clean) => process.exit(clean ? 0 : 1),
      (err: unknown) => {
        log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  let gateway: Gateway | null = null;
  let signals = 0;
  // Listening from before start-up: a signal while it runs (engine containers may be on their way) stops
  // the gateway as soon as it is up, with the usual clean-up, instead of killing it half started.
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      if (signals > 2) return;
      log.warn({ signal }, 'second signal: exiting now');
      // Exiting while a shard's uWS app is open aborts the process (SIGABRT): the shards close first.
      Gateway.abort().finally(() => process.exit(130));
      return;
    }
    log.info({ signal }, gateway ? 'shutting down' : 'shutting down once started');
    if (gateway) stop(gateway);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    gateway = await Gateway.start(config, log);
  } catch (err) {
    if (err instanceof UwsLoadError || err instanceof StartupError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(err instanceof UwsLoadError ? EXIT_CONFIG : EXIT_STARTUP);
    }
    throw err;
  }
  if (signals > 0) stop(gateway);
}

main().catch((err: unknown) => {
  process.stderr.write(`Shardcast failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(EXIT_STARTUP);
});
