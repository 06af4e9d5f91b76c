// Counters the tests and benchmarks assert on. Plain numbers, bumped in place; snapshots are copies.
import type { Faults } from './faults.js';

export interface FaultCounters {
  startDelays: number;
  startErrors: number;
  startStatuses: number;
  stalls: number;
  eofs: number;
  zeroByteEofs: number;
  drops: number;
  /** Playback connections cut by POST /sim/kill (or kill()). */
  kills: number;
  /** Playback connections that turned to garbage (the `garbage` fault). */
  garbage: number;
}

export interface SimCounters {
  /** /ace/getstream and /ace/manifest.m3u8 requests (before faults). */
  startRequests: number;
  sessionsStarted: number;
  /**
   * Starts whose client had left before the answer (a start delay): the session was opened all the same,
   * as AceStream does, and is counted in sessionsStarted.
   */
  startsUnanswered: number;
  /** Sessions ended by command_url?method=stop. */
  sessionsStopped: number;
  /** Sessions ended after sitting idle (no playback connection, no HLS request). */
  sessionsExpired: number;
  /** Playback (TS) connections currently open. */
  playbackConnections: number;
  playbackConnectionsTotal: number;
  /** TS body bytes handed to sockets (playback and HLS segments). */
  bytesSent: number;
  hlsPlaylists: number;
  hlsSegments: number;
  faults: FaultCounters;
}

/** Per-session detail in a stats snapshot. */
export interface SessionInfo {
  id: string;
  infohash: string;
  contentId: string | null;
  pid: string | null;
  format: 'ts' | 'hls';
  createdAt: string;
  connections: number;
  bytesSent: number;
  faults: Faults;
}

/** GET /sim/stats and EngineSim.stats(). */
export interface EngineSimStats extends SimCounters {
  sessionsActive: number;
  /** Loops rendered (cache misses of the shared loop cache). */
  loopRenders: number;
  sessions: SessionInfo[];
}

export function newCounters(): SimCounters {
  return {
    startRequests: 0,
    sessionsStarted: 0,
    startsUnanswered: 0,
    sessionsStopped: 0,
    sessionsExpired: 0,
    playbackConnections: 0,
    playbackConnectionsTotal: 0,
    bytesSent: 0,
    hlsPlaylists: 0,
    hlsSegments: 0,
    faults: {
      startDelays: 0,
      startErrors: 0,
      startStatuses: 0,
      stalls: 0,
      eofs: 0,
      zeroByteEofs: 0,
      drops: 0,
      kills: 0,
      garbage: 0,
    },
  };
}
