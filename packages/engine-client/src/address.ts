/**
 * The guard of an operator-listed URL source (a client made with `source: true`): such a source may send
 * the gateway to other hosts (redirects, CDN segments, variant playlists), but not into the operator's own
 * network. A target on a loopback, private (RFC 1918, fc00::/7, fec0::/10, the shared 100.64/10), link-local
 * (169.254/16 with the cloud metadata address, fe80::/10) or unspecified address, also one embedded in an IPv6
 * address (mapped, NAT64, 6to4), is fetched only when the source's own host is itself
 * such an address: an operator who lists a LAN source trusts the LAN.
 *
 * IP hosts are judged on their literal address; names on every address they resolve to, at connect time
 * (the `lookup` of the connection); the source's own name by its first answer (see guardedLookup).
 */
import dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { EngineError } from './errors.js';

function internalV4(a: number, b: number): boolean {
  return (
    a === 0 || // 0.0.0.0/8: unspecified ("this network")
    a === 10 ||
    (a === 100 && b >= 64 && b <= 127) || // 100.64/10: carrier-grade NAT, also Tailscale's tailnet
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168)
  );
}

/** The eight 16-bit groups of an IPv6 address (already known to be one), an embedded IPv4 tail included. */
function hextets(ip: string): number[] {
  let text = ip;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const parse = (s: string): number[] => (s === '' ? [] : s.split(':').map((h) => Number.parseInt(h, 16)));
  const left = parse(head);
  if (rest === undefined) return left;
  const right = parse(rest);
  return [...left, ...new Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0), ...right];
}

/** True for a loopback, private, link-local or unspecified IPv4 or IPv6 address; false for a name. */
export function isInternalAddress(address: string): boolean {
  const ip = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(ip);
  if (family === 4) {
    const [a, b] = ip.split('.').map(Number) as [number, number];
    return internalV4(a, b);
  }
  if (family !== 6) return false;
  const h = hextets(ip.split('%', 1)[0] ?? ip);
  if (h.length !== 8) return true; // not understood: treated as internal
  const h0 = h[0] ?? 0;
  const zeros5 = h.slice(0, 5).every((x) => x === 0);
  // IPv4-mapped ::ffff:a.b.c.d and the old IPv4-compatible ::a.b.c.d.
  if (zeros5 && (h[5] === 0xffff || h[5] === 0)) {
    const hi = h[6] ?? 0;
    if (h[5] === 0 && hi === 0) return true; // :: and ::1 (and ::x): unspecified, loopback
    return internalV4(hi >> 8, hi & 0xff);
  }
  // An IPv4 address inside IPv6 reaches that IPv4 host through a translator or relay: the IPv4-translated
  // ::ffff:0:a.b.c.d (SIIT), NAT64's 64:ff9b::a.b.c.d and 6to4's 2002:AABB:CCDD::; NAT64's local-use
  // 64:ff9b:1::/48 is the operator's own translator, internal as a whole.
  const [h1 = 0, h2 = 0, h3 = 0, h4 = 0, h5 = 0, h6 = 0] = h.slice(1);
  const embedded = (hi: number): boolean => internalV4(hi >> 8, hi & 0xff);
  if (h0 === 0 && h1 === 0 && h2 === 0 && h3 === 0 && h4 === 0xffff && h5 === 0) return embedded(h6);
  if (h0 === 0x64 && h1 === 0xff9b)
    return h2 === 1 || (h2 === 0 && h3 === 0 && h4 === 0 && h5 === 0 && embedded(h6));
  if (h0 === 0x2002) return embedded(h1);
  // Unique local fc00::/7, link-local fe80::/10 and the deprecated site-local fec0::/10.
  return (h0 & 0xfe00) === 0xfc00 || (h0 & 0xffc0) === 0xfe80 || (h0 & 0xffc0) === 0xfec0;
}

/**
 * Whether a URL source on host `source` may send the gateway to host `target` (URL hostnames, IPv6 in
 * brackets or not). A name is allowed here; its addresses are checked when it is connected to.
 */
export function sourceMayReach(source: string, target: string): boolean {
  return isInternalAddress(source) || !isInternalAddress(target);
}

type LookupResult = string | dns.LookupAddress[];
/** `dns.lookup` as the guard calls it (a test passes its own). */
export type Resolve = (
  hostname: string,
  options: dns.LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: LookupResult, family?: number) => void,
) => void;

/**
 * The connect-time half of the guard for a source on host `source`: a `lookup` that refuses a name
 * resolving to an internal address. The source's own name is judged by its first answer: one that first
 * resolved into the LAN is a LAN source and may go on doing so; one that first resolved to a public address
 * may not turn internal later (DNS rebinding by whoever runs the name). Undefined when the source is itself
 * an internal address.
 */
export function guardedLookup(
  source: string,
  resolve: Resolve = dns.lookup as unknown as Resolve,
): LookupFunction | undefined {
  if (isInternalAddress(source)) return undefined;
  const own = source.toLowerCase();
  let ownFirstInternal: boolean | undefined;
  return ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) => {
    resolve(hostname, options, (err, address, family) => {
      if (err) {
        callback(err, address, family);
        return;
      }
      const all = Array.isArray(address) ? address.map((a) => a.address) : [address];
      const internal = all.some(isInternalAddress);
      let why = 'resolves to an internal address; a source on a public host may not lead there';
      if (hostname.toLowerCase() === own) {
        ownFirstInternal ??= internal;
        why = 'now resolves to an internal address; it first resolved to a public one';
        if (ownFirstInternal) {
          callback(null, address, family);
          return;
        }
      }
      if (internal) {
        callback(new EngineError('SC_ERR_ENGINE_URL_REFUSED', `${hostname} ${why}`));
        return;
      }
      callback(null, address, family);
    });
  }) as unknown as LookupFunction;
}
