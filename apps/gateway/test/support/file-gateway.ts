// A gateway given one file it reads (and watches): a channel catalog (`--channels`), an API key file
// (`--api-key-file`). The file goes to a temporary folder that stop() removes; `file` is its path, for tests
// that rewrite it. startFileGateway puts it in front of the test's engine simulator (the test closes it);
// startFileRig in front of one of its own, which stop() closes too.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EngineSim, startEngineSim } from '@shardcast/engine-sim';
import { type GatewayProc, startGateway } from './gateway-proc.js';

export interface FileGatewayOptions {
  /** The flag that names the file, e.g. `--channels`. */
  readonly flag: string;
  /** The file's name in the folder, e.g. `tv.m3u`. */
  readonly name: string;
  /** What the file holds at start. */
  readonly text: string;
  /** The file's mode; the default of writeFileSync unless told. */
  readonly mode?: number;
  /** More gateway flags, after `--engine <sim> <flag> <file>`. */
  readonly args?: readonly string[];
}

export interface FileGateway {
  readonly gw: GatewayProc;
  readonly file: string;
  /** Stops the gateway and removes the folder. */
  stop(): Promise<void>;
}

export async function startFileGateway(sim: EngineSim, o: FileGatewayOptions): Promise<FileGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'sc-gateway-file-'));
  const file = join(dir, o.name);
  writeFileSync(file, o.text, o.mode === undefined ? undefined : { mode: o.mode });
  let gw: GatewayProc;
  try {
    gw = await startGateway(['--engine', sim.url, o.flag, file, ...(o.args ?? [])]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    gw,
    file,
    async stop() {
      await gw.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** startFileGateway in front of an engine simulator of its own; stop() closes it too. */
export async function startFileRig(o: FileGatewayOptions): Promise<FileGateway> {
  const sim = await startEngineSim({ port: 0 });
  let g: FileGateway;
  try {
    g = await startFileGateway(sim, o);
  } catch (err) {
    await sim.close();
    throw err;
  }
  return {
    gw: g.gw,
    file: g.file,
    async stop() {
      await g.stop();
      await sim.close();
    },
  };
}

/** A gateway whose `--channels` is a channels.json of `channels` (as in a channels file). */
export function startCatalogGateway(
  sim: EngineSim,
  channels: readonly object[],
  args: readonly string[] = [],
): Promise<FileGateway> {
  return startFileGateway(sim, {
    flag: '--channels',
    name: 'channels.json',
    text: JSON.stringify({ channels }),
    args,
  });
}

/** Starts an HLS session of content `id` on the simulator and gives its playlist URL (an HLS URL source). */
export async function hlsPlaybackUrl(sim: EngineSim, id: string): Promise<string> {
  const started = (await (await fetch(`${sim.url}/ace/manifest.m3u8?id=${id}&format=json`)).json()) as {
    response: { playback_url: string };
  };
  return started.response.playback_url;
}
