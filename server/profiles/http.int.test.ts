import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { ingestBatch } from "@/server/ingest/service";
import { insertApiKey } from "@/server/keys/service";
import { handleProfileSegments } from "@/server/segments/http";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { handleProfile, handleProfileEvents } from "./http";

describe("profile read API: ids as they come from the path", () => {
  const t = useTestDatabase();
  let key: string;

  beforeAll(async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    key = (await insertApiKey(t.db, { workspaceId: workspace.id, name: "s", kind: "secret", createdById: admin.id })).raw;
    const items = ["ddA", "dd%41", "50%off"].map((userId, i) => {
      const parsed = parseMessage({ type: "identify", userId, traits: { n: i }, messageId: `m-${i}` });
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: new Date() };
    });
    await ingestBatch(t.db, { workspaceId: workspace.id, items });
  });

  const get = (url = "http://x/") => new Request(url, { headers: { authorization: `Bearer ${key}` } });

  // Next.js hands route handlers the path segment decoded once: /profiles/dd%2541 → "dd%41".
  it.each([
    ["dd%41", 1],
    ["ddA", 0],
    ["50%off", 2],
  ])("%s is that user, never decoded a second time", async (id, n) => {
    const res = await handleProfile(get(), id);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ userId: id, traits: { n } });
    expect((await handleProfileEvents(get(), id)).status).toBe(200);
    expect((await handleProfileSegments(get(), id)).status).toBe(200);
  });

  it.each(["nope", "a\u0000b", "cut\ud800", "x".repeat(300)])("%j is simply not found", async (id) => {
    expect((await handleProfile(get(), id)).status).toBe(404);
    expect((await handleProfileEvents(get(), id)).status).toBe(404);
    expect((await handleProfileSegments(get(), id)).status).toBe(404);
  });

  it("a cursor that was not made here is a 400 naming it", async () => {
    const res = await handleProfileEvents(get(`http://x/?before=${Buffer.from("2026-01-01T00:00:00.000Z|99999999999999999999").toString("base64url")}`), "ddA");
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/^before: /);
  });
});
