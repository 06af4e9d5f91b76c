/**
 * What IPTV apps and media servers read from the gateway: the M3U Plus playlist of the catalog, and the
 * HDHomeRun tuner emulation (discover.json, lineup.json, lineup_status.json, device.xml) that Plex,
 * Jellyfin and Emby add as a network tuner. Pure: catalog and base URL in, text out.
 */
import { createHash } from 'node:crypto';
import type { Catalog } from './catalog.js';
import { extinf, plainText } from './render.js';
import { xmlChars } from './xmltv.js';

export interface PlayerUrls {
  /** Absolute base, no trailing slash: `http://gateway:8000`. */
  readonly base: string;
  /** The player token to carry in every URL (null: tokens are off). */
  readonly token: string | null;
}

export function channelUrl(u: PlayerUrls, id: string, format: 'ts' | 'hls'): string {
  const path = `${u.base}/channel/${id}.${format === 'hls' ? 'm3u8' : 'ts'}`;
  return u.token === null ? path : `${path}?token=${encodeURIComponent(u.token)}`;
}

/** `GET /playlist.m3u`: one entry per channel, M3U Plus attributes, absolute URLs. */
export function renderPlaylist(catalog: Catalog, u: PlayerUrls, format: 'ts' | 'hls'): string {
  const lines = ['#EXTM3U'];
  for (const c of catalog.channels) lines.push(extinf(c), channelUrl(u, c.id, format));
  return `${lines.join('\n')}\n`;
}

// --------------------------------------------------------------------------------------------- HDHomeRun

/** The nibble lookup of libhdhomerun's device id check (hdhomerun_discover_validate_device_id). */
const DEVICE_ID_LUT = [0xa, 0x5, 0xf, 0x6, 0x7, 0xc, 0x1, 0xb, 0x9, 0x2, 0x8, 0xd, 0x4, 0x3, 0xe, 0x0];

/** XOR of the id's nibbles, every other one through the lookup: 0 for a valid id. */
function deviceIdChecksum(id: number): number {
  let c = 0;
  for (let shift = 28; shift >= 0; shift -= 4) {
    const n = (id >>> shift) & 0xf;
    c ^= (shift / 4) % 2 === 1 ? DEVICE_ID_LUT[n]! : n;
  }
  return c;
}

export function isValidDeviceId(hex: string): boolean {
  return /^[0-9A-Fa-f]{8}$/.test(hex) && deviceIdChecksum(Number.parseInt(hex, 16)) === 0;
}

/**
 * A stable DeviceID from `seed` (the gateway's public address): seven hex digits from its hash, and the
 * last chosen so that the check digit test passes (clients drop a tuner whose id fails it). The last
 * nibble enters the checksum as itself, so it is the checksum of the other seven.
 */
export function deviceIdFor(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  const high = ((h.readUInt32BE(0) & 0x0fffffff) | 0x10000000) >>> 0; // 1xxxxxxx, like real tuners
  const first7 = high & 0xfffffff0;
  return ((first7 | deviceIdChecksum(first7)) >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

export interface Tuner {
  readonly friendlyName: string;
  readonly deviceId: string;
  readonly tunerCount: number;
  /** Base of the tuner's own URLs (for a token, `<base>/hdhr/<token>`). */
  readonly baseUrl: string;
}

export const HDHR_MODEL = 'HDTC-2US';
export const HDHR_FIRMWARE_NAME = 'hdhomeruntc_atsc';
export const HDHR_FIRMWARE_VERSION = '20200101';

export function discoverJson(t: Tuner): Record<string, unknown> {
  return {
    FriendlyName: t.friendlyName,
    Manufacturer: 'Silicondust',
    ModelNumber: HDHR_MODEL,
    FirmwareName: HDHR_FIRMWARE_NAME,
    FirmwareVersion: HDHR_FIRMWARE_VERSION,
    DeviceID: t.deviceId,
    DeviceAuth: 'shardcast',
    BaseURL: t.baseUrl,
    LineupURL: `${t.baseUrl}/lineup.json`,
    TunerCount: t.tunerCount,
  };
}

export function lineupJson(catalog: Catalog, u: PlayerUrls): Array<Record<string, unknown>> {
  return catalog.channels.map((c) => ({
    GuideNumber: c.number,
    GuideName: plainText(c.name),
    URL: channelUrl(u, c.id, 'ts'),
    HD: 1,
  }));
}

export const LINEUP_STATUS = {
  ScanInProgress: 0,
  ScanPossible: 1,
  Source: 'Cable',
  SourceList: ['Cable'],
};

export function deviceXml(t: Tuner): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<root xmlns="urn:schemas-upnp-org:device-1-0">
  <specVersion><major>1</major><minor>0</minor></specVersion>
  <URLBase>${xml(t.baseUrl)}</URLBase>
  <device>
    <deviceType>urn:schemas-upnp-org:device:MediaServer:1</deviceType>
    <friendlyName>${xml(t.friendlyName)}</friendlyName>
    <manufacturer>Silicondust</manufacturer>
    <modelName>${HDHR_MODEL}</modelName>
    <modelNumber>${HDHR_MODEL}</modelNumber>
    <serialNumber>${t.deviceId}</serialNumber>
    <UDN>uuid:${t.deviceId}</UDN>
  </device>
</root>
`;
}

export function xml(s: string): string {
  return xmlChars(s).replace(/[<>&'"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
