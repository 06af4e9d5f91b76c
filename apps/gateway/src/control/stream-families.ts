/**
 * The per-stream Prometheus families (one series or more per open stream), written straight to
 * exposition text in one pass over the directory. They are the high-cardinality part of a scrape, so the
 * text that only changes with the stream (each line's name and labels, and the media info line, which
 * changes with a new probe) is built once and kept; a render only formats the numbers. Exposition
 * format 0.0.4.
 */
import { escapeLabelValue as esc, formatNumber as fmt } from '@shardcast/metrics';
import type { StreamMedia } from '../probe/probe-scheduler.js';
import type { MetricsSources } from './metrics-sources.js';

const KIB = 1024;
const BITS_PER_BYTE = 8;

const BITRATE = 'shardcast_stream_bitrate_bytes_per_second';
const CLIENTS = 'shardcast_stream_clients';
const PEERS = 'shardcast_stream_engine_peers';
const DOWN = 'shardcast_stream_engine_download_bytes_per_second';
const UP = 'shardcast_stream_engine_upload_bytes_per_second';
const INFO = 'shardcast_stream_media_info';

const HEADS: ReadonlyArray<readonly [string, string]> = [
  [BITRATE, 'Measured ingest rate per stream (PCR bitrate / 8).'],
  [CLIENTS, 'Clients per stream and protocol (HLS: viewers polling lately).'],
  [PEERS, "Peers of the stream's engine session (stat_url)."],
  [DOWN, "Download speed of the stream's engine session (stat_url speed_down, KiB/s x 1024)."],
  [UP, "Upload speed of the stream's engine session (stat_url speed_up, KiB/s x 1024)."],
  [INFO, 'Media of the stream as probed from its ring (value always 1).'],
];
const HEAD_TEXT = HEADS.map(([name, help]) => `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`);

/** A stream's line prefixes (name and labels, up to the space before the value). */
interface Prefixes {
  readonly token: string;
  readonly label: string;
  readonly bitrate: string;
  readonly ts: string;
  readonly hls: string;
  readonly peers: string;
  readonly down: string;
  readonly up: string;
  /** The media object the info line was built from, and the line. */
  media: StreamMedia | null;
  info: string;
}

function prefixesOf(token: string): Prefixes {
  const label = `stream="${esc(token)}"`;
  return {
    token,
    label,
    bitrate: `${BITRATE}{${label}} `,
    ts: `${CLIENTS}{${label},protocol="ts"} `,
    hls: `${CLIENTS}{${label},protocol="hls"} `,
    peers: `${PEERS}{${label}} `,
    down: `${DOWN}{${label}} `,
    up: `${UP}{${label}} `,
    media: null,
    info: '',
  };
}

function infoLine(label: string, m: StreamMedia): string {
  const v = m.video;
  const a = m.audio;
  return (
    `${INFO}{${label},video_codec="${esc(v?.codec ?? '')}",video_profile="${esc(v?.profile ?? '')}",` +
    `width="${v?.width ?? ''}",height="${v?.height ?? ''}",frame_rate="${v?.frame_rate ?? ''}",` +
    `audio_codec="${esc(a?.codec ?? '')}",sample_rate="${a?.sample_rate ?? ''}",channels="${a?.channels ?? ''}"} 1\n`
  );
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Renders the per-stream families; keeps each open stream's constant text between renders. */
export class StreamFamilies {
  #cache = new Map<number, Prefixes>();

  render(src: MetricsSources): string {
    let bitrate = '';
    let clients = '';
    let peers = '';
    let down = '';
    let up = '';
    const seen = new Map<number, Prefixes>();
    for (const st of src.streams()) {
      let p = this.#cache.get(st.id);
      if (p === undefined || p.token !== st.token) p = prefixesOf(st.token);
      seen.set(st.id, p);
      bitrate += `${p.bitrate}${fmt(st.control.bitrate() / BITS_PER_BYTE)}\n`;
      let ts = 0;
      for (const x of st.shardStats.values()) ts += x.tsClients;
      const hls = src.hlsViewers(st.id);
      clients += `${p.ts}${ts}\n${p.hls}${hls}\n`;
      const stat = st.ownerStats?.engineStat;
      if (stat) {
        const pe = num(stat.peers);
        const d = num(stat.speedDownKBps);
        const u = num(stat.speedUpKBps);
        if (pe !== null) peers += `${p.peers}${pe}\n`;
        if (d !== null) down += `${p.down}${fmt(d * KIB)}\n`;
        if (u !== null) up += `${p.up}${fmt(u * KIB)}\n`;
      }
    }
    let info = '';
    for (const [id, m] of src.media()) {
      const p = seen.get(id);
      if (p === undefined) continue;
      if (p.media !== m) {
        p.media = m;
        p.info = infoLine(p.label, m);
      }
      info += p.info;
    }
    // Closed streams leave the cache with this render.
    this.#cache = seen;
    const [hb, hc, hp, hd, hu, hi] = HEAD_TEXT as [string, string, string, string, string, string];
    return `${hb}${bitrate}${hc}${clients}${hp}${peers}${hd}${down}${hu}${up}${hi}${info}`;
  }
}
