import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type ContainerFacts,
  factsFromInspect,
  factsFromSummary,
  matchesSelector,
  parseLabelSelector,
  resolveAddress,
} from '../src/index.js';

function facts(o: Partial<ContainerFacts>): ContainerFacts {
  return {
    id: 'c1',
    name: 'engine-1',
    labels: {},
    running: true,
    networkMode: 'bridge',
    ips: [],
    ports: [],
    ...o,
  };
}
const url = (f: ContainerFacts) => {
  const r = resolveAddress(f);
  return r.ok ? r.url : `error: ${r.reason}`;
};

test('label selector: `key=value` and bare `key`, matched like the Docker filter', () => {
  const kv = parseLabelSelector('shardcast.engine=true');
  assert.ok(typeof kv !== 'string');
  assert.equal(kv.filter, 'shardcast.engine=true');
  assert.equal(matchesSelector({ 'shardcast.engine': 'true' }, kv), true);
  assert.equal(matchesSelector({ 'shardcast.engine': 'false' }, kv), false);
  assert.equal(matchesSelector({}, kv), false);
  const bare = parseLabelSelector('acestream');
  assert.ok(typeof bare !== 'string');
  assert.equal(matchesSelector({ acestream: '' }, bare), true);
  assert.equal(matchesSelector({ other: 'x' }, bare), false);
});

test('label selector: malformed selectors are one sentence each', () => {
  assert.match(String(parseLabelSelector('=x')), /must be "key" or "key=value"/);
  assert.match(String(parseLabelSelector('a=b=c')), /at most one "="/);
  assert.match(String(parseLabelSelector('has space')), /valid label key/);
});

test('address: both labels win over everything', () => {
  const f = facts({
    labels: { 'shardcast.engine.host': 'engine.local', 'shardcast.engine.port': '7000' },
    ips: ['172.17.0.5'],
    ports: [{ privatePort: 6878, publicPort: 16878, hostIp: '0.0.0.0', protocol: 'tcp' }],
  });
  assert.equal(url(f), 'http://engine.local:7000');
});

test('address: a port label alone uses the container IP, or 127.0.0.1 on the host network', () => {
  assert.equal(
    url(facts({ labels: { 'shardcast.engine.port': '7000' }, ips: ['172.17.0.5', '10.0.0.2'] })),
    'http://172.17.0.5:7000',
  );
  assert.equal(
    url(facts({ labels: { 'shardcast.engine.port': '7000' }, networkMode: 'host' })),
    'http://127.0.0.1:7000',
  );
  assert.match(
    url(facts({ labels: { 'shardcast.engine.port': '7000' }, networkMode: 'none' })),
    /no IP address/,
  );
});

test('address: a published 6878 is reached on its host port (loopback for a wildcard bind)', () => {
  const pub = (hostIp: string) =>
    facts({
      ips: ['172.17.0.5'],
      ports: [{ privatePort: 6878, publicPort: 16878, hostIp, protocol: 'tcp' }],
    });
  assert.equal(url(pub('0.0.0.0')), 'http://127.0.0.1:16878');
  assert.equal(url(pub('::')), 'http://127.0.0.1:16878');
  assert.equal(url(pub('192.0.2.10')), 'http://192.0.2.10:16878');
  const labelled = facts({ ...pub('0.0.0.0'), labels: { 'shardcast.engine.host': 'gw-host' } });
  assert.equal(url(labelled), 'http://gw-host:16878');
});

test('address: an exposed 6878 is reached on the container IP; host network defaults to 6878', () => {
  const exposed = facts({
    ips: ['172.17.0.5'],
    ports: [{ privatePort: 6878, publicPort: null, hostIp: '', protocol: 'tcp' }],
  });
  assert.equal(url(exposed), 'http://172.17.0.5:6878');
  assert.equal(url(facts({ networkMode: 'host' })), 'http://127.0.0.1:6878');
  assert.equal(url(facts({ ips: ['fd00::5'], ports: exposed.ports })), 'http://[fd00::5]:6878');
});

test('address: no port to use, a bad port label or a bad host label is a reason, not an engine', () => {
  assert.match(url(facts({ ips: ['172.17.0.5'] })), /neither publishes nor exposes 6878\/tcp/);
  const udp = facts({
    ips: ['172.17.0.5'],
    ports: [{ privatePort: 6878, publicPort: null, hostIp: '', protocol: 'udp' }],
  });
  assert.match(url(udp), /neither publishes nor exposes/);
  for (const p of ['0', '65536', 'http', '80a']) {
    assert.match(
      url(facts({ ips: ['1.2.3.4'], labels: { 'shardcast.engine.port': p } })),
      /is not a port number/,
    );
  }
  for (const h of ['a/b', 'evil.com:80', '', 'x y']) {
    assert.match(
      url(facts({ ips: ['1.2.3.4'], labels: { 'shardcast.engine.host': h } })),
      /not a host name or IP/,
    );
  }
});

test('facts from a list entry and from inspect agree', () => {
  const summary = factsFromSummary({
    Id: 'abc',
    Names: ['/eng'],
    Labels: { 'shardcast.engine': 'true' },
    State: 'running',
    Ports: [
      { PrivatePort: 6878, Type: 'tcp' },
      { IP: '0.0.0.0', PrivatePort: 6878, PublicPort: 16878, Type: 'tcp' },
    ],
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Networks: { zeta: { IPAddress: '10.9.0.2' }, bridge: { IPAddress: '172.17.0.5' } } },
  });
  const inspect = factsFromInspect({
    Id: 'abc',
    Name: '/eng',
    State: { Running: true },
    Config: { Labels: { 'shardcast.engine': 'true' }, ExposedPorts: { '6878/tcp': {} } },
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: {
      Ports: { '6878/tcp': [{ HostIp: '0.0.0.0', HostPort: '16878' }] },
      Networks: { zeta: { IPAddress: '10.9.0.2' }, bridge: { IPAddress: '172.17.0.5' } },
    },
  });
  for (const f of [summary, inspect]) {
    assert.equal(f.name, 'eng');
    assert.equal(f.running, true);
    assert.deepEqual(f.ips, ['172.17.0.5', '10.9.0.2'], 'sorted by network name');
    assert.equal(url(f), 'http://127.0.0.1:16878');
  }
});

test('inspect of a host-network container: exposed ports come from Config', () => {
  const f = factsFromInspect({
    Id: 'h',
    State: { Running: true },
    Config: { Labels: {}, ExposedPorts: { '6878/tcp': {}, '8621/udp': {} } },
    HostConfig: { NetworkMode: 'host' },
    NetworkSettings: { Ports: {}, Networks: { host: { IPAddress: '' } } },
  });
  assert.deepEqual(f.ips, []);
  assert.equal(f.ports.length, 2);
  assert.equal(url(f), 'http://127.0.0.1:6878');
});
