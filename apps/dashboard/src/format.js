// Numbers with their units; null (nothing measured yet) reads "no data", never a misleading zero.
export const NO_DATA = 'no data';

export function bits(v) {
  if (v === null || v === undefined) return NO_DATA;
  if (v >= 1e9) return `${(v / 1e9).toFixed(2)} Gbit/s`;
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} Mbit/s`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(0)} kbit/s`;
  return `${v.toFixed(0)} bit/s`;
}

export function bytes(v) {
  if (v === null || v === undefined) return NO_DATA;
  if (v >= 2 ** 30) return `${(v / 2 ** 30).toFixed(2)} GiB`;
  if (v >= 2 ** 20) return `${(v / 2 ** 20).toFixed(0)} MiB`;
  return `${(v / 1024).toFixed(0)} KiB`;
}

export function ms(v) {
  if (v === null || v === undefined) return NO_DATA;
  return v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`;
}

export function percent(v) {
  return v === null || v === undefined ? NO_DATA : `${v.toFixed(1)} %`;
}

export function duration(s) {
  if (s === null || s === undefined) return NO_DATA;
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

export function clock(atMs) {
  return new Date(atMs).toLocaleTimeString();
}

export function media(m) {
  if (!m) return NO_DATA;
  const video = m.video_codec
    ? `${m.video_codec}${m.width && m.height ? ` ${m.width}×${m.height}` : ''}${m.frame_rate ? ` ${m.frame_rate.toFixed(2).replace(/\.?0+$/, '')} fps` : ''}`
    : 'no video';
  return m.audio_codec ? `${video} · ${m.audio_codec}` : video;
}

/** The player URL of a stream token: a content id, or `ih-<infohash>`. */
export function manifestUrl(token) {
  return token.startsWith('ih-')
    ? `/ace/manifest.m3u8?infohash=${token.slice(3)}`
    : `/ace/manifest.m3u8?id=${token}`;
}
