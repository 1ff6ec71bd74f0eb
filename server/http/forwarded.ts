import { BlockList, isIP } from "node:net";

/**
 * Who is on the other end of a request. Anyone can send `X-Forwarded-For`, so it is only
 * believed when the connection comes from a proxy listed in TRUSTED_PROXIES (addresses or
 * CIDR ranges, comma-separated; empty by default: the socket address is the client).
 * scripts/serve.ts rewrites every request's forwarded headers with `normalizeForwarded`
 * before Next.js, better-auth (sign-in rate limit, session addresses) or the CSRF check
 * read them, so downstream code can trust them as they are. A trusted proxy must set
 * `X-Forwarded-Proto` and `X-Forwarded-Host` itself (or remove them), as it must for any
 * app behind it: what it passes through unchanged is what the client said.
 */

export interface TrustedProxies {
  has(address: string): boolean;
}

/** `10.0.0.0/8, 192.168.1.7, ::1` → a matcher. Throws on an entry that is not an address or range. */
export function parseTrustedProxies(value: string | undefined): TrustedProxies {
  const list = new BlockList();
  let empty = true;
  for (const raw of (value ?? "").split(",")) {
    const entry = raw.trim();
    if (!entry) continue;
    const [address, bits] = entry.split("/", 2) as [string, string | undefined];
    const family = isIP(address);
    if (family === 0) throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range`);
    const type = family === 4 ? "ipv4" : "ipv6";
    if (bits === undefined) list.addAddress(address, type);
    else {
      const prefix = Number(bits);
      if (!/^\d+$/.test(bits) || prefix > (family === 4 ? 32 : 128)) throw new Error(`TRUSTED_PROXIES: "${entry}" has an invalid prefix length`);
      list.addSubnet(address, prefix, type);
    }
    empty = false;
  }
  return {
    has(address: string) {
      if (empty) return false;
      const plain = unmapped(address);
      const family = isIP(plain);
      return family !== 0 && list.check(plain, family === 4 ? "ipv4" : "ipv6");
    },
  };
}

/** `::ffff:127.0.0.1` (an IPv4 client on a dual-stack socket) → `127.0.0.1`. */
function unmapped(address: string): string {
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

function list(header: string | string[] | undefined): string[] {
  const joined = Array.isArray(header) ? header.join(",") : (header ?? "");
  return joined.split(",").map((s) => s.trim()).filter(Boolean);
}

/** One forwarded address: `[2001:db8::1]:443` / `203.0.113.9:5000` / `203.0.113.9` → the address, or null. */
function address(entry: string): string | null {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  const candidate = bracketed ? bracketed[1]! : /^[\d.]+:\d+$/.test(entry) ? entry.slice(0, entry.lastIndexOf(":")) : entry;
  return isIP(candidate) ? unmapped(candidate) : null;
}

export interface Forwarded {
  /** The client's address: the socket peer, or — through trusted proxies only — the first untrusted hop. */
  clientAddress: string;
  /** `http`/`https` and the host the client asked for, as a trusted proxy reports them (else null: ask the socket). */
  proto: string | null;
  host: string | null;
}

/**
 * Walks `X-Forwarded-For` from the right, starting at the socket peer: while the current
 * hop is a trusted proxy, the address it reports is believed. The first untrusted hop is
 * the client. A malformed entry stops the walk (the hop that sent it is the client).
 */
export function resolveForwarded(
  socketAddress: string,
  headers: { "x-forwarded-for"?: string | string[]; "x-forwarded-proto"?: string | string[]; "x-forwarded-host"?: string | string[] },
  trusted: TrustedProxies,
): Forwarded {
  const peer = unmapped(socketAddress);
  if (!trusted.has(peer)) return { clientAddress: peer, proto: null, host: null };
  const hops = list(headers["x-forwarded-for"]);
  let client = peer;
  for (let i = hops.length - 1; i >= 0 && trusted.has(client); i--) {
    const hop = address(hops[i]!);
    if (!hop) break;
    client = hop;
  }
  // The value our nearest proxy set (the last one): a proxy that sets these headers
  // overwrites or appends, so anything before it is what the client claimed.
  const proto = list(headers["x-forwarded-proto"]).at(-1)?.toLowerCase();
  const host = list(headers["x-forwarded-host"]).at(-1);
  return {
    clientAddress: client,
    proto: proto === "http" || proto === "https" ? proto : null,
    host: host && /^[A-Za-z0-9.\-:[\]]{1,255}$/.test(host) ? host : null,
  };
}

const FORWARDING_HEADERS = ["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port", "x-real-ip", "forwarded"];

/**
 * Replaces the request's forwarding headers with what `resolveForwarded` believes: one
 * `X-Forwarded-For` address, and proto/host only when a trusted proxy reported them
 * (otherwise Next.js fills them in from the socket).
 */
export function normalizeForwarded(
  req: { headers: Record<string, string | string[] | undefined>; socket: { remoteAddress?: string } },
  trusted: TrustedProxies,
): Forwarded {
  const forwarded = resolveForwarded(req.socket.remoteAddress ?? "", req.headers, trusted);
  for (const name of FORWARDING_HEADERS) delete req.headers[name];
  if (forwarded.clientAddress) req.headers["x-forwarded-for"] = forwarded.clientAddress;
  if (forwarded.proto) req.headers["x-forwarded-proto"] = forwarded.proto;
  if (forwarded.host) req.headers["x-forwarded-host"] = forwarded.host;
  return forwarded;
}
