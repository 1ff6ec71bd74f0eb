import { describe, expect, it } from "vitest";
import { normalizeForwarded, parseTrustedProxies, resolveForwarded } from "./forwarded";

describe("resolveForwarded", () => {
  const none = parseTrustedProxies("");
  const proxies = parseTrustedProxies("10.0.0.0/8, 192.168.1.7, fd00::/8");

  it("without trusted proxies the socket address is the client, whatever the headers say", () => {
    expect(resolveForwarded("203.0.113.5", { "x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example" }, none)).toEqual({
      clientAddress: "203.0.113.5",
      proto: null,
      host: null,
    });
    expect(resolveForwarded("::ffff:127.0.0.1", { "x-forwarded-for": "1.2.3.4, 5.6.7.8" }, none).clientAddress).toBe("127.0.0.1");
  });

  it("a header from an untrusted peer is ignored even when trusted proxies are configured", () => {
    expect(resolveForwarded("198.51.100.1", { "x-forwarded-for": "10.0.0.1" }, proxies).clientAddress).toBe("198.51.100.1");
  });

  it("through trusted proxies, the first untrusted hop from the right is the client", () => {
    // client → 10.1.1.1 (proxy) → 192.168.1.7 (proxy) → us; the client prepended a fake hop.
    const forwarded = resolveForwarded("192.168.1.7", { "x-forwarded-for": "6.6.6.6, 203.0.113.9, 10.1.1.1", "x-forwarded-proto": "https", "x-forwarded-host": "app.example" }, proxies);
    expect(forwarded).toEqual({ clientAddress: "203.0.113.9", proto: "https", host: "app.example" });
  });

  it("ports and brackets are understood; a malformed hop ends the walk at the proxy that sent it", () => {
    expect(resolveForwarded("10.0.0.2", { "x-forwarded-for": "[2001:db8::1]:4711" }, proxies).clientAddress).toBe("2001:db8::1");
    expect(resolveForwarded("10.0.0.2", { "x-forwarded-for": "203.0.113.9:5000" }, proxies).clientAddress).toBe("203.0.113.9");
    expect(resolveForwarded("10.0.0.2", { "x-forwarded-for": "not-an-ip" }, proxies).clientAddress).toBe("10.0.0.2");
    expect(resolveForwarded("fd00::5", { "x-forwarded-for": ["203.0.113.1", "10.0.0.3"] }, proxies).clientAddress).toBe("203.0.113.1");
  });

  it("proto and host are what the nearest proxy set (the last value), not what the client prepended", () => {
    expect(resolveForwarded("10.0.0.2", { "x-forwarded-proto": "http, https", "x-forwarded-host": "evil.example, app.example" }, proxies)).toMatchObject({ proto: "https", host: "app.example" });
  });

  it("only http/https and plain host names are taken from a trusted proxy", () => {
    expect(resolveForwarded("10.0.0.2", { "x-forwarded-proto": "javascript", "x-forwarded-host": "a b" }, proxies)).toMatchObject({ proto: null, host: null });
  });

  it("refuses a TRUSTED_PROXIES entry that is not an address or range", () => {
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow(/TRUSTED_PROXIES/);
    expect(() => parseTrustedProxies("proxy.internal")).toThrow(/not an IP address/);
  });
});

describe("normalizeForwarded", () => {
  it("replaces every forwarding header with what it believes", () => {
    const req = {
      headers: { "x-forwarded-for": "1.2.3.4, 5.6.7.8", "x-real-ip": "1.2.3.4", forwarded: "for=1.2.3.4", "x-forwarded-host": "evil.example", host: "localhost:3000" } as Record<string, string | string[] | undefined>,
      socket: { remoteAddress: "::ffff:127.0.0.1" },
    };
    normalizeForwarded(req, parseTrustedProxies(undefined));
    expect(req.headers).toEqual({ "x-forwarded-for": "127.0.0.1", host: "localhost:3000" });
  });
});
