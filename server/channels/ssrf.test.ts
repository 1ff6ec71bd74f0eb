import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockedReason, checkHost, OutboundRefused, outboundRequest } from "./ssrf";

describe("which addresses channels may reach", () => {
  it.each([
    ["127.0.0.1", /loopback/],
    ["127.255.0.9", /loopback/],
    ["::1", /loopback/],
    ["10.1.2.3", /private/],
    ["172.16.0.1", /private/],
    ["172.31.255.255", /private/],
    ["192.168.1.1", /private/],
    ["100.64.0.1", /carrier-grade NAT/],
    ["169.254.169.254", /link-local.*metadata/],
    ["fd00:ec2::254", /unique-local/],
    ["fe80::1", /link-local/],
    ["fc00::1", /unique-local/],
    ["::ffff:127.0.0.1", /loopback/],
    ["::ffff:7f00:1", /loopback/],
    ["::ffff:a9fe:a9fe", /link-local/],
    ["0.0.0.0", /unspecified/],
    ["::", /unspecified/],
    ["224.0.0.1", /multicast/],
    ["255.255.255.255", /reserved/],
  ])("refuses %s", (address, reason) => {
    expect(blockedReason(address)).toMatch(reason);
  });

  it.each(["8.8.8.8", "93.184.216.34", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("allows the public address %s", (address) => {
    expect(blockedReason(address)).toBeNull();
  });

  it("refuses a name when any of its addresses is private (the resolver could hand out either)", async () => {
    const resolve = async () => [
      { address: "93.184.216.34", family: 4 },
      { address: "10.0.0.5", family: 4 },
    ];
    await expect(checkHost("hooks.example.com", { resolve })).rejects.toThrow(/hooks\.example\.com resolves to 10\.0\.0\.5, a private network address/);
    await expect(checkHost("hooks.example.com", { resolve, allowPrivate: true })).resolves.toEqual({ address: "93.184.216.34", family: 4 });
    await expect(checkHost("[::1]")).rejects.toThrow(/loopback/);
    // Allowing private networks (development) never opens the cloud metadata endpoint.
    await expect(checkHost("169.254.169.254", { allowPrivate: true })).rejects.toThrow(/cloud metadata/);
    await expect(checkHost("meta.example", { allowPrivate: true, resolve: async () => [{ address: "fd00:ec2::254", family: 6 }] })).rejects.toThrow(/cloud metadata/);
    await expect(checkHost("nowhere.invalid", { resolve: async () => Promise.reject(new Error("ENOTFOUND")) })).rejects.toThrow(/could not be resolved/);
  });
});

describe("outbound requests", () => {
  let server: http.Server;
  let port: number;
  const seen: { host?: string; method?: string; body: string }[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push({ host: req.headers.host, method: req.method, body });
        if (req.url === "/to-loopback-v6") return res.writeHead(302, { location: `http://[::1]:${port}/ok` }).end();
        if (req.url === "/again") return res.writeHead(307, { location: "/ok" }).end();
        if (req.url === "/big") return res.end("x".repeat(5_000));
        res.end(JSON.stringify({ ok: true }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  it("is refused for the machine's own addresses unless private networks are allowed", async () => {
    await expect(outboundRequest({ url: `http://127.0.0.1:${port}/ok` })).rejects.toThrow(OutboundRefused);
    await expect(outboundRequest({ url: `http://localhost:${port}/ok` })).rejects.toThrow(/loopback/);
    const answer = await outboundRequest({ url: `http://127.0.0.1:${port}/ok`, method: "POST", body: "{}" }, { allowPrivate: true });
    expect(answer).toMatchObject({ status: 200, body: '{"ok":true}' });
  });

  it("checks every redirect again, and keeps the method on 307", async () => {
    const only127 = { allow: (a: string) => a === "127.0.0.1" };
    await expect(outboundRequest({ url: `http://127.0.0.1:${port}/to-loopback-v6` }, only127)).rejects.toThrow(/::1.*loopback/);
    seen.length = 0;
    const followed = await outboundRequest({ url: `http://127.0.0.1:${port}/again`, method: "POST", body: "hello" }, only127);
    expect(followed).toMatchObject({ status: 200, url: `http://127.0.0.1:${port}/ok` });
    expect(seen.map((s) => [s.method, s.body])).toEqual([["POST", "hello"], ["POST", "hello"]]);
  });

  it("connects to the checked address, keeps the name for the Host header, and cuts long answers", async () => {
    seen.length = 0;
    const answer = await outboundRequest(
      { url: `http://hooks.example.test:${port}/big`, maxResponseBytes: 100 },
      { resolve: async () => [{ address: "127.0.0.1", family: 4 }], allow: (a) => a === "127.0.0.1" },
    );
    expect(answer.body).toHaveLength(100);
    expect(seen[0]!.host).toBe(`hooks.example.test:${port}`);
  });

  it("refuses what is not an http(s) URL", async () => {
    await expect(outboundRequest({ url: "file:///etc/passwd" })).rejects.toThrow(/only http and https/);
    await expect(outboundRequest({ url: "http://user:pw@example.com/" })).rejects.toThrow(/credentials in the URL/);
    await expect(outboundRequest({ url: "not a url" })).rejects.toThrow(/not a valid URL/);
  });
});
