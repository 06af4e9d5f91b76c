/**
 * The dashboard's one-second snapshot: tiles, streams, engines, latency and recent events, as compact
 * JSON with the unit in every field name. Built once per second on main for every open dashboard; the
 * `admin` variant adds each stream's newest TS clients (address, User-Agent), which only callers holding
 * the API key get. A figure nobody measured yet is null, never 0, so the page can say "no data".
 */
import type { EngineState } from '@shardcast/engines';
import type { StreamMedia } from '../probe/probe-scheduler.js';
import type { ClientRoster } from './client-roster.js';
import type { StreamEntry } from './directory.js';

/** Clients listed per stream in the admin snapshot (the total is always given). */
export const CLIENTS_PER_STREAM = 25;
const BITS_PER_BYTE = 8;

export interface LiveEvent {
  readonly at_ms: number;
  readonly type: string;
  readonly stream: string | null;
  readonly detail: string;
}

export interface LiveTiles {
  readonly streams_live: number;
  readonly streams_opening: number;
  readonly ts_viewers: number;
  readonly hls_viewers: number;
  readonly egress_bits_per_s: number | null;
  readonly ingest_bits_per_s: number | null;
  readonly engines_healthy: number;
  readonly engines_total: number;
  /** Engines the provisioner wants (null when provisioning is off). */
  readonly engines_desired: number | null;
  readonly shards_ready: number;
  readonly shards_total: number;
  readonly loop_lag_ms: number | null;
  readonly docker_api_calls_per_min: number | null;
}

export interface LiveStream {
  readonly stream: string;
  readonly state: string;
  readonly ts_viewers: number;
  readonly hls_viewers: number;
  readonly bitrate_bits_per_s: number | null;
  readonly egress_bits_per_s: number | null;
  readonly engine: string;
  readonly owner_shard: number;
  readonly age_s: number;
  readonly skips: number;
  readonly drops: number;
  readonly failovers: number;
  readonly media: LiveMedia | null;
  readonly clients?: { readonly total: number; readonly list: readonly LiveClient[] };
}

export interface LiveMedia {
  readonly video_codec: string | null;
  readonly width: number | null;
  readonly height: number | null;
  readonly frame_rate: number | null;
  readonly audio_codec: string | null;
  readonly audio_channels: number | null;
  readonly sample_rate_hz: number | null;
}

export interface LiveClient {
  readonly address: string;
  readonly user_agent: string;
  readonly shard: number;
  readonly since_ms: number;
}

export interface LiveEngine {
  readonly id: string;
  readonly url: string;
  readonly source: string;
  /** starting / ready / draining / stopping: only `ready` engines take new streams. */
  readonly state: EngineState['lifecycle'];
  readonly healthy: boolean;
  readonly streams: number;
  readonly cpu_percent: number | null;
  readonly memory_bytes: number | null;
}

export interface LiveSnapshot {
  readonly type: 'snapshot';
  readonly at_ms: number;
  readonly uptime_s: number;
  readonly admin: boolean;
  readonly tiles: LiveTiles;
  readonly latency_p99_ms: {
    readonly mpegts_client_join: number | null;
    readonly hls_manifest_generation: number | null;
  };
  readonly streams: readonly LiveStream[];
  readonly engines: readonly LiveEngine[];
  readonly events: readonly LiveEvent[];
}

/** Per-stream input the feed measured (egress over the last second). */
export interface StreamRates {
  egressBytesPerS(streamId: number): number | null;
}

export function liveStream(
  e: StreamEntry,
  nowMs: number,
  hlsViewers: number,
  rates: StreamRates,
  media: StreamMedia | null,
): LiveStream {
  let ts = 0;
  let skips = 0;
  let drops = 0;
  for (const s of e.shardStats.values()) {
    ts += s.tsClients;
    skips += s.skips;
    drops += s.drops;
  }
  const bitrate = e.control.bitrate();
  const egress = rates.egressBytesPerS(e.id);
  return {
    stream: e.token,
    state: e.state,
    ts_viewers: ts,
    hls_viewers: hlsViewers,
    // The ring measures the PCR bitrate in bits/s; 0 means not measured yet.
    bitrate_bits_per_s: bitrate > 0 ? Math.round(bitrate) : null,
    egress_bits_per_s: egress === null ? null : egress * BITS_PER_BYTE,
    engine: e.engine.url,
    owner_shard: e.owner,
    age_s: Math.round((nowMs - e.openedAtMs) / 1000),
    skips,
    drops,
    failovers: e.failovers,
    media: media ? liveMedia(media) : null,
  };
}

function liveMedia(m: StreamMedia): LiveMedia {
  return {
    video_codec: m.video?.codec ?? null,
    width: m.video?.width ?? null,
    height: m.video?.height ?? null,
    frame_rate: m.video?.frame_rate ?? null,
    audio_codec: m.audio?.codec ?? null,
    audio_channels: m.audio?.channels ?? null,
    sample_rate_hz: m.audio?.sample_rate ?? null,
  };
}

export function liveEngine(e: EngineState): LiveEngine {
  return {
    id: e.id,
    url: e.url,
    source: e.source,
    state: e.lifecycle,
    healthy: e.healthy,
    streams: e.streams,
    cpu_percent: e.stats?.cpuPercent ?? null,
    memory_bytes: e.stats?.memoryBytes ?? null,
  };
}

/** The admin variant: every stream with its newest clients. */
export function withClients(snapshot: LiveSnapshot, roster: ClientRoster, ids: ReadonlyMap<string, number>) {
  return {
    ...snapshot,
    admin: true,
    streams: snapshot.streams.map((s) => {
      const { total, clients } = roster.clientsOf(ids.get(s.stream) ?? -1, CLIENTS_PER_STREAM);
      const list = clients.map((c) => ({
        address: c.address,
        user_agent: c.userAgent,
        shard: c.shard,
        since_ms: c.sinceMs,
      }));
      return { ...s, clients: { total, list } };
    }),
  } satisfies LiveSnapshot;
}
