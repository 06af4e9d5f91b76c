// The HDHomeRun answers next to fixtures shaped like a real tuner's (the discover.json and lineup.json
// fields Plex, Jellyfin and Emby read, with the JSON type each has on the hardware), and the DeviceID check
// digit against ids of that form: a media server's check must accept the gateway's id as it accepts a
// device's, and refuse an id with a wrong check digit.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCatalog } from '../src/channels/catalog.js';
import { isValidDeviceId } from '../src/channels/exports.js';
import { loadConfig } from '../src/config/load.js';
import { ExportRoutes } from '../src/control/exports.js';

/** A PRIME-style tuner's /discover.json (its own values; the gateway's differ, the field set must not). */
const DEVICE_DISCOVER = {
  FriendlyName: 'HDHomeRun PRIME',
  ModelNumber: 'HDHR3-CC',
  FirmwareName: 'hdhomerun3_cablecard',
  FirmwareVersion: '20160630atest2',
  DeviceID: 'FFFFFFFF',
  DeviceAuth: 'FFFFFFFF',
  TunerCount: 3,
  BaseURL: 'http://192.168.1.182:80',
  LineupURL: 'http://192.168.1.182:80/lineup.json',
};
/** One entry of a tuner's /lineup.json. */
const DEVICE_LINEUP_ENTRY = {
  GuideNumber: '4.1',
  GuideName: 'WCMH-DT',
  HD: 1,
  URL: 'http://192.168.1.111:5004/auto/v4.1',
};

/** DeviceIDs in a tuner's form: the one above (valid) and ids whose last digit is not the check digit. */
const DEVICE_IDS: Array<[string, boolean]> = [
  ['FFFFFFFF', true],
  ['FFFFFFFE', false],
  ['12345678', false],
  ['1040A1B9', false],
];

const catalog = parseCatalog(
  JSON.stringify({
    channels: [
      { id: 'wcmh', number: '4.1', name: 'WCMH-DT', sources: ['a'.repeat(40)] },
      { id: 'news', name: 'News', sources: ['b'.repeat(40)] },
    ],
  }),
).catalog!;
const routes = new ExportRoutes(
  loadConfig(['--docker', 'off', '--tuner-count', '3'], {}).config,
  () => catalog,
);
const get = (path: string): any =>
  JSON.parse(routes.handle({ method: 'GET', path, query: '', headers: { host: '192.168.1.50:8000' } }).body);

test('discover.json has every field a tuner sends, with the same JSON type', () => {
  const d = get('/discover.json');
  for (const [key, value] of Object.entries(DEVICE_DISCOVER)) {
    assert.equal(typeof d[key], typeof value, `${key}: ${JSON.stringify(d[key])}`);
  }
  assert.match(d.DeviceID, /^[0-9A-F]{8}$/, 'eight upper-case hex digits, like a tuner');
  assert.ok(isValidDeviceId(d.DeviceID));
  assert.equal(d.TunerCount, 3);
  assert.equal(d.BaseURL, 'http://192.168.1.50:8000');
  assert.equal(d.LineupURL, `${d.BaseURL}/lineup.json`, 'LineupURL is BaseURL + /lineup.json, as on a tuner');
});

test('lineup.json entries have the fields and types of a tuner’s', () => {
  const l = get('/lineup.json');
  assert.equal(l.length, 2);
  for (const e of l) {
    for (const [key, value] of Object.entries(DEVICE_LINEUP_ENTRY))
      assert.equal(typeof e[key], typeof value, `${key}: ${JSON.stringify(e[key])}`);
  }
  assert.equal(l[0].GuideNumber, '4.1', 'a sub-channel number stays a string');
  assert.equal(l[0].GuideName, 'WCMH-DT');
  assert.equal(l[0].URL, 'http://192.168.1.50:8000/channel/wcmh.ts');
  assert.equal(l[1].GuideNumber, '5', 'a channel without a number gets the next one');
});

test('the DeviceID check digit accepts and refuses the ids a media server would', () => {
  for (const [id, valid] of DEVICE_IDS) assert.equal(isValidDeviceId(id), valid, id);
  assert.equal(isValidDeviceId('ffffffff'), true, 'case does not matter to the check');
  assert.equal(isValidDeviceId('FFFFFFF'), false, 'seven digits');
  assert.equal(isValidDeviceId('FFFFFFFFF'), false, 'nine digits');
});
