/**
 * Who is asking, behind a reverse proxy. A gateway behind HAProxy (or nginx, or an ingress) sees every
 * player arrive from the proxy's address, and the proxy says who the player is and how it reached the
 * proxy in `X-Forwarded-For`, `X-Forwarded-Proto` and `X-Forwarded-Host`. Anyone can send those headers,
 * so they are believed only from the addresses given with `--trusted-proxies`; from anyone else they are
 * ignored and the connection's own address counts.
 *
 * What they change: the client address that per-address bounds, client rosters and logs use, and the
 * scheme and host of the absolute URLs the exports build (`/playlist.m3u`, HDHomeRun's lineup) when
 * `--public-url` is not set.
 */

import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { BlockList, isIP } from 'node:net';

/** A request's origin as the gateway believes it. */
export interface ClientOrigin {
  /** The player's address: the connection's, or the nearest untrusted hop of X-Forwarded-For. */
  readonly address: string;
  /** `http` or `https` from a trusted proxy's X-Forwarded-Proto; else undefined (the connection's own). */
  readonly proto: 'http' | 'https' | undefined;
  /**
   * A trusted proxy's X-Forwarded-Host (validated), with its X-Forwarded-Port when the host names none
   * (the request's Host with that port if only the port was given); else undefined (the request's Host).
   */
  readonly host: string | undefined;
}

/** One DNS label: letters, digits and inner hyphens, at most 63 characters (RFC 1123 2.1). */
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A host name (or dotted IPv4 address), with the root's trailing dot allowed. */
const HOST_NAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);

/**
 * Whether `h` is a host[:port] as a URL may carry it (a host name, an IPv4 address or a bracketed IPv6
 * address; a port from 1 to 65535): what a Host or X-Forwarded-Host header may say. The exports copy it
 * into the absolute URLs they write, so anything else (`a..b`, `-a.com`, `host:99999`) is refused.
 */
export function isHost(h: string): boolean {
  let name = h;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0 || isIP(h.slice(1, end)) !== 6) return false;
    const rest = h.slice(end + 1);
    return rest === '' || (rest.startsWith(':') && isPort(rest.slice(1)));
  }
  const colon = h.indexOf(':');
  if (colon >= 0) {
    if (!isPort(h.slice(colon + 1))) return false;
    name = h.slice(0, colon);
  }
  return name.length <= 253 && HOST_NAME.test(name);
}

/** Whether a valid host (see `isHost`) names a port. */
function hasPort(h: string): boolean {
  return h.startsWith('[') ? h.includes(']:') : h.includes(':');
}

function isPort(p: string): boolean {
  if (!/^\d{1,5}$/.test(p)) return false;
  const n = Number(p);
  return n >= 1 && n <= 65535;
}

/** Addresses of X-Forwarded-For looked at, from the right; a longer chain is cut (it is attacker-sized). */
const MAX_HOPS = 16;

/** Parses one `--trusted-proxies` item (`10.0.0.5`, `10.0.0.0/8`, `::1`, `fd00::/8`); null when malformed. */
export function parseCidr(item: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | null {
  const slash = item.indexOf('/');
  const address = slash < 0 ? item : item.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return null;
  const bits = version === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = item.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return null;
    prefix = Number(p);
    if (prefix > bits) return null;
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export class ForwardedTrust {
  readonly #list: BlockList | null;

  /** `cidrs` were validated at start-up (see `parseCidr`); an empty list trusts nobody. */
  constructor(cidrs: readonly string[]) {
    if (cidrs.length === 0) {
      this.#list = null;
      return;
    }
    const list = new BlockList();
    for (const item of cidrs) {
      const c = parseCidr(item);
      if (c === null) throw new Error(`not an address or CIDR: ${item}`);
      list.addSubnet(c.address, c.prefix, c.family);
    }
    this.#list = list;
  }

  get enabled(): boolean {
    return this.#list !== null;
  }

  /** Whether `address` (as the socket layer prints it) is a configured proxy. */
  trusts(address: string): boolean {
    if (this.#list === null) return false;
    const a = plainAddress(address);
    const v = isIP(a);
    return v !== 0 && this.#list.check(a, v === 4 ? 'ipv4' : 'ipv6');
  }

  /**
   * The origin from the connection's address and the request's headers. Must run inside the uWS handler
   * (headers are gone after it returns). With nobody trusted, this is the connection's address alone.
   */
  origin(res: HttpResponse, req: HttpRequest): ClientOrigin {
    const peer = plainAddress(Buffer.from(res.getRemoteAddressAsText()).toString());
    return this.resolve(peer, (name) => req.getHeader(name));
  }

  /** `origin` over a header reader: the pure part, unit-tested. */
  resolve(peer: string, header: (name: string) => string): ClientOrigin {
    if (!this.trusts(peer)) return { address: peer, proto: undefined, host: undefined };
    // X-Forwarded-For lists hops left to right; each trusted proxy appended the one before it. The
    // player is the rightmost address that is not one of ours (anything left of it is the client's word).
    let address = peer;
    const hops = header('x-forwarded-for').split(',').slice(-MAX_HOPS);
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = plainAddress(hops[i]!.trim());
      if (isIP(hop) === 0) break;
      address = hop;
      if (!this.trusts(hop)) break;
    }
    const p = firstValue(header('x-forwarded-proto')).toLowerCase();
    const proto = p === 'http' || p === 'https' ? p : undefined;
    const h = firstValue(header('x-forwarded-host'));
    let host = isHost(h) ? h : undefined;
    // A proxy on a port of its own (nginx: `Host $host` or `X-Forwarded-Host $host`, which carry no port,
    // and `X-Forwarded-Port $server_port`) names the port apart: without it the exports' URLs pointed at
    // the default port, where nothing answers.
    const port = firstValue(header('x-forwarded-port'));
    if (isPort(port)) {
      const named = host ?? header('host');
      if (isHost(named) && !hasPort(named))
        host = port === (proto === 'https' ? '443' : '80') ? named : `${named}:${port}`;
    }
    return { address, proto, host };
  }
}

function firstValue(v: string): string {
  const comma = v.indexOf(',');
  return (comma < 0 ? v : v.slice(0, comma)).trim();
}

/**
 * An address without the IPv4-in-IPv6 wrapping a dual-stack socket reports (`::ffff:10.0.0.1`, or its
 * long hex form) and without the brackets or port some proxies add (`[::1]:5000`, `10.0.0.1:5000`).
 */
export function plainAddress(a: string): string {
  let s = a;
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end > 0) s = s.slice(1, end);
  } else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(s)) {
    s = s.slice(0, s.lastIndexOf(':'));
  }
  const lower = s.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(s.slice(7)) === 4) return s.slice(7);
  const m = /^(?:0{1,4}:){5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (m) {
    const hi = Number.parseInt(m[1]!, 16);
    const lo = Number.parseInt(m[2]!, 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return s;
}

/**
 * The header a shard sets on a request it relays to main when a trusted proxy named the scheme. Only the
 * shard writes it: the relay copies a fixed list of client headers, and this one is not on it.
 */
export const FORWARDED_PROTO = 'x-forwarded-proto';
