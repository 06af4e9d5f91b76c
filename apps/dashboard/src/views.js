// The dashboard's panels. Every number carries its unit; a figure not measured yet says "no data".
import Hls from 'hls.js';
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Sparkline } from './charts.js';
import * as f from './format.js';

function Tile({ label, value, sub }) {
  return html`<div class="tile"><div class="tile-label">${label}</div><div class="tile-value">${value}</div>${
    sub ? html`<div class="tile-sub">${sub}</div>` : null
  }</div>`;
}

export function Tiles({ snap }) {
  const t = snap.tiles;
  return html`<section class="tiles" aria-label="Summary">
    <${Tile} label="Streams" value=${`${t.streams_live} live`} sub=${`${t.streams_opening} opening`} />
    <${Tile} label="Viewers" value=${`${t.ts_viewers} TS · ${t.hls_viewers} HLS`} />
    <${Tile} label="Egress" value=${f.bits(t.egress_bits_per_s)} />
    <${Tile} label="Ingest" value=${f.bits(t.ingest_bits_per_s)} />
    <${Tile} label="Engines healthy" value=${`${t.engines_healthy} / ${t.engines_total}`}
      sub=${
        [
          t.engines_desired == null ? null : `${t.engines_desired} desired`,
          t.docker_api_calls_per_min === null ? null : `${t.docker_api_calls_per_min} Docker API calls / min`,
        ]
          .filter(Boolean)
          .join(' · ') || null
      } />
    <${Tile} label="Shard loop lag (p99)" value=${f.ms(t.loop_lag_ms)} sub=${`${t.shards_ready} / ${t.shards_total} shards ready`} />
    <${Tile} label="Uptime" value=${f.duration(snap.uptime_s)} />
  </section>`;
}

const COLUMNS = [
  { key: 'stream', label: 'Stream', get: (s) => s.stream },
  { key: 'state', label: 'State', get: (s) => s.state },
  { key: 'ts', label: 'TS', get: (s) => s.ts_viewers },
  { key: 'hls', label: 'HLS', get: (s) => s.hls_viewers },
  { key: 'bitrate', label: 'Bitrate', get: (s) => s.bitrate_bits_per_s ?? -1 },
  { key: 'egress', label: 'Egress', get: (s) => s.egress_bits_per_s ?? -1 },
  { key: 'media', label: 'Media', get: (s) => f.media(s.media) },
  { key: 'engine', label: 'Engine', get: (s) => s.engine },
  { key: 'age', label: 'Age', get: (s) => s.age_s },
  { key: 'skips', label: 'Skips / drops', get: (s) => s.skips + s.drops },
  { key: 'failovers', label: 'Failovers', get: (s) => s.failovers },
];

export function StreamsTable({ streams, sparks, selected, onSelect }) {
  const [sort, setSort] = useState({ key: 'ts', dir: -1 });
  const col = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0];
  const rows = [...streams].sort((a, b) => {
    const x = col.get(a);
    const y = col.get(b);
    return (x < y ? -1 : x > y ? 1 : 0) * sort.dir || a.stream.localeCompare(b.stream);
  });
  const header = (c) => {
    const active = c.key === sort.key;
    const aria = active ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none';
    return html`<th aria-sort=${aria}><button class="sort" onClick=${() =>
      setSort({
        key: c.key,
        dir: active ? -sort.dir : -1,
      })}>${c.label}${active ? (sort.dir > 0 ? ' ▲' : ' ▼') : ''}</button></th>`;
  };
  return html`<section class="card" aria-label="Streams">
    <h2>Streams</h2>
    ${
      rows.length === 0
        ? html`<p class="empty">No stream is open.</p>`
        : html`<div class="scroll"><table class="streams">
          <thead><tr>${COLUMNS.map(header)}</tr></thead>
          <tbody>${rows.map(
            (
              s,
            ) => html`<tr key=${s.stream} data-stream=${s.stream} class=${s.stream === selected ? 'selected' : ''}
              onClick=${() => onSelect(s.stream === selected ? null : s.stream)}>
              <td class="mono"><a href=${`#${s.stream}`} onClick=${(e) => e.preventDefault()}>${s.stream.slice(0, 12)}…</a></td>
              <td><span class=${`state ${s.state}`}>${s.state}</span></td>
              <td class="num" data-col="ts">${s.ts_viewers}</td>
              <td class="num" data-col="hls">${s.hls_viewers}</td>
              <td class="num" data-col="bitrate"><${Sparkline} data=${sparks.get(s.stream) ?? [[], []]} /> ${f.bits(s.bitrate_bits_per_s)}</td>
              <td class="num">${f.bits(s.egress_bits_per_s)}</td>
              <td>${f.media(s.media)}</td>
              <td class="mono">${s.engine}</td>
              <td class="num">${f.duration(s.age_s)}</td>
              <td class="num">${s.skips} / ${s.drops}</td>
              <td class="num">${s.failovers}</td>
            </tr>`,
          )}</tbody></table></div>`
    }
  </section>`;
}

function Preview({ token }) {
  const video = useRef(null);
  useEffect(() => {
    const el = video.current;
    const url = f.manifestUrl(token);
    if (Hls.isSupported()) {
      const hls = new Hls({ lowLatencyMode: false });
      hls.loadSource(url);
      hls.attachMedia(el);
      hls.on(Hls.Events.MANIFEST_PARSED, () => el.play().catch(() => {}));
      return () => hls.destroy();
    }
    el.src = url;
    el.play().catch(() => {});
    return () => el.removeAttribute('src');
  }, [token]);
  return html`<video ref=${video} class="preview" muted playsinline controls aria-label="Preview (muted)"></video>`;
}

export function Detail({ stream, events, apiKey, onClose }) {
  const [result, setResult] = useState(null);
  // The preview is itself an HLS viewer: its next playlist reload would open the stream again, so Close
  // stream stops it first (unmounting it destroys hls.js and aborts its requests) and only then asks.
  const [previewing, setPreviewing] = useState(true);
  const close = async () => {
    setResult('closing…');
    setPreviewing(false);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const r = await fetch(`/api/v1/streams/${stream.stream}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': apiKey },
    });
    const body = await r.json().catch(() => ({}));
    setResult(r.ok ? 'closed' : `refused: ${body.error?.code ?? r.status}`);
  };
  // A channel's stream token is `ch-<channel id>`: its sources can be checked from here.
  const channel = stream.stream.startsWith('ch-') ? stream.stream.slice(3) : null;
  const [check, setCheck] = useState(null);
  const runCheck = async () => {
    setCheck({ note: 'checking… (a few seconds)' });
    const r = await fetch(`/api/v1/channels/${encodeURIComponent(channel)}/check`, {
      method: 'POST',
      headers: { 'X-API-Key': apiKey },
    });
    const body = await r.json().catch(() => ({}));
    setCheck(r.ok ? { sources: body.sources ?? [] } : { note: `refused: ${body.error?.code ?? r.status}` });
  };
  const m = stream.media;
  const mine = events.filter((e) => e.stream === stream.stream);
  return html`<section class="card detail" aria-label="Stream detail">
    <div class="detail-head">
      <h2 class="mono">${stream.stream}</h2>
      <button onClick=${onClose} aria-label="Close detail">✕</button>
    </div>
    <div class="detail-grid">
      ${previewing ? html`<${Preview} token=${stream.stream} />` : html`<p class="empty">Preview stopped.</p>`}
      <div>
        <h3>Media</h3>
        ${
          m
            ? html`<dl class="kv">
              <dt>Video</dt><dd>${m.video_codec ?? 'none'}</dd>
              <dt>Resolution</dt><dd>${m.width && m.height ? `${m.width}×${m.height}` : f.NO_DATA}</dd>
              <dt>Frame rate</dt><dd>${m.frame_rate ? `${m.frame_rate} fps` : f.NO_DATA}</dd>
              <dt>Audio</dt><dd>${m.audio_codec ?? 'none'}${m.audio_channels ? `, ${m.audio_channels} ch` : ''}${m.sample_rate_hz ? `, ${m.sample_rate_hz} Hz` : ''}</dd>
            </dl>`
            : html`<p class="empty">No data (not probed yet).</p>`
        }
        <h3>Clients</h3>
        ${
          stream.clients
            ? html`<p>${stream.clients.total} TS client(s)${stream.clients.total > stream.clients.list.length ? `, newest ${stream.clients.list.length} shown` : ''}; ${stream.hls_viewers} HLS session(s).</p>
              <ul class="clients">${stream.clients.list.map(
                (c) =>
                  html`<li><span class="mono">${c.address}</span> · shard ${c.shard} · since ${f.clock(c.since_ms)}<br /><small>${c.user_agent || 'no User-Agent'}</small></li>`,
              )}</ul>`
            : html`<p class="empty">${stream.ts_viewers} TS, ${stream.hls_viewers} HLS. Addresses are shown with the API key.</p>`
        }
        ${
          apiKey
            ? html`<p><button class="danger" onClick=${close}>Close stream</button> <span class="result">${result}</span></p>`
            : null
        }
        ${
          apiKey && channel
            ? html`<p><button onClick=${runCheck}>Check sources</button> <span class="result">${check?.note ?? ''}</span></p>
              ${check?.sources ? html`<${CheckResults} sources=${check.sources} />` : null}`
            : null
        }
      </div>
    </div>
    <h3>Recent events</h3>
    ${mine.length ? html`<${EventList} events=${mine} />` : html`<p class="empty">No event in the recent log.</p>`}
  </section>`;
}

/** One line per source of a channel check: verdict, what was found, how fast. */
function CheckResults({ sources }) {
  return html`<ul class="checks">${sources.map(
    (c, i) =>
      html`<li><b class=${c.ok ? 'ok' : 'bad'}>${c.ok ? 'plays' : 'fails'}</b> <span class="mono">${c.source ?? `source ${i + 1}`}</span>
        ${c.ok ? ` · ${c.video?.codec ?? 'no video'}${c.video?.width ? ` ${c.video.width}×${c.video.height}` : ''} · ${c.bitrate_kbps ?? '?'} kbit/s · first byte ${c.first_byte_ms ?? '?'} ms` : ` · ${c.error ?? 'no answer'}`}</li>`,
  )}</ul>`;
}

export function EnginesTable({ engines, history, apiKey }) {
  const [results, setResults] = useState({});
  // Drain, and Resume to undo a drain (a static or discovered engine; a managed one is being replaced).
  const act = async (id, action) => {
    setResults((r) => ({ ...r, [id]: action === 'drain' ? 'draining…' : 'resuming…' }));
    const res = await fetch(`/api/v1/engines/${encodeURIComponent(id)}/${action}`, {
      method: 'POST',
      headers: { 'X-API-Key': apiKey },
    });
    const body = await res.json().catch(() => ({}));
    const done = action === 'drain' ? 'drain started' : 'resumed';
    setResults((r) => ({
      ...r,
      [id]: res.ok ? done : `refused: ${body.error?.code ?? res.status}`,
    }));
  };
  return html`<section class="card" aria-label="Engines">
    <h2>Engines</h2>
    ${
      engines.length === 0
        ? html`<p class="empty">No engine.</p>`
        : html`<div class="scroll"><table>
          <thead><tr><th>Engine</th><th>Source</th><th>State</th><th>Health</th><th>Streams</th><th>CPU</th><th>Memory</th>${apiKey ? html`<th></th>` : null}</tr></thead>
          <tbody>${engines.map((e) => {
            const h = history.get(e.id);
            return html`<tr key=${e.id} data-engine=${e.id}>
              <td class="mono">${e.url}</td><td>${e.source}</td>
              <td data-col="engine-state">${e.state ?? 'ready'}</td>
              <td><span class=${`state ${e.healthy ? 'live' : 'closing'}`}>${e.healthy ? 'healthy' : 'unhealthy'}</span></td>
              <td class="num">${e.streams}</td>
              <td class="num">${h ? html`<${Sparkline} data=${h.cpu} />` : null} ${f.percent(e.cpu_percent)}</td>
              <td class="num">${h ? html`<${Sparkline} data=${h.mem} />` : null} ${f.bytes(e.memory_bytes)}</td>
              ${
                apiKey
                  ? html`<td>${
                      (e.state ?? 'ready') === 'ready'
                        ? html`<button onClick=${() => act(e.id, 'drain')}>Drain</button>`
                        : e.state === 'draining'
                          ? html`<button onClick=${() => act(e.id, 'resume')}>Resume</button>`
                          : null
                    } <span class="engine-result">${results[e.id] ?? ''}</span></td>`
                  : null
              }
            </tr>`;
          })}</tbody></table></div>`
    }
  </section>`;
}

export function EventList({ events }) {
  return html`<ul class="events">${events.map(
    (e) =>
      html`<li><time>${f.clock(e.at_ms)}</time> <b>${e.type}</b> ${e.stream ? html`<span class="mono">${e.stream.slice(0, 12)}…</span>` : null} ${e.detail}</li>`,
  )}</ul>`;
}
