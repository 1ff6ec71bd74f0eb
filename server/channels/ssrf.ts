import { lookup as dnsLookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import net, { BlockList } from "node:net";
import { env } from "@/server/env";

/**
 * Requests to hosts people type in (webhook URLs, provider base URLs, SMTP hosts) must not
 * reach into the network Junction runs in. Every such name is resolved, every address it
 * resolves to is checked, and the connection goes to the address that was checked (so a
 * name cannot answer differently the second time). Redirects are followed by hand, each
 * one checked again. `JUNCTION_ALLOW_PRIVATE_NETWORK=1` lets local development and the tests
 * reach their own machine.
 */

const RANGES: [string, number, "ipv4" | "ipv6", string][] = [
  ["0.0.0.0", 8, "ipv4", "an unspecified address"],
  ["10.0.0.0", 8, "ipv4", "a private network address"],
  ["100.64.0.0", 10, "ipv4", "a carrier-grade NAT address"],
  ["127.0.0.0", 8, "ipv4", "a loopback address"],
  ["169.254.0.0", 16, "ipv4", "a link-local address (cloud metadata lives here)"],
  ["172.16.0.0", 12, "ipv4", "a private network address"],
  ["192.0.0.0", 24, "ipv4", "a reserved address"],
  ["192.0.2.0", 24, "ipv4", "a documentation address"],
  ["192.168.0.0", 16, "ipv4", "a private network address"],
  ["198.18.0.0", 15, "ipv4", "a benchmarking address"],
  ["198.51.100.0", 24, "ipv4", "a documentation address"],
  ["203.0.113.0", 24, "ipv4", "a documentation address"],
  ["224.0.0.0", 4, "ipv4", "a multicast address"],
  ["240.0.0.0", 4, "ipv4", "a reserved address"],
  ["::", 128, "ipv6", "an unspecified address"],
  ["::1", 128, "ipv6", "a loopback address"],
  ["64:ff9b:1::", 48, "ipv6", "a local NAT64 address"],
  ["100::", 64, "ipv6", "a discard address"],
  ["2001:db8::", 32, "ipv6", "a documentation address"],
  ["fc00::", 7, "ipv6", "a unique-local (private) address"],
  ["fe80::", 10, "ipv6", "a link-local address"],
  ["ff00::", 8, "ipv6", "a multicast address"],
];
const blocks = RANGES.map(([network, prefix, family, reason]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family);
  return { list, family, reason };
});

const METADATA = new Set(["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "::ffff:169.254.169.254", "::ffff:a9fe:a9fe"]);

/** Why a connection to this IP address is refused, or null when it is a public address. */
export function blockedReason(address: string): string | null {
  const family = net.isIP(address);
  if (family === 0) return "not an IP address";
  // IPv4 written as IPv6 (::ffff:10.0.0.1, ::ffff:a00:1) is judged as the IPv4 address it is.
  const mapped = family === 6 ? /^::ffff:(?:0:)?(.+)$/i.exec(address)?.[1] : undefined;
  if (mapped !== undefined) {
    if (net.isIPv4(mapped)) return blockedReason(mapped);
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(mapped);
    if (hex) {
      const n = (parseInt(hex[1]!, 16) << 16) | parseInt(hex[2]!, 16);
      return blockedReason([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join("."));
    }
  }
  for (const { list, family: f, reason } of blocks) {
    if ((family === 4) === (f === "ipv4") && list.check(address, f)) return reason;
  }
  return null;
}

export class OutboundRefused extends Error {}

export interface OutboundPolicy {
  /** JUNCTION_ALLOW_PRIVATE_NETWORK: local development and tests. */
  allowPrivate?: boolean;
  /** Addresses allowed although blocked (an operator's own allowlist; the tests' local servers). */
  allow?: (address: string) => boolean;
  /** Resolves a name to all its addresses (tests give a fake DNS). */
  resolve?: (host: string) => Promise<{ address: string; family: number }[]>;
}

/** The policy the app runs under: private networks only with JUNCTION_ALLOW_PRIVATE_NETWORK=1. */
export function outboundPolicy(): OutboundPolicy {
  return { allowPrivate: env().JUNCTION_ALLOW_PRIVATE_NETWORK };
}

const systemResolve = (host: string) => dnsLookup(host, { all: true, verbatim: true });

/**
 * Resolves `host` and checks every address it has (one bad address refuses the name: the
 * resolver could hand out either). Returns the address to connect to.
 */
export async function checkHost(host: string, policy: OutboundPolicy = {}): Promise<{ address: string; family: 4 | 6 }> {
  const bare = host.replace(/^\[(.*)\]$/, "$1");
  let addresses: { address: string; family: number }[];
  if (net.isIP(bare)) addresses = [{ address: bare, family: net.isIP(bare) }];
  else {
    try {
      addresses = await (policy.resolve ?? systemResolve)(bare);
    } catch {
      throw new OutboundRefused(`${bare} could not be resolved`);
    }
    if (addresses.length === 0) throw new OutboundRefused(`${bare} could not be resolved`);
  }
  for (const { address } of addresses) {
    // Cloud metadata endpoints stay out of reach even where private networks are allowed.
    const reason = METADATA.has(address.toLowerCase())
      ? "a cloud metadata address"
      : policy.allowPrivate || policy.allow?.(address)
        ? null
        : blockedReason(address);
    if (reason) throw new OutboundRefused(`${bare} resolves to ${address}, ${reason}; Junction does not send there`);
  }
  const chosen = addresses[0]!;
  return { address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
}

export interface OutboundRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Redirects followed (each checked like the first request). */
  maxRedirects?: number;
  /** The response body is read up to this many bytes, then cut. */
  maxResponseBytes?: number;
}

export interface OutboundResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The URL that answered, after redirects. */
  url: string;
}

/** One HTTP(S) request to a user-given URL under the policy: checked, pinned, bounded. */
export async function outboundRequest(request: OutboundRequest, policy: OutboundPolicy = {}): Promise<OutboundResponse> {
  let url = parseUrl(request.url);
  let method = (request.method ?? "GET").toUpperCase();
  let body = request.body;
  for (let hop = 0; ; hop++) {
    const target = await checkHost(url.hostname, policy);
    const response = await send(url, target, { ...request, method, body });
    const location = response.headers.location;
    if (response.status >= 300 && response.status < 400 && location && [301, 302, 303, 307, 308].includes(response.status)) {
      if (hop >= (request.maxRedirects ?? 3)) throw new OutboundRefused(`too many redirects (more than ${request.maxRedirects ?? 3})`);
      url = parseUrl(new URL(location, url).toString());
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      continue;
    }
    return { ...response, url: url.toString() };
  }
}

function parseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OutboundRefused("not a valid URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new OutboundRefused(`only http and https URLs are allowed, not ${url.protocol.replace(/:$/, "")}`);
  if (url.username || url.password) throw new OutboundRefused("credentials in the URL are not allowed; use headers");
  return url;
}

function send(url: URL, target: { address: string; family: 4 | 6 }, request: OutboundRequest & { method: string }): Promise<Omit<OutboundResponse, "url">> {
  const client = url.protocol === "https:" ? https : http;
  const limit = request.maxResponseBytes ?? 1_000_000;
  return new Promise((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: request.method,
        headers: { ...request.headers, ...(request.body !== undefined ? { "content-length": String(Buffer.byteLength(request.body)) } : {}) },
        // The checked address, whatever the name resolves to now; TLS still verifies the name.
        lookup: (_host, options, callback) => {
          if ((options as { all?: boolean }).all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [target]);
          else callback(null, target.address, target.family);
        },
        timeout: request.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          if (size < limit) chunks.push(chunk.subarray(0, limit - size));
          size += chunk.length;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new OutboundRefused(`no answer within ${request.timeoutMs ?? 10_000} ms`)));
    req.on("error", (error) => reject(error instanceof OutboundRefused ? error : new OutboundRefused(`the request failed: ${error.message}`)));
    if (request.body !== undefined) req.write(request.body);
    req.end();
  });
}
