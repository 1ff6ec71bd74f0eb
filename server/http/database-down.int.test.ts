import { beforeAll, describe, expect, it } from "vitest";
import { freePort } from "@/server/db/embedded";

/**
 * With the database down, every API answers 503 with Retry-After (a client's cue to come
 * back), in its own format, and never a bare 500 or the database's words.
 */
describe("APIs while the database is down", () => {
  beforeAll(async () => {
    // A port nobody listens on: the database is "down".
    process.env.DATABASE_URL = `postgresql://postgres:secret-password@127.0.0.1:${await freePort()}/junction`;
    process.env.BETTER_AUTH_SECRET ??= "test-secret-test-secret-test-secret-000";
  });

  const basic = `Basic ${Buffer.from("jw_some-write-key:").toString("base64")}`;

  it("the tracking API: 503 with Retry-After, for keys in the header or in the body", async () => {
    const { handleIngest } = await import("@/server/ingest/http");
    for (const init of <{ headers: Record<string, string>; body: string }[]>[
      { headers: { authorization: basic, "content-type": "application/json" }, body: JSON.stringify({ userId: "u", event: "e" }) },
      { headers: { "content-type": "application/json" }, body: JSON.stringify({ writeKey: "jw_x", userId: "u", event: "e" }) },
    ]) {
      const res = await handleIngest(new Request("http://x/api/v1/track", { method: "POST", ...init }), "track");
      expect(res.status).toBe(503);
      expect(Number(res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
      expect(await res.text()).not.toContain("secret-password");
    }
  });

  it("the read and segment APIs: 503 with Retry-After", async () => {
    const { handleProfile, handleProfileEvents } = await import("@/server/profiles/http");
    const { handleSegmentCount, handleProfileSegments } = await import("@/server/segments/http");
    const auth = { authorization: "Bearer js_some-secret-key" };
    for (const res of [
      await handleProfile(new Request("http://x/", { headers: auth }), "u"),
      await handleProfileEvents(new Request("http://x/", { headers: auth }), "u"),
      await handleProfileSegments(new Request("http://x/", { headers: auth }), "u"),
      await handleSegmentCount(new Request("http://x/", { method: "POST", headers: auth, body: "{}" })),
    ]) {
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
      expect(await res.text()).not.toMatch(/secret-password|ECONNREFUSED/);
    }
  });

  it("tRPC: 503 with a plain message the app shows, for queries and mutations", async () => {
    const { handleTrpcRequest } = await import("@/server/api/http");
    const { UNAVAILABLE_MESSAGE } = await import("@/server/api/trpc");
    const headers = { host: "localhost:3000", cookie: "better-auth.session_token=abc.def" };
    const query = await handleTrpcRequest(new Request("http://localhost:3000/api/trpc/segments.list?batch=1&input=%7B%7D", { headers }));
    const mutation = await handleTrpcRequest(
      new Request("http://localhost:3000/api/trpc/segments.create", {
        method: "POST",
        headers: { ...headers, "content-type": "application/json", origin: "http://localhost:3000" },
        body: JSON.stringify({ json: { name: "x" } }),
      }),
    );
    for (const res of [query, mutation]) {
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).toContain(UNAVAILABLE_MESSAGE);
      expect(text).not.toMatch(/secret-password|ECONNREFUSED|stack/);
    }
  });
});
