// The simulator: a node:http server around the shared loop, clock, pacer and session registry. The public
// face (EngineSim) exposes the URL, counters, faults, kill and close; everything else stays inside.
import { setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clearAdminFaults, killAll, setAdminFaults, snapshotStats } from './admin-routes.js';
import { LiveClock } from './clock.js';
import { AdminFaults, type SimContext } from './context.js';
import { type Faults, parseFaults } from './faults.js';
import { loadLoopPlan } from './fixture.js';
import { HlsLive } from './hls.js';
import { LoopRenderer } from './loop-renderer.js';
import { EngineSimOptionError, type EngineSimOptions, resolveOptions } from './options.js';
import { Pacer } from './pacer.js';
import { route } from './router.js';
import { SessionRegistry } from './session.js';
import { type EngineSimStats, newCounters } from './stats.js';

// How often idle sessions are looked for (more often when the idle limit is shorter).
const IDLE_SWEEP_MS = 5_000;

/** A running simulator. */
export interface EngineSim {
  /** `http://host:port` of the listening socket. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** Nominal TS rate of the loop, bytes per second (fixture bytes / loop duration). */
  readonly bytesPerSecond: number;
  /** Loop period, seconds. */
  readonly loopSeconds: number;
  stats(): EngineSimStats;
  /** Admin faults for new sessions and, for stall/EOF/drop, live ones; `content` scopes them. */
  setFaults(faults: Faults, content?: string): void;
  clearFaults(content?: string): void;
  /** Drops every playback connection now; returns how many. */
  kill(): number;
  /** Ends all sessions and connections and closes the server. */
  close(): Promise<void>;
}

/** Starts a simulator in this process. Rejects with EngineSimOptionError on an invalid option. */
export async function startEngineSim(options: EngineSimOptions = {}): Promise<EngineSim> {
  const opts = resolveOptions(options);
  const plan = await loadLoopPlan(opts.fixturePath, opts.hlsSegmentSeconds);
  const renderer = new LoopRenderer(plan);
  const clock = new LiveClock(plan);
  const counters = newCounters();
  const sessions = new SessionRegistry(counters);
  const pacer = new Pacer(opts.tickMs);
  let boundPort = opts.port;
  const stopped = new AbortController();
  // One listener per start waiting out a start delay: any number is expected.
  setMaxListeners(0, stopped.signal);
  const ctx: SimContext = {
    options: opts,
    clock,
    renderer,
    pacer,
    hls: new HlsLive(clock, renderer, opts.hlsWindow),
    sessions,
    counters,
    admin: new AdminFaults(),
    closed: stopped.signal,
    port: () => boundPort,
  };
  const server = createServer({ keepAlive: true, noDelay: true }, (req, res) => route(ctx, req, res));
  // Playback responses are endless: no request or socket timeouts on this side.
  server.requestTimeout = 0;
  server.timeout = 0;
  server.maxHeadersCount = 100;
  await listen(server, opts.port, opts.host);
  boundPort = (server.address() as AddressInfo).port;
  const idleMs = opts.sessionIdleSeconds * 1000;
  const sweep = setInterval(
    () => sessions.expireIdle(idleMs),
    Math.min(IDLE_SWEEP_MS, Math.max(10, idleMs / 2)),
  );
  sweep.unref();
  const hostForUrl = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${hostForUrl}:${boundPort}`,
    host: opts.host,
    port: boundPort,
    bytesPerSecond: plan.bytesPerSecond,
    loopSeconds: plan.durationS,
    stats: () => snapshotStats(ctx),
    setFaults: (faults, content) => {
      const parsed = parseFaults({ ...faults }, true);
      if (!parsed.ok) throw new EngineSimOptionError(parsed.error);
      setAdminFaults(ctx, parsed.faults, content);
    },
    clearFaults: (content) => clearAdminFaults(ctx, content),
    kill: () => killAll(ctx),
    close: () => {
      closing ??= (async () => {
        clearInterval(sweep);
        stopped.abort();
        pacer.close();
        sessions.clear();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
