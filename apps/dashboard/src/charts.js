// uPlot wrappers: a time-series chart and a bare sparkline. uPlot draws; these only size and feed it.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

const COLORS = ['#4aa3ff', '#f5a524', '#3ecf8e', '#e5484d'];

/** `data`: [times (s), ...series]; `series`: [{ label, value(v) → text }]. */
export function Chart({ title, series, data }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    const el = box.current;
    const opts = {
      width: el.clientWidth || 400,
      height: 180,
      legend: { live: false },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#9aa4b2', grid: { stroke: '#2a3140' } },
        {
          stroke: '#9aa4b2',
          grid: { stroke: '#2a3140' },
          size: 100,
          values: (_u, vals) => vals.map((v) => series[0].value(v)),
        },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: COLORS[i % COLORS.length],
          width: 1.5,
          value: (_u, v) => (v === null ? 'no data' : s.value(v)),
        })),
      ],
    };
    plot.current = new uPlot(opts, data, el);
    const resize = new ResizeObserver(() => plot.current?.setSize({ width: el.clientWidth, height: 180 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return html`<section class="card chart"><h3>${title}</h3><div ref=${box}></div></section>`;
}

/** A 110×28 bitrate sparkline without axes, legend or cursor. */
export function Sparkline({ data }) {
  const box = useRef(null);
  const plot = useRef(null);
  useEffect(() => {
    plot.current = new uPlot(
      {
        width: 110,
        height: 28,
        legend: { show: false },
        cursor: { show: false },
        axes: [{ show: false }, { show: false }],
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        series: [{}, { stroke: '#4aa3ff', width: 1, fill: 'rgba(74,163,255,0.15)', points: { show: false } }],
      },
      data,
      box.current,
    );
    return () => plot.current?.destroy();
  }, []);
  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);
  return html`<span class="spark" ref=${box}></span>`;
}
