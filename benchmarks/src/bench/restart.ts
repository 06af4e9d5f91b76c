/**
 * Restart under load: TS and HLS players already retrying on the closed port (every 100 ms while the
 * connection is refused) when the gateway starts — what every player does after a restart. Measures the
 * time from the port opening to every player having media, every answer that was not media, and the
 * engine sessions per channel (exactly one wanted: the first requests of a channel race each other and
 * the shards still starting).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sessionsPerChannel, summarize } from '../restart/summary.js';
import type { RestartLoadConfig, RestartLoadReport } from '../restart/types.js';
import { Child } from '../util/child.js';
import { fixed } from '../util/format.js';
import { pinned } from '../util/pin.js';
import type { SuiteParams } from './params.js';
import { GATEWAY_CLI, RESTART_PLAYERS_MAIN } from './paths.js';
import { freePort, getJson } from './procs.js';
import { type Section, skippedSection, zero } from './section.js';

const RETRY_MS = 100;
const MAX_RETRY_AFTER_MS = 1000;
/** The players hammer the closed port this long before the gateway is spawned. */
const PORT_CLOSED_MS = 1000;
const HOLD_MS = 5000;
const DEADLINE_MS = 90_000;
const READY_POLL_MS = 100;
/** Long enough that no stream closes between the players leaving and the session count. */
const GRACE_SECONDS = 30;

export function restartChannels(n: number): string[] {
  return Array.from({ length: n }, (_, i) =>
    createHash('sha1').update(`shardcast-restart/${i}`).digest('hex'),
  );
}

interface SimStats {
  sessionsStarted: number;
  sessions: Array<{ contentId: string | null }>;
}

export async function restartBench(p: SuiteParams, log: (m: string) => void): Promise<Section> {
  const t0 = Date.now();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const channels = restartChannels(p.restartChannels);
  const config: RestartLoadConfig = {
    port,
    channels,
    tsPlayers: p.restartTsPlayers,
    hlsPlayers: p.restartHlsPlayers,
    retryMs: RETRY_MS,
    maxRetryAfterMs: MAX_RETRY_AFTER_MS,
    holdMs: HOLD_MS,
    deadlineMs: DEADLINE_MS,
  };
  const dir = mkdtempSync(join(tmpdir(), 'sc-restart-'));
  const reportPath = join(dir, 'report.json');
  let gateway: Child | null = null;
  let players: Child | null = null;
  try {
    log(`restart: ${config.tsPlayers} TS + ${config.hlsPlayers} HLS players on ${channels.length} channels`);
    players = new Child('restart players', process.execPath, [
      RESTART_PLAYERS_MAIN,
      JSON.stringify(config),
      reportPath,
    ]);
    await players.waitForLine(/restart players started/, 10_000);
    await new Promise((r) => setTimeout(r, PORT_CLOSED_MS));
    const spawnedAtMs = Date.now();
    // The embedded engine simulator, as on a fresh machine; its session list is read back below.
    const gw = pinned('server', process.execPath, [
      GATEWAY_CLI,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--shards',
      String(p.shards),
      '--docker',
      'off',
      '--log-level',
      'warn',
      '--grace-seconds',
      String(GRACE_SECONDS),
    ]);
    gateway = new Child('gateway', gw.cmd, gw.args);
    const readyAtMs = await pollReady(url, gateway, spawnedAtMs + DEADLINE_MS);
    await players.exit();
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as RestartLoadReport;
    const engines = await getJson<{ engines: Array<{ url: string }> }>(`${url}/api/v1/engines`);
    const simUrl = engines?.engines[0]?.url;
    const sim = simUrl ? await getJson<SimStats>(`${simUrl}/sim/stats`) : null;
    const streams = await getJson<{ streams: unknown[] }>(`${url}/api/v1/streams`);
    return section(p, report, spawnedAtMs, readyAtMs, sim, streams?.streams.length ?? null, t0);
  } catch (err) {
    return skippedSection('restart', 'Restart under load', (err as Error).message);
  } finally {
    await players?.stop();
    await gateway?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Polls /ready until it answers 200; returns when (epoch ms), or null at the deadline. */
async function pollReady(url: string, gateway: Child, deadlineMs: number): Promise<number | null> {
  while (Date.now() < deadlineMs) {
    if (gateway.exited) throw new Error(`the gateway exited during start-up: ${gateway.stderrTail}`);
    try {
      const r = await fetch(`${url}/ready`);
      await r.arrayBuffer();
      if (r.status === 200) return Date.now();
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, READY_POLL_MS));
  }
  return null;
}

function section(
  p: SuiteParams,
  report: RestartLoadReport,
  spawnedAtMs: number,
  readyAtMs: number | null,
  sim: SimStats | null,
  streams: number | null,
  t0: number,
): Section {
  const s = summarize(report, readyAtMs);
  const channels = report.config.channels;
  const perChannel = sim ? sessionsPerChannel(channels, sim.sessions) : null;
  const portOpenS = report.firstConnectAtMs === null ? null : (report.firstConnectAtMs - spawnedAtMs) / 1000;
  const spread = (x: { p50: number; max: number } | null): string =>
    x ? `${fixed(x.p50, 2)} / ${fixed(x.max, 2)} s` : 'not every player';
  const rows: string[][] = [
    [
      'gateway spawned → port open (first accepted connection)',
      portOpenS === null ? 'never' : `${fixed(portOpenS, 2)} s`,
    ],
    ['port open → /ready 200', s.readyS === null ? 'never' : `${fixed(s.readyS, 2)} s`],
    [
      'port open → every player has media',
      s.allMediaS === null ? `${s.playersWithoutMedia} never did` : `${fixed(s.allMediaS, 2)} s`,
    ],
    ['TS first media after port open, p50 / max', spread(s.tsMediaS)],
    ['HLS first segment after port open, p50 / max', spread(s.hlsMediaS)],
    ['connection refused (retried every 100 ms)', String(s.refused)],
    [
      '503 with Retry-After, or reset before any answer (the port check), before /ready 200',
      String(s.allowed),
    ],
    ['any other answer that was not media', String(s.unexpectedTotal)],
    [
      'engine sessions per channel, min / max',
      perChannel ? `${perChannel.min} / ${perChannel.max}` : 'not measured',
    ],
    [
      'engine sessions started, channels',
      sim ? `${sim.sessionsStarted}, ${channels.length}` : 'not measured',
    ],
    ['streams in /api/v1/streams', streams === null ? 'not measured' : String(streams)],
  ];
  const notes = s.unexpected.slice(0, 8).map((u) => `unexpected: ${u.count} × ${u.answer}`);
  if (report.answersDropped > 0) notes.push(`${report.answersDropped} answers beyond the stored list`);
  return {
    id: 'restart',
    title: 'Restart under load',
    setup: `${report.config.tsPlayers} TS + ${report.config.hlsPlayers} HLS players over ${channels.length} channels, retrying every ${RETRY_MS} ms on a refused connection (Retry-After honoured up to ${MAX_RETRY_AFTER_MS / 1000} s), waiting when the gateway (${p.shards} shards, embedded engine) is spawned; they keep watching ${HOLD_MS / 1000} s after the last one got media`,
    head: ['measure', 'value'],
    rows,
    targets: [
      zero('restart: players that never received media', s.playersWithoutMedia, 'players'),
      zero(
        'restart: answers other than refused, reset unanswered or 503+Retry-After before ready',
        s.unexpectedTotal,
        'answers',
      ),
      zero('restart: channels without exactly one engine session', perChannel?.notOne ?? null, 'channels'),
      zero(
        'restart: engine sessions beyond one per channel',
        sim ? sim.sessionsStarted - channels.length : null,
        'sessions',
      ),
    ],
    notes,
    skipped: false,
    seconds: (Date.now() - t0) / 1000,
    data: { summary: s, portOpenS, perChannel, sessionsStarted: sim?.sessionsStarted ?? null, streams },
  };
}
