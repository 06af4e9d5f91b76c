// A StreamDirectory on its own: fake shards that record what main sends them instead of running, and one
// engine in the registry that nothing ever connects to (at RIG_ENGINE, a port nobody listens on).
import { EngineRegistry, type EngineSource } from '@shardcast/engines';
import { loadConfig } from '../../src/config/load.js';
import { type ShardPort, StreamDirectory } from '../../src/control/directory.js';
import { createLogger } from '../../src/log.js';
import type { MainToShard } from '../../src/protocol.js';

export const RIG_ENGINE = 'http://127.0.0.1:9';

export interface DirectoryRigOptions {
  /** --shards; 2 unless told. */
  readonly shards?: number;
  /** More flags, after `--shards N --engine RIG_ENGINE`. */
  readonly args?: readonly string[];
  /** The registry's streams per engine; 10 unless told. */
  readonly maxStreamsPerEngine?: number;
  /** The engine at RIG_ENGINE; `e`, static unless told. */
  readonly engine?: { readonly id: string; readonly source: EngineSource };
}

export interface DirectoryRig {
  readonly dir: StreamDirectory;
  readonly engines: EngineRegistry;
  /** Every message to a shard in the order sent, with the shard it went to (a broadcast once per shard). */
  readonly sent: Array<[number, MainToShard]>;
  /** The same messages without the shard. */
  readonly messages: MainToShard[];
}

export function directoryRig(options: DirectoryRigOptions = {}): DirectoryRig {
  const size = options.shards ?? 2;
  const { config } = loadConfig(
    ['--shards', String(size), '--engine', RIG_ENGINE, ...(options.args ?? [])],
    {},
  );
  const sent: Array<[number, MainToShard]> = [];
  const messages: MainToShard[] = [];
  const record = (id: number, msg: MainToShard) => {
    sent.push([id, msg]);
    messages.push(msg);
  };
  const shards: ShardPort = {
    size,
    isReady: () => true,
    send: (id, msg) => {
      record(id, msg);
      return true;
    },
    broadcast: (msg) => {
      for (let id = 0; id < size; id++) record(id, msg);
    },
  };
  const engines = new EngineRegistry({ maxStreamsPerEngine: options.maxStreamsPerEngine ?? 10 });
  const engine = options.engine ?? { id: 'e', source: 'static' };
  engines.add({ id: engine.id, url: RIG_ENGINE, source: engine.source });
  const dir = new StreamDirectory(config, createLogger('silent', {}), shards, engines);
  return { dir, engines, sent, messages };
}
