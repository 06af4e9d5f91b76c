// A gateway with a channel catalog and a tokens file, in front of an engine simulator of its own: the
// set-up of the player-token tests. The files go to a temporary folder that stop() removes;
// writeTokens() replaces the tokens file the way an operator's tooling should (atomically, by a rename).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EngineSim, type EngineSimOptions, startEngineSim } from '@shardcast/engine-sim';
import { writeFileAtomic } from '../../src/channels/catalog-file.js';
import { type GatewayProc, startGateway } from './gateway-proc.js';

/** Two channels, for tests of tokens limited to some of them. */
export const SPORTS_AND_NEWS = [
  { id: 'sports', name: 'Sports', sources: ['1'.repeat(40)] },
  { id: 'news', name: 'News', sources: ['2'.repeat(40)] },
] as const;

export interface TokensRigOptions {
  /** The catalog's channels, as in a channels file. */
  readonly channels: readonly object[];
  /** The tokens file's tokens. */
  readonly tokens: readonly object[];
  /** More gateway flags, after `--engine --channels --tokens`. */
  readonly args?: readonly string[];
  /** The simulator's options; `port: 0` unless told. */
  readonly sim?: EngineSimOptions;
  /** The gateway's environment (test hooks). */
  readonly env?: NodeJS.ProcessEnv;
}

export interface TokensRig {
  readonly sim: EngineSim;
  readonly gw: GatewayProc;
  /** Replaces the tokens file's tokens (written aside, then renamed over it). */
  writeTokens(tokens: readonly object[]): void;
  stop(): Promise<void>;
}

export async function startTokensRig(o: TokensRigOptions): Promise<TokensRig> {
  const dir = mkdtempSync(join(tmpdir(), 'sc-tokens-'));
  const channels = join(dir, 'channels.json');
  const tokens = join(dir, 'tokens.json');
  writeFileSync(channels, JSON.stringify({ channels: o.channels }));
  writeFileSync(tokens, JSON.stringify({ tokens: o.tokens }));
  const sim = await startEngineSim({ port: 0, ...o.sim });
  let gw: GatewayProc;
  try {
    gw = await startGateway(
      ['--engine', sim.url, '--channels', channels, '--tokens', tokens, ...(o.args ?? [])],
      o.env,
    );
  } catch (err) {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    sim,
    gw,
    writeTokens(list) {
      writeFileAtomic(tokens, JSON.stringify({ tokens: list }));
    },
    async stop() {
      await gw.stop();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
