// A gateway killed with SIGKILL gets no chance to stop its embedded engine simulator. The simulator used
// to live on as an orphan, holding its port; it must follow its parent out.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, test } from 'node:test';
import { type GatewayProc, getJson, startGateway, waitFor } from './support/gateway-proc.js';
import { readTs } from './support/ts-reader.js';

let gw: GatewayProc | undefined;
after(async () => {
  await gw?.stop();
});

/** Pids whose parent is `ppid` (from /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // Field 4 of /proc/<pid>/stat, after the parenthesised command name (which may hold spaces).
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === ppid) out.push(Number(name));
    } catch {
      // The process went away while we looked.
    }
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

test('SIGKILL of the gateway ends its embedded engine simulator', async () => {
  gw = await startGateway(['--shards', '1'], { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
  const engines = (await getJson(`${gw.url}/api/v1/engines`)).body.engines;
  assert.equal(engines[0].source, 'embedded');
  const simPort = Number(new URL(engines[0].url).port);
  const sims = childrenOf(gw.proc.pid!).filter((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('engine-sim'),
  );
  assert.equal(sims.length, 1, 'one embedded simulator child');
  assert.equal(await refused(simPort), false, 'the simulator listens');

  gw.proc.kill('SIGKILL');
  assert.ok(await waitFor(() => !alive(sims[0]!), 15_000), 'the simulator exited after its parent died');
  assert.ok(await refused(simPort), 'its port is free');
});

test('Ctrl-C in a terminal (SIGINT to the whole process group) stops the gateway cleanly, then its simulator', async () => {
  const g = await startGateway(
    ['--shards', '1'],
    { DOCKER_HOST: 'unix:///nonexistent/docker.sock' },
    'ready',
    {
      processGroup: true,
    },
  );
  gw = g;
  const sim = childrenOf(g.proc.pid!).find((pid) =>
    readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('engine-sim'),
  );
  assert.ok(sim !== undefined, 'one embedded simulator child');
  let playing = false;
  const read = readTs(`${g.url}/ace/getstream?id=${'4'.repeat(40)}`, 30_000, () => {
    playing = true;
  });
  assert.ok(await waitFor(() => playing, 15_000), 'a stream plays');
  const exited = new Promise<number | null>((resolve) => g.proc.once('exit', (code) => resolve(code)));
  // What a terminal does on Ctrl-C: SIGINT to every process of the foreground job.
  process.kill(-g.proc.pid!, 'SIGINT');
  assert.equal(await exited, 0);
  await read;
  const errors = g.logs.filter((l) => (l.level as number) >= 50).map((l) => l.msg);
  assert.deepEqual(
    errors,
    [],
    'no error logged: the simulator was stopped by the gateway, not by the signal',
  );
  assert.ok(g.logs.some((l) => l.msg === 'stopped'));
  assert.ok(await waitFor(() => !alive(sim), 15_000), 'the simulator exited with the gateway');
});
