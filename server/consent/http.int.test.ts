import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { newMasterKey } from "@/server/channels/credentials";
import { ingestBatch } from "@/server/ingest/service";
import { insertApiKey } from "@/server/keys/service";
import { deletePerson } from "@/server/profiles/gdpr";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { handleGetSubscriptions, handleOneClick, handleOneClickPage, handlePreferencesForm, handlePutSubscriptions } from "./http";
import { unsubscribeLinks } from "./links";
import { createGroup } from "./service";

// The master key links are signed with, and the app's public address.
process.env.JUNCTION_SECRET_KEY = newMasterKey();
process.env.APP_URL = "https://junction.example.com";

describe("consent over HTTP: the subscriptions API, one-click unsubscribe and the preference form", () => {
  const t = useTestDatabase();
  let workspaceId: string;
  let key: string;
  let profileId: string;
  const groups: Record<string, string> = {};

  beforeAll(async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    workspaceId = workspace.id;
    key = (await insertApiKey(t.db, { workspaceId, name: "s", kind: "secret", createdById: admin.id })).raw;
    const actor = { userId: admin.id, label: admin.email };
    for (const [name, channel, mode, purpose] of [
      ["Product news", "email", "opt_out", "marketing"],
      ["Order updates", "email", "opt_out", "transactional"],
      ["Tips", "email", "opt_in", "marketing"],
      ["SMS offers", "sms", "opt_in", "marketing"],
    ] as const) {
      groups[name] = (await createGroup(t.db, { workspaceId, actor, group: { name, description: "", channel, mode, purpose } })).id;
    }
    const items = ["ada", "bob", "gone"].map((userId, i) => {
      const parsed = parseMessage({ type: "identify", userId, traits: { email: `${userId}@example.com` }, messageId: `m-${i}` });
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: new Date() };
    });
    await ingestBatch(t.db, { workspaceId, items });
    profileId = (await t.db.profile.findFirstOrThrow({ where: { workspaceId, userId: "ada" } })).id;
  });

  const authed = (method: string, body?: string, headers: Record<string, string> = {}) =>
    new Request("http://x/", { method, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers }, body });
  const put = async (userId: string, body: unknown) => {
    const res = await handlePutSubscriptions(authed("PUT", typeof body === "string" ? body : JSON.stringify(body)), userId);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const stateOf = (groupId: string, who = profileId) => t.db.subscriptionState.findUnique({ where: { profileId_groupId: { profileId: who, groupId } } });
  const records = (who = profileId) => t.db.consentRecord.findMany({ where: { profileId: who }, orderBy: [{ at: "asc" }, { id: "asc" }] });

  describe("GET/PUT /api/v1/profiles/{userId}/subscriptions", () => {
    it("GET: every group with the person's state and whether it is the default", async () => {
      const res = await handleGetSubscriptions(authed("GET"), "ada");
      expect(res.status).toBe(200);
      const body = (await res.json()) as { subscriptions: Record<string, unknown>[] };
      expect(body.subscriptions).toEqual(
        expect.arrayContaining([
          { groupId: groups["Product news"], name: "Product news", channel: "email", mode: "opt_out", purpose: "marketing", subscribed: true, default: true, updatedAt: null },
          expect.objectContaining({ name: "SMS offers", subscribed: false, default: true }),
        ]),
      );
      expect(body.subscriptions).toHaveLength(4);
    });

    it("PUT records answers (source api, the wording's version) and answers with the new states", async () => {
      const { status, body } = await put("ada", { subscriptions: [{ groupId: groups["SMS offers"], subscribed: true, textVersion: "checkout-sms-v2" }, { groupId: groups["Product news"], subscribed: false }] });
      expect(status).toBe(200);
      expect(body.changed).toBe(2);
      expect(body.subscriptions).toEqual(expect.arrayContaining([expect.objectContaining({ name: "SMS offers", subscribed: true, default: false, updatedAt: expect.any(String) })]));
      expect((await records()).map((r) => [r.source, r.subscribed, r.textVersion])).toEqual(expect.arrayContaining([["api", true, "checkout-sms-v2"], ["api", false, null]]));
      // A backfill says so.
      expect((await put("bob", { subscriptions: [{ groupId: groups.Tips, subscribed: true }], source: "import" })).status).toBe(200);
      expect((await records((await t.db.profile.findFirstOrThrow({ where: { workspaceId, userId: "bob" } })).id))[0]).toMatchObject({ source: "import" });
    });

    it.each([
      ["not JSON", "{", 400, /invalid JSON/],
      ["no subscriptions", {}, 400, /^subscriptions: /],
      ["an empty list", { subscriptions: [] }, 400, /^subscriptions: needs at least one value/],
      ["subscribed is not a boolean", { subscriptions: [{ groupId: "g", subscribed: "yes" }] }, 400, /^subscriptions\.0\.subscribed: must be true or false/],
      ["a typo'd field", { subscriptions: [{ groupId: "g", subscribed: true, subscribe: false }] }, 400, /subscriptions\.0/],
      ["an unknown source", { subscriptions: [{ groupId: "g", subscribed: true }], source: "preference_page" }, 400, /^source: must be one of/],
      ["an unknown group (with a good one before it)", "UNKNOWN", 400, /^subscriptions\.1\.groupId: no subscription group/],
      ["a group listed twice", "TWICE", 400, /listed twice/],
      ["NUL in the wording's version", "NUL", 400, /textVersion/],
    ])("PUT with %s: %i naming the field, nothing written", async (_what, raw, status, message) => {
      const before = (await records()).length;
      const body =
        raw === "UNKNOWN"
          ? { subscriptions: [{ groupId: groups.Tips, subscribed: true }, { groupId: "nope", subscribed: true }] }
          : raw === "TWICE"
            ? { subscriptions: [{ groupId: groups.Tips, subscribed: true }, { groupId: groups.Tips, subscribed: false }] }
            : raw === "NUL"
              ? { subscriptions: [{ groupId: groups.Tips, subscribed: true, textVersion: "v\u00001" }] }
              : raw;
      const res = await put("ada", body);
      expect(res.status).toBe(status);
      expect(String(res.body.error)).toMatch(message);
      expect((await records()).length).toBe(before);
      expect(await stateOf(groups.Tips!)).toBeNull();
    });

    it("no key: 401; someone unknown: 404; a body too large: 413", async () => {
      expect((await handleGetSubscriptions(new Request("http://x/"), "ada")).status).toBe(401);
      expect((await handlePutSubscriptions(new Request("http://x/", { method: "PUT", body: "{}" }), "ada")).status).toBe(401);
      expect((await handleGetSubscriptions(authed("GET"), "nobody")).status).toBe(404);
      expect((await put("nobody", { subscriptions: [{ groupId: groups.Tips, subscribed: true }] })).status).toBe(404);
      expect((await put("ada", JSON.stringify({ subscriptions: [{ groupId: "x".repeat(70_000), subscribed: true }] }))).status).toBe(413);
    });
  });

  describe("signed links", () => {
    const tokenOf = (url: string) => decodeURIComponent(new URL(url).pathname.split("/").pop()!);
    const oneClick = (token: string, body = "List-Unsubscribe=One-Click", type = "application/x-www-form-urlencoded") =>
      handleOneClick(new Request(`https://junction.example.com/api/v1/unsubscribe/${token}`, { method: "POST", headers: { "content-type": type }, body }), token);
    const form = (token: string, fields: [string, string][]) =>
      handlePreferencesForm(new Request(`https://junction.example.com/api/preferences/${token}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString() }), token);

    it("the links live under APP_URL and carry no email", () => {
      const links = unsubscribeLinks({ workspaceId, profileId, groupId: groups["Order updates"]! });
      expect(links.preferencesUrl).toMatch(/^https:\/\/junction\.example\.com\/preferences\/[\w.-]+$/);
      expect(links.unsubscribeUrl).toBe(`${links.preferencesUrl}?unsubscribe=1`);
      expect(links.oneClickUrl).toMatch(/^https:\/\/junction\.example\.com\/api\/v1\/unsubscribe\/[\w.-]+$/);
      const payload = tokenOf(links.oneClickUrl).split(".")[1]!;
      expect(Buffer.from(payload, "base64url").toString()).not.toContain("@");
    });

    it("RFC 8058 one-click: a POST of List-Unsubscribe=One-Click leaves the link's group (source one_click), 200, again 200 with nothing new", async () => {
      const { oneClickUrl } = unsubscribeLinks({ workspaceId, profileId, groupId: groups["Order updates"]! });
      const token = tokenOf(oneClickUrl);
      const res = await oneClick(token);
      expect(res.status).toBe(200);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await stateOf(groups["Order updates"]!)).toMatchObject({ subscribed: false });
      const count = (await records()).length;
      expect((await records()).at(-1)).toMatchObject({ groupId: groups["Order updates"], subscribed: false, source: "one_click" });
      expect((await oneClick(token)).status).toBe(200);
      expect((await records()).length).toBe(count);
      // multipart/form-data is what some providers send.
      const multipart = `--b\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--b--\r\n`;
      expect((await oneClick(token, multipart, "multipart/form-data; boundary=b")).status).toBe(200);
    });

    it("one-click without a group leaves the channel's marketing groups only", async () => {
      const bob = (await t.db.profile.findFirstOrThrow({ where: { workspaceId, userId: "bob" } })).id;
      const token = tokenOf(unsubscribeLinks({ workspaceId, profileId: bob, groupId: null, channel: "email" }).oneClickUrl);
      expect((await oneClick(token)).status).toBe(200);
      expect(await stateOf(groups["Product news"]!, bob)).toMatchObject({ subscribed: false });
      expect(await stateOf(groups.Tips!, bob)).toMatchObject({ subscribed: false });
      expect(await stateOf(groups["Order updates"]!, bob)).toBeNull();
      expect(await stateOf(groups["SMS offers"]!, bob)).toBeNull();
    });

    it("a forged, tampered or foreign token is a 404 (never a 5xx) and changes nothing; a body other than One-Click is a 400", async () => {
      const token = tokenOf(unsubscribeLinks({ workspaceId, profileId, groupId: groups.Tips! }).oneClickUrl);
      const [keyId, payload, signature] = token.split(".") as [string, string, string];
      const before = (await records()).length;
      for (const bad of [`${keyId}.${payload}.${signature.slice(0, -2)}AA`, `${keyId}.${Buffer.from(JSON.stringify([1, workspaceId, "other", null, "email"])).toString("base64url")}.${signature}`, "nonsense", "", "a".repeat(2000)]) {
        const res = await oneClick(bad);
        expect(res.status, bad.slice(0, 30)).toBe(404);
        expect(((await res.json()) as { error: string }).error).toMatch(/not valid/);
        expect((await handleOneClickPage(new Request("http://x/"), bad)).status).toBe(404);
      }
      expect((await oneClick(token, "List-Unsubscribe=Yes")).status).toBe(400);
      expect((await oneClick(token, "")).status).toBe(400);
      expect((await records()).length).toBe(before);
    });

    it("GET of the one-click address shows the confirmation page and changes nothing", async () => {
      const token = tokenOf(unsubscribeLinks({ workspaceId, profileId, groupId: groups.Tips! }).oneClickUrl);
      const res = await handleOneClickPage(new Request("http://x/"), token);
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe(`/preferences/${token}?unsubscribe=1`);
    });

    it("the preference form: save the switches shown (source preference_page, its wording), leave the link's group, leave all", async () => {
      const token = tokenOf(unsubscribeLinks({ workspaceId, profileId, groupId: groups.Tips! }).preferencesUrl);
      const email = [groups["Product news"]!, groups["Order updates"]!, groups.Tips!];
      // Product news and Tips on, Order updates off; SMS offers was not shown and stays as it was.
      const saved = await form(token, [...email.map((id): [string, string] => ["shown", id]), ["subscribed", groups["Product news"]!], ["subscribed", groups.Tips!], ["action", "save"]]);
      expect(saved.status).toBe(303);
      expect(saved.headers.get("location")).toBe(`/preferences/${token}?done=save`);
      expect(await stateOf(groups["Product news"]!)).toMatchObject({ subscribed: true });
      expect(await stateOf(groups.Tips!)).toMatchObject({ subscribed: true });
      expect(await stateOf(groups["Order updates"]!)).toMatchObject({ subscribed: false });
      expect(await stateOf(groups["SMS offers"]!)).toMatchObject({ subscribed: true });
      expect((await records()).at(-1)).toMatchObject({ source: "preference_page", textVersion: "preference-page-v1" });

      expect((await form(token, [["action", "unsubscribe"]])).headers.get("location")).toBe(`/preferences/${token}?done=unsubscribe`);
      expect(await stateOf(groups.Tips!)).toMatchObject({ subscribed: false });
      expect(await stateOf(groups["Product news"]!)).toMatchObject({ subscribed: true });

      await form(token, [["action", "unsubscribe_all"]]);
      for (const id of email) expect(await stateOf(id)).toMatchObject({ subscribed: false });
      expect(await stateOf(groups["SMS offers"]!)).toMatchObject({ subscribed: true }); // another channel

      expect((await form(token, [["action", "delete_me"]])).status).toBe(400);
      // A bad token goes back to the page, which says the link does not work.
      const bad = await form("forged.token.x", [["action", "unsubscribe_all"]]);
      expect(bad.status).toBe(303);
      expect(bad.headers.get("location")).toBe("/preferences/forged.token.x");
    });

    it("a link of a person who was deleted (GDPR) still answers: one-click 200, the form back to the page", async () => {
      const gone = (await t.db.profile.findFirstOrThrow({ where: { workspaceId, userId: "gone" } })).id;
      const token = tokenOf(unsubscribeLinks({ workspaceId, profileId: gone, groupId: groups["Product news"]! }).oneClickUrl);
      await deletePerson(t.db, { workspaceId, actor: { userId: null, label: "test" }, profileId: gone });
      expect((await oneClick(token)).status).toBe(200);
      const res = await form(token, [["action", "unsubscribe_all"]]);
      expect(res.headers.get("location")).toBe(`/preferences/${token}`);
    });

    it("a link of one workspace never reaches another's person", async () => {
      const other = await createWorkspaceWith(t.db);
      const token = tokenOf(unsubscribeLinks({ workspaceId: other.workspace.id, profileId, groupId: groups.Tips! }).oneClickUrl);
      const before = (await records()).length;
      expect((await oneClick(token)).status).toBe(200);
      expect((await records()).length).toBe(before);
    });
  });
});
