import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { encodeKeyset } from "@/server/db/keyset";
import { ingestBatch } from "@/server/ingest/service";
import { insertApiKey } from "@/server/keys/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { handleListMessages, handleMessageDismissed, handleMessageSeen } from "./http";
import { listInAppMessages, markInAppMessage, removeExpiredInAppMessages, storeInAppMessage } from "./service";

describe("in-app messages", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let secretKey: string;
  let writeKey: string;
  let otherKey: string;
  let otherWorkspaceId: string;
  let n = 0;

  async function person(workspace: string, userId: string, anonymousId?: string): Promise<string> {
    const parsed = parseMessage({ type: "identify", userId, anonymousId, messageId: `p-${++n}` });
    if (!parsed.ok) throw new Error(parsed.error);
    await ingestBatch(t.db, { workspaceId: workspace, items: [{ message: parsed.message, receivedAt: new Date() }] });
    return (await t.db.profile.findFirstOrThrow({ where: { workspaceId: workspace, userId } })).id;
  }

  const T0 = new Date("2026-12-01T09:00:00.000Z");
  const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);
  let ann: string;
  const ids: string[] = [];

  beforeAll(async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    workspaceId = workspace.id;
    secretKey = (await insertApiKey(t.db, { workspaceId, name: "s", kind: "secret", createdById: admin.id })).raw;
    writeKey = (await insertApiKey(t.db, { workspaceId, name: "w", kind: "write", createdById: admin.id })).raw;
    const other = await createWorkspaceWith(t.db);
    otherWorkspaceId = other.workspace.id;
    otherKey = (await insertApiKey(t.db, { workspaceId: otherWorkspaceId, name: "s", kind: "secret", createdById: other.admin.id })).raw;

    ann = await person(workspaceId, "ann", "ann-anon");
    // Five messages a minute apart; the third expired long ago, the fourth expires far ahead.
    for (let i = 0; i < 5; i++) {
      const stored = await storeInAppMessage(t.db, {
        workspaceId,
        profileId: ann,
        deliveryId: `d-${i}`,
        content: { title: `Message ${i}`, body: `Body ${i}`, buttonLabel: i === 0 ? "Show me" : "", buttonUrl: i === 0 ? "/analysis" : "" },
        now: minutes(i),
        expiresAt: i === 2 ? minutes(10) : i === 3 ? new Date("2099-01-01T00:00:00.000Z") : null,
      });
      ids.push(stored.id);
    }
  });

  const req = (url: string, key: string | null = secretKey, init: RequestInit = {}) =>
    new Request(`http://localhost${url}`, { ...init, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(init.headers as Record<string, string>) } });
  const list = (query = "", userId = "ann", key: string | null = secretKey) => handleListMessages(req(`/api/v1/profiles/${userId}/messages${query}`, key), userId);
  const post = (what: "seen" | "dismissed", messageId: string, userId = "ann", key: string | null = secretKey, init: RequestInit = {}) =>
    (what === "seen" ? handleMessageSeen : handleMessageDismissed)(req(`/api/v1/profiles/${userId}/messages/${messageId}/${what}`, key, { method: "POST", ...init }), { userId, messageId });

  it("storeInAppMessage is idempotent on the delivery, and checks the content and the person", async () => {
    const again = await storeInAppMessage(t.db, { workspaceId, profileId: ann, deliveryId: "d-0", content: { title: "Changed", body: "" } });
    expect(again).toEqual({ id: ids[0], created: false });
    expect(await t.db.inAppMessage.count({ where: { deliveryId: "d-0" } })).toBe(1);
    expect((await t.db.inAppMessage.findUniqueOrThrow({ where: { id: ids[0] } })).content).toMatchObject({ title: "Message 0" });

    // Idempotent inside a caller's transaction too (a no-op insert does not abort it).
    await t.db.$transaction(async (tx) => {
      expect((await storeInAppMessage(tx, { workspaceId, profileId: ann, deliveryId: "d-1", content: { title: "x", body: "" } })).created).toBe(false);
      await tx.profile.count();
    });

    await expect(storeInAppMessage(t.db, { workspaceId, profileId: ann, content: { title: "Hi", body: "", buttonLabel: "Go", buttonUrl: "javascript:alert(1)" } })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/buttonUrl: must not be a javascript:/),
    });
    await expect(storeInAppMessage(t.db, { workspaceId, profileId: ann, content: { title: "", body: "x" } })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/title: is required/) });
    await expect(storeInAppMessage(t.db, { workspaceId: otherWorkspaceId, profileId: ann, content: { title: "Hi", body: "" } })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(storeInAppMessage(t.db, { workspaceId: otherWorkspaceId, profileId: await person(otherWorkspaceId, "zed"), deliveryId: "d-0", content: { title: "Hi", body: "" } })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await t.db.inAppMessage.count({ where: { profileId: ann } })).toBe(5);
  });

  it("GET lists what to show: not dismissed, not expired, newest first, with the button", async () => {
    const res = await list();
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.next).toBeNull();
    expect(body.messages.map((m: { title: string }) => m.title)).toEqual(["Message 4", "Message 3", "Message 1", "Message 0"]);
    expect(body.messages.at(-1)).toEqual({
      id: ids[0],
      title: "Message 0",
      body: "Body 0",
      buttonLabel: "Show me",
      buttonUrl: "/analysis",
      createdAt: minutes(0).toISOString(),
      seenAt: null,
      dismissedAt: null,
      expiresAt: null,
    });
    expect(body.messages[1]).toMatchObject({ buttonLabel: null, buttonUrl: null, expiresAt: "2099-01-01T00:00:00.000Z" });
    // By the anonymous id too: it is the same person.
    expect((await (await list("", "ann-anon")).json()).messages).toHaveLength(4);
  });

  it("pages with a cursor, each message once", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Response = await list(`?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      const body = (await res.json()) as { messages: { id: string }[]; next: string | null };
      seen.push(...body.messages.map((m) => m.id));
      cursor = body.next;
      pages++;
    } while (cursor);
    expect(pages).toBe(2);
    expect(seen).toEqual([ids[4], ids[3], ids[1], ids[0]]);
  });

  it("seen and dismissed are idempotent; dismissed ones leave the list; unseen=1 filters", async () => {
    let res = await post("seen", ids[1]!);
    expect(res.status).toBe(200);
    const first = await res.json();
    expect(first).toMatchObject({ id: ids[1], seenAt: expect.any(String), dismissedAt: null });
    res = await post("seen", ids[1]!);
    expect((await res.json()).seenAt).toBe(first.seenAt);

    expect((await (await list("?unseen=1")).json()).messages.map((m: { id: string }) => m.id)).toEqual([ids[4], ids[3], ids[0]]);
    expect((await (await list("?unseen=0")).json()).messages).toHaveLength(4);

    res = await post("dismissed", ids[4]!, "ann", secretKey, { body: "{}", headers: { "content-type": "application/json" } });
    expect(res.status).toBe(200);
    const dismissed = await res.json();
    expect(dismissed).toMatchObject({ id: ids[4], seenAt: expect.any(String), dismissedAt: expect.any(String) });
    expect((await (await post("dismissed", ids[4]!)).json()).dismissedAt).toBe(dismissed.dismissedAt);
    expect((await (await list()).json()).messages.map((m: { id: string }) => m.id)).toEqual([ids[3], ids[1], ids[0]]);
    // Dismissing one that was only seen keeps when it was seen.
    expect((await (await post("dismissed", ids[1]!)).json()).seenAt).toBe(first.seenAt);
  });

  it("another person's or another workspace's message is not found; a write key or another workspace's key is refused", async () => {
    await person(workspaceId, "bob");
    for (const res of [await post("seen", ids[0]!, "bob"), await post("dismissed", ids[0]!, "bob")]) {
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: "This person has no message with this id." });
    }
    // The other workspace's key does not even find the person.
    expect((await post("seen", ids[0]!, "ann", otherKey)).status).toBe(404);
    expect((await list("", "ann", otherKey)).status).toBe(404);
    expect((await list("", "ann", writeKey)).status).toBe(401);
    expect((await list("", "ann", null)).status).toBe(401);
    expect((await post("seen", ids[0]!, "ann", null)).status).toBe(401);
    expect((await t.db.inAppMessage.findUniqueOrThrow({ where: { id: ids[0] } })).seenAt).toBeNull();
  });

  it.each([
    ["?limit=0", /^limit: /],
    ["?limit=abc", /^limit: /],
    ["?limit=101", /^limit: /],
    ["?unseen=yes", /^unseen: must be 1 or 0/],
    ["?cursor=not-a-cursor!", /^cursor: is not a cursor of this list/],
    [`?cursor=${Buffer.from("2026-01-01T00:00:00.000Z|a\u0000b").toString("base64url")}`, /^cursor: /],
    [`?cursor=${Buffer.from("yesterday|x").toString("base64url")}`, /^cursor: /],
    [`?cursor=${encodeKeyset(new Date("2026-01-01T00:00:00Z"), "x".repeat(201))}`, /^cursor: /],
  ])("GET %s is a 400 naming the field", async (query, error) => {
    const res = await list(query);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(error);
  });

  it.each(["nope", "a\u0000b", "cut\ud800", "x".repeat(300), "ann%00"])("the person %j is not found (404, never 5xx)", async (userId) => {
    expect((await list("", userId)).status).toBe(404);
    expect((await post("seen", ids[0]!, userId)).status).toBe(404);
  });

  it.each(["nope", "a\u0000b", "../../x", "x".repeat(300), "' OR 1=1 --", "\ud800"])("the message %j is not found (404, never 5xx)", async (messageId) => {
    const res = await post("seen", messageId);
    expect(res.status).toBe(404);
    expect((await res.json()).error).toBe("This person has no message with this id.");
  });

  it("a huge body on seen is a 413, and marks nothing", async () => {
    const res = await post("seen", ids[3]!, "ann", secretKey, { body: "x".repeat(100_000) });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/needs no body/);
    expect((await t.db.inAppMessage.findUniqueOrThrow({ where: { id: ids[3] } })).seenAt).toBeNull();
  });

  it("the service: the clock is an argument, expired messages can be removed", async () => {
    const page = await listInAppMessages(t.db, { workspaceId, profileId: ann, limit: 10, now: minutes(5) });
    expect(page.messages.map((m) => m.title)).toEqual(["Message 3", "Message 2", "Message 0"]);
    const marked = await markInAppMessage(t.db, { workspaceId, profileId: ann, messageId: ids[0]!, as: "seen", now: minutes(6) });
    expect(marked.seenAt).toEqual(minutes(6));
    expect(await removeExpiredInAppMessages(t.db, { now: minutes(11), workspaceId: otherWorkspaceId })).toBe(0);
    expect(await removeExpiredInAppMessages(t.db, { now: minutes(11), workspaceId })).toBe(1);
    expect(await t.db.inAppMessage.count({ where: { id: ids[2] } })).toBe(0);
  });
});
