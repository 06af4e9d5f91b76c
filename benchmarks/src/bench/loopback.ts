/** The loopback limit: iperf3 over 127.0.0.1 (one stream and two), or a skip note when it is not installed. */
import { spawnSync } from 'node:child_process';
import { Child } from '../util/child.js';
import { fixed, MB } from '../util/format.js';
import { pinned } from '../util/pin.js';
import { freePort } from './procs.js';
import { type Section, skippedSection } from './section.js';

export interface LoopbackResult {
  singleBytesPerS: number;
  dualBytesPerS: number;
}

function installed(): boolean {
  return spawnSync('iperf3', ['--version'], { stdio: 'ignore' }).status === 0;
}

async function client(port: number, seconds: number, parallel: number): Promise<number> {
  const r = spawnSync(
    'iperf3',
    ['-c', '127.0.0.1', '-p', String(port), '-t', String(seconds), '-P', String(parallel), '-J'],
    {
      encoding: 'utf8',
      timeout: (seconds + 15) * 1000,
    },
  );
  const j = JSON.parse(r.stdout) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
  const bps = j.end?.sum_received?.bits_per_second;
  if (!bps) throw new Error(j.error ?? 'iperf3 reported nothing');
  return bps / 8;
}

export async function loopbackLimit(
  seconds: number,
): Promise<{ section: Section; result: LoopbackResult | null }> {
  const title = 'Loopback limit (iperf3)';
  if (!installed()) {
    return {
      section: skippedSection(
        'loopback',
        title,
        'iperf3 is not installed (apt-get install -y iperf3 to add this row)',
      ),
      result: null,
    };
  }
  const t0 = Date.now();
  const port = await freePort();
  // --forceflush: its stdout is a pipe here, and the ready line must not sit in a buffer.
  const ip = pinned('server', 'iperf3', ['-s', '-p', String(port), '--forceflush']);
  const server = new Child('iperf3', ip.cmd, ip.args);
  try {
    await server.waitForLine(/(Server listening)/, 5000);
    const single = await client(port, seconds, 1);
    const dual = await client(port, seconds, 2);
    return {
      result: { singleBytesPerS: single, dualBytesPerS: dual },
      section: {
        id: 'loopback',
        title,
        setup: `iperf3 -c 127.0.0.1 -t ${seconds}, 1 and 2 parallel streams (the box's TCP ceiling, no HTTP, no application)`,
        head: ['streams', 'throughput MB/s', 'Gbit/s'],
        rows: [
          ['1', fixed(single / MB, 0), fixed((single * 8) / 1e9, 1)],
          ['2', fixed(dual / MB, 0), fixed((dual * 8) / 1e9, 1)],
        ],
        targets: [],
        notes: [],
        skipped: false,
        seconds: (Date.now() - t0) / 1000,
        data: { singleBytesPerS: single, dualBytesPerS: dual },
      },
    };
  } catch (err) {
    return {
      section: skippedSection('loopback', title, `iperf3 failed: ${(err as Error).message}`),
      result: null,
    };
  } finally {
    await server.stop();
  }
}
