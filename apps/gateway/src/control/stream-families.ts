/**
 * The per-stream Prometheus families (one series or more per open stream), written straight to
 * exposition text in one pass over the directory. prom-client's per-series bookkeeping (reset, label
 * hashing, then formatting) costs ~5 µs a series, which is most of a scrape at 500 streams; these families
 * are the high-cardinality part, so they skip it. Exposition format 0.0.4.
 */
import type { MetricsSources } from './metrics-sources.js';

const KIB = 1024;
const BITS_PER_BYTE = 8;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly lines: string[];
}

function fam(name: string, help: string): Family {
  return { name, help, lines: [] };
}

/** Label value escaping of the text format: backslash, double quote, line feed. */
function esc(v: string | number): string {
  const s = String(v);
  return /[\\"\n]/.test(s) ? s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : s;
}

function fmt(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function renderStreamFamilies(src: MetricsSources): string {
  const bitrate = fam(
    'shardcast_stream_bitrate_bytes_per_second',
    'Measured ingest rate per stream (PCR bitrate / 8).',
  );
  const clients = fam(
    'shardcast_stream_clients',
    'Clients per stream and protocol (HLS: viewers polling lately).',
  );
  const peers = fam('shardcast_stream_engine_peers', "Peers of the stream's engine session (stat_url).");
  const down = fam(
    'shardcast_stream_engine_download_bytes_per_second',
    "Download speed of the stream's engine session (stat_url speed_down, KiB/s x 1024).",
  );
  const up = fam(
    'shardcast_stream_engine_upload_bytes_per_second',
    "Upload speed of the stream's engine session (stat_url speed_up, KiB/s x 1024).",
  );
  const info = fam(
    'shardcast_stream_media_info',
    'Media of the stream as probed from its ring (value always 1).',
  );
  const tokens = new Map<number, string>();
  for (const st of src.streams()) {
    const s = esc(st.token);
    tokens.set(st.id, s);
    bitrate.lines.push(`${bitrate.name}{stream="${s}"} ${fmt(st.control.bitrate() / BITS_PER_BYTE)}`);
    let ts = 0;
    let hls = 0;
    for (const x of st.shardStats.values()) {
      ts += x.tsClients;
      hls += x.hlsViewers;
    }
    clients.lines.push(`${clients.name}{stream="${s}",protocol="ts"} ${ts}`);
    clients.lines.push(`${clients.name}{stream="${s}",protocol="hls"} ${hls}`);
    const stat = st.ownerStats?.engineStat;
    if (stat) {
      const p = num(stat.peers);
      const d = num(stat.speedDownKBps);
      const u = num(stat.speedUpKBps);
      if (p !== null) peers.lines.push(`${peers.name}{stream="${s}"} ${p}`);
      if (d !== null) down.lines.push(`${down.name}{stream="${s}"} ${d * KIB}`);
      if (u !== null) up.lines.push(`${up.name}{stream="${s}"} ${u * KIB}`);
    }
  }
  for (const [id, m] of src.media()) {
    const s = tokens.get(id);
    if (s === undefined) continue;
    const v = m.video;
    const a = m.audio;
    info.lines.push(
      `${info.name}{stream="${s}",video_codec="${esc(v?.codec ?? '')}",video_profile="${esc(v?.profile ?? '')}",` +
        `width="${v?.width ?? ''}",height="${v?.height ?? ''}",frame_rate="${v?.frame_rate ?? ''}",` +
        `audio_codec="${esc(a?.codec ?? '')}",sample_rate="${a?.sample_rate ?? ''}",channels="${a?.channels ?? ''}"} 1`,
    );
  }
  let out = '';
  for (const f of [bitrate, clients, peers, down, up, info]) {
    out += `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} gauge\n`;
    if (f.lines.length > 0) out += `${f.lines.join('\n')}\n`;
  }
  return out;
}
