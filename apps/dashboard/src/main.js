// The operator dashboard: one live snapshot a second over /api/v1/live, rendered with Preact + htm.
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { html } from 'htm/preact';
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Chart } from './charts.js';
import { Feed } from './feed.js';
import * as f from './format.js';
import { Detail, EnginesTable, EventList, StreamsTable, Tiles } from './views.js';

const KEY_STORE = 'shardcast.apiKey';
/** Chart history: 15 minutes at one point a second. */
const HISTORY_POINTS = 900;
/** Sparkline points per stream / engine (2 minutes). */
const SPARK_POINTS = 120;

/** Viewer axis ticks: whole numbers only. */
const count = (v) => (Number.isInteger(v) ? `${v}` : '');

const keyOf = () => sessionStorage.getItem(KEY_STORE) ?? '';

function push(arr, v, max) {
  arr.push(v);
  if (arr.length > max) arr.shift();
}

/** Column arrays for uPlot from history rows [at_ms, egress, ingest, ts, hls, join_p99, manifest_p99, docker]. */
function columns(rows) {
  const cols = [[], [], [], [], [], [], [], []];
  for (const r of rows) {
    cols[0].push(r[0] / 1000);
    for (let i = 1; i < cols.length; i++) cols[i].push(r[i] ?? null);
  }
  return cols;
}

function rowOf(snap) {
  const t = snap.tiles;
  return [
    snap.at_ms,
    t.egress_bits_per_s,
    t.ingest_bits_per_s,
    t.ts_viewers,
    t.hls_viewers,
    snap.latency_p99_ms.mpegts_client_join,
    snap.latency_p99_ms.hls_manifest_generation,
    t.docker_api_calls_per_min,
  ];
}

function KeyForm({ apiKey, refused, onKey }) {
  const [text, setText] = useState('');
  if (apiKey)
    return html`<div class="key">API key set${' '}<button onClick=${() => onKey('')}>Forget key</button></div>`;
  return html`<form class="key" onSubmit=${(e) => {
    e.preventDefault();
    onKey(text.trim());
    setText('');
  }}>
    <label>API key <input type="password" autocomplete="off" value=${text} onInput=${(e) => setText(e.currentTarget.value)} /></label>
    <button type="submit">Use key</button>
    ${refused ? html`<span class="refused">key refused</span>` : null}
  </form>`;
}

function App() {
  const [snap, setSnap] = useState(null);
  const [status, setStatus] = useState('connecting');
  const [apiKey, setApiKey] = useState(keyOf());
  const [refused, setRefused] = useState(false);
  const [selected, setSelected] = useState(location.hash.slice(1) || null);
  const [chart, setChart] = useState(() => columns([]));
  const rows = useRef([]);
  const sparks = useRef(new Map());
  const engineHistory = useRef(new Map());
  const feed = useRef(null);

  useEffect(() => {
    const loadHistory = () =>
      fetch('/api/v1/live/history', { cache: 'no-store' })
        .then((r) => (r.ok ? r.json() : null))
        .then((h) => {
          if (!h) return;
          rows.current = h.points.slice(-HISTORY_POINTS);
          setChart(columns(rows.current));
        })
        .catch(() => {});
    loadHistory();
    feed.current = new Feed({
      getKey: keyOf,
      onStatus: (s) => {
        setStatus(s);
        if (s === 'live') loadHistory();
      },
      onAuth: (ok) => {
        if (ok) return setRefused(false);
        sessionStorage.removeItem(KEY_STORE);
        setApiKey('');
        setRefused(true);
      },
      onSnapshot: (s) => {
        const last = rows.current[rows.current.length - 1];
        if (!last || s.at_ms > last[0]) {
          push(rows.current, rowOf(s), HISTORY_POINTS);
          setChart(columns(rows.current));
        }
        const seen = new Set();
        for (const st of s.streams) {
          seen.add(st.stream);
          const prev = sparks.current.get(st.stream) ?? [[], []];
          const next = [prev[0].slice(-SPARK_POINTS + 1), prev[1].slice(-SPARK_POINTS + 1)];
          next[0].push(s.at_ms / 1000);
          next[1].push(st.bitrate_bits_per_s);
          sparks.current.set(st.stream, next);
        }
        for (const k of sparks.current.keys()) if (!seen.has(k)) sparks.current.delete(k);
        for (const e of s.engines) {
          if (e.cpu_percent === null) continue;
          const prev = engineHistory.current.get(e.id) ?? { cpu: [[], []], mem: [[], []] };
          const grow = (d, v) => [
            [...d[0].slice(-SPARK_POINTS + 1), s.at_ms / 1000],
            [...d[1].slice(-SPARK_POINTS + 1), v],
          ];
          engineHistory.current.set(e.id, {
            cpu: grow(prev.cpu, e.cpu_percent),
            mem: grow(prev.mem, e.memory_bytes),
          });
        }
        setSnap(s);
      },
    });
  }, []);

  useEffect(() => {
    history.replaceState(null, '', selected ? `#${selected}` : location.pathname);
  }, [selected]);

  const onKey = (k) => {
    if (k) sessionStorage.setItem(KEY_STORE, k);
    else sessionStorage.removeItem(KEY_STORE);
    setApiKey(k);
    setRefused(false);
    feed.current?.authenticate();
  };

  const stream = snap?.streams.find((s) => s.stream === selected) ?? null;
  const statusText = {
    live: 'live',
    polling: 'polling (socket down)',
    connecting: 'connecting…',
    disconnected: 'disconnected',
  }[status];
  return html`<header class="top">
      <h1>Shardcast</h1>
      <span class=${`status ${status}`} role="status" aria-live="polite" data-status=${status}>${statusText}</span>
      <${KeyForm} apiKey=${apiKey} refused=${refused} onKey=${onKey} />
    </header>
    ${
      snap
        ? html`<main>
          <${Tiles} snap=${snap} />
          ${stream ? html`<${Detail} key=${stream.stream} stream=${stream} events=${snap.events} apiKey=${apiKey} onClose=${() => setSelected(null)} />` : null}
          <${StreamsTable} streams=${snap.streams} sparks=${sparks.current} selected=${selected} onSelect=${setSelected} />
          <div class="charts">
            <${Chart} title="Egress and ingest (15 min)" data=${[chart[0], chart[1], chart[2]]}
              series=${[{ label: 'egress', value: f.bits }, { label: 'ingest', value: f.bits }]} />
            <${Chart} title="Viewers (15 min)" data=${[chart[0], chart[3], chart[4]]}
              series=${[{ label: 'TS', value: count }, { label: 'HLS', value: count }]} />
            <${Chart} title="p99 latency, 10 s windows (15 min)" data=${[chart[0], chart[5], chart[6]]}
              series=${[{ label: 'mpegts_client_join', value: f.ms }, { label: 'hls_manifest_generation', value: f.ms }]} />
            ${
              snap.tiles.docker_api_calls_per_min === null
                ? null
                : html`<${Chart} title="Docker API calls per minute (15 min)" data=${[chart[0], chart[7]]}
                    series=${[{ label: 'calls / min', value: count }]} />`
            }
          </div>
          <${EnginesTable} engines=${snap.engines} history=${engineHistory.current} apiKey=${apiKey} />
          <section class="card" aria-label="Events"><h2>Events</h2>
            ${snap.events.length ? html`<${EventList} events=${snap.events} />` : html`<p class="empty">No event yet.</p>`}
          </section>
        </main>`
        : html`<p class="boot">${status === 'disconnected' ? 'The gateway does not answer; retrying…' : 'Waiting for the first snapshot…'}</p>`
    }`;
}

render(html`<${App} />`, document.getElementById('app'));
