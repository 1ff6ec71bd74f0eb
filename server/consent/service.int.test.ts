import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { sql, type Db } from "@/server/db/client";
import { ingestBatch } from "@/server/ingest/service";
import { deletePerson, exportPerson } from "@/server/profiles/gdpr";
import { refreshSegment } from "@/server/segments/membership";
import { segmentsConsumer } from "@/server/segments/consumer";
import { drain } from "@/server/feed/consumer";
import { createSegment } from "@/server/segments/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { readDataVersion } from "@/server/workspaces/data-version";
import { consentForSend, consentHistory, createGroup, deleteGroup, profileConsent, setSubscriptions, updateGroup } from "./service";

const createCaller = createCallerFactory(appRouter);

describe("consent: groups, answers, history and the send-time check", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let workspaceId: string;
  let actor: { userId: string; label: string };
  let n = 0;

  const callerAs = (role: "viewer" | "marketer" | "admin") => {
    const user = role === "admin" ? ws.admin : ws.members.find((m) => m.role === role)!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
    return createCaller(ctx);
  };

  async function person(userId: string, extra: Record<string, unknown> = {}): Promise<string> {
    const parsed = parseMessage({ type: "identify", userId, traits: { email: `${userId}@example.com` }, messageId: `m-${++n}`, ...extra });
    if (!parsed.ok) throw new Error(parsed.error);
    await ingestBatch(t.db, { workspaceId, items: [{ message: parsed.message, receivedAt: new Date() }] });
    return (await t.db.profile.findFirstOrThrow({ where: { workspaceId, userId } })).id;
  }

  const group = (name: string, mode: "opt_in" | "opt_out", channel: "email" | "sms" = "email", purpose: "marketing" | "transactional" = "marketing") =>
    createGroup(t.db, { workspaceId, actor, group: { name, description: "", channel, mode, purpose } });

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer", "marketer"]);
    workspaceId = ws.workspace.id;
    actor = { userId: ws.admin.id, label: ws.admin.email };
  });

  it("groups: admins create, change and delete them (audited); names are unique; channel and mode stay fixed", async () => {
    const news = await group("Product news", "opt_out");
    expect(news).toMatchObject({ name: "Product news", channel: "email", mode: "opt_out", purpose: "marketing" });
    await expect(group("Product news", "opt_in")).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("already exists") });
    const changed = await updateGroup(t.db, { workspaceId, actor, groupId: news.id, group: { name: "News", description: "Twice a month", purpose: "marketing" } });
    expect(changed).toMatchObject({ name: "News", description: "Twice a month", mode: "opt_out", channel: "email" });
    const other = await group("Other", "opt_in");
    await expect(updateGroup(t.db, { workspaceId, actor, groupId: other.id, group: { name: "News", description: "", purpose: "marketing" } })).rejects.toMatchObject({ code: "CONFLICT" });
    await deleteGroup(t.db, { workspaceId, actor, groupId: other.id });
    await expect(deleteGroup(t.db, { workspaceId, actor, groupId: other.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const audit = await t.db.auditLogEntry.findMany({ where: { workspaceId, targetType: "subscription_group" }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => a.action)).toEqual(["subscription_group.created", "subscription_group.updated", "subscription_group.created", "subscription_group.deleted"]);
    await updateGroup(t.db, { workspaceId, actor, groupId: news.id, group: { name: "Product news", description: "", purpose: "marketing" } });
  });

  it("permissions: everyone reads groups, only admins manage them; marketers change a person's answer, viewers cannot", async () => {
    const id = await person("perm");
    expect((await callerAs("viewer").consent.groups()).length).toBeGreaterThan(0);
    await expect(callerAs("marketer").consent.createGroup({ name: "X", channel: "email", mode: "opt_in", purpose: "marketing" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const [news] = await callerAs("admin").consent.groups();
    await expect(callerAs("viewer").consent.set({ profileId: id, groupId: news!.id, subscribed: false })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const result = await callerAs("marketer").consent.set({ profileId: id, groupId: news!.id, subscribed: false });
    expect(result.changed).toBe(1);
    const [record] = (await callerAs("viewer").consent.history({ profileId: id })).records;
    expect(record).toMatchObject({ groupName: "Product news", subscribed: false, source: "admin" });
    // Bad input names the field; nothing is written.
    const before = await t.db.subscriptionGroup.count();
    const bad = await callerAs("admin").consent.createGroup({ name: "", channel: "fax" as never, mode: "opt_in", purpose: "marketing" }).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "BAD_REQUEST" });
    expect((bad as { cause: { issues: { path: PropertyKey[] }[] } }).cause.issues.map((i) => i.path.join("."))).toEqual(["name", "channel"]);
    expect(await t.db.subscriptionGroup.count()).toBe(before);
  });

  it("an answer writes the state, a consent record and an audit entry together; the same answer again records nothing", async () => {
    const sms = await group("SMS offers", "opt_in", "sms");
    const id = await person("ada");
    const before = (await readDataVersion(sql(t.db), workspaceId)).version;
    const states = await profileConsent(t.db, { workspaceId, profileId: id });
    expect(states.find((s) => s.group.id === sms.id)).toMatchObject({ subscribed: false, explicit: false, updatedAt: null });
    expect(states.find((s) => s.group.name === "Product news")).toMatchObject({ subscribed: true, explicit: false });

    const yes = await setSubscriptions(t.db, { workspaceId, profileId: id, changes: [{ groupId: sms.id, subscribed: true, textVersion: "checkout-v1" }], source: "api", actor });
    expect(yes.changed).toBe(1);
    expect(yes.states.find((s) => s.group.id === sms.id)).toMatchObject({ subscribed: true, explicit: true });
    expect((await readDataVersion(sql(t.db), workspaceId)).version).toBeGreaterThan(before);
    const again = await setSubscriptions(t.db, { workspaceId, profileId: id, changes: [{ groupId: sms.id, subscribed: true }], source: "api", actor });
    expect(again.changed).toBe(0);
    await setSubscriptions(t.db, { workspaceId, profileId: id, changes: [{ groupId: sms.id, subscribed: false }], source: "preference_page", actor });

    const history = await consentHistory(t.db, { workspaceId, profileId: id, limit: 1 });
    expect(history.records).toEqual([expect.objectContaining({ groupName: "SMS offers", subscribed: false, source: "preference_page", textVersion: null })]);
    const older = await consentHistory(t.db, { workspaceId, profileId: id, limit: 10, before: { at: history.records[0]!.at, id: history.records[0]!.id } });
    expect(older.records).toEqual([expect.objectContaining({ subscribed: true, source: "api", textVersion: "checkout-v1" })]);
    expect(older.nextCursor).toBeNull();
    const audit = await t.db.auditLogEntry.findMany({ where: { workspaceId, targetType: "profile", targetId: id }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => [a.action, (a.diff as Record<string, { to?: unknown; from?: unknown }>).state])).toEqual([
      ["consent.subscribed", { from: "not subscribed (default)", to: "subscribed" }],
      ["consent.unsubscribed", { from: "subscribed", to: "unsubscribed" }],
    ]);
  });

  it("unknown groups, another workspace's groups, a group listed twice, an unknown person: refused, nothing written", async () => {
    const id = await person("bob");
    const [news] = await callerAs("admin").consent.groups();
    const other = await createWorkspaceWith(t.db);
    const foreign = await createGroup(t.db, { workspaceId: other.workspace.id, actor, group: { name: "Theirs", description: "", channel: "email", mode: "opt_out", purpose: "marketing" } });
    const count = () => Promise.all([t.db.subscriptionState.count({ where: { profileId: id } }), t.db.consentRecord.count({ where: { profileId: id } })]);
    const attempt = (changes: { groupId: string; subscribed: boolean }[], profileId = id) => setSubscriptions(t.db, { workspaceId, profileId, changes, source: "api", actor });
    await expect(attempt([{ groupId: news!.id, subscribed: false }, { groupId: "nope", subscribed: false }])).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^subscriptions\.1\.groupId/) });
    await expect(attempt([{ groupId: foreign.id, subscribed: false }])).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(attempt([{ groupId: news!.id, subscribed: false }, { groupId: news!.id, subscribed: true }])).rejects.toMatchObject({ message: expect.stringContaining("listed twice") });
    await expect(attempt([{ groupId: news!.id, subscribed: false }], "no-such-person")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await count()).toEqual([0, 0]);
  });

  it("consentForSend: allowed only when subscribed; otherwise not, with the reason in words", async () => {
    const [news] = (await callerAs("admin").consent.groups()).filter((g) => g.name === "Product news");
    const sms = (await callerAs("admin").consent.groups()).find((g) => g.name === "SMS offers")!;
    const id = await person("carol");
    const check = (groupId: string | null, profileId = id) => consentForSend(t.db, { workspaceId, profileId, groupId });

    expect(await check(news!.id)).toEqual({ allowed: true }); // opt-out, never answered
    expect(await check(sms.id)).toEqual({ allowed: false, code: "not_opted_in", reason: "“SMS offers” is opt-in and this person has not said yes." });
    expect(await check(null)).toEqual({ allowed: true }); // a message with no group (an order confirmation)
    await setSubscriptions(t.db, { workspaceId, profileId: id, changes: [{ groupId: sms.id, subscribed: true }, { groupId: news!.id, subscribed: false }], source: "one_click", actor });
    expect(await check(sms.id)).toEqual({ allowed: true });
    expect(await check(news!.id)).toMatchObject({ allowed: false, code: "unsubscribed", reason: expect.stringMatching(/^Unsubscribed from “Product news” on \d{4}-\d{2}-\d{2} \(one click\)\.$/) });
    expect(await check("no-such-group")).toMatchObject({ allowed: false, code: "unknown_group" });
    expect(await check(news!.id, "no-such-person")).toMatchObject({ allowed: false, code: "unknown_person" });
    // Consent that cannot be read is never a yes.
    const broken = new Proxy(t.db, { get: (target, key) => (key === "subscriptionState" ? { findUnique: () => Promise.reject(new Error("connection lost")) } : Reflect.get(target, key)) }) as Db;
    expect(await consentForSend(broken, { workspaceId, profileId: id, groupId: sms.id })).toMatchObject({ allowed: false, code: "unreadable", reason: expect.stringContaining("could not be read") });
    // A group with a mode nobody wrote through the app.
    const odd = await t.db.subscriptionGroup.create({ data: { workspaceId, name: "Odd", channel: "email", mode: "sometimes", purpose: "marketing" } });
    expect(await check(odd.id)).toMatchObject({ allowed: false, code: "unreadable" });
    await t.db.subscriptionGroup.delete({ where: { id: odd.id } });
  });

  it("a saved segment on a subscription follows the person's answers (through the change feed), and a group in use cannot be deleted", async () => {
    const news = (await callerAs("admin").consent.groups()).find((g) => g.name === "Product news")!;
    const id = await person("dave");
    const segment = await createSegment(t.db, {
      workspaceId,
      actor,
      name: "Left the newsletter",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "subscription", op: "unsubscribed", groupId: news.id }] } },
    });
    await refreshSegment(t.db, { workspaceId, segmentId: segment.id, now: new Date() });
    const member = () => t.db.segmentMembership.findFirst({ where: { segmentId: segment.id, profileId: id, exitedAt: null } });
    expect(await member()).toBeNull();
    const consumer = segmentsConsumer(t.db);
    await setSubscriptions(t.db, { workspaceId, profileId: id, changes: [{ groupId: news.id, subscribed: false }], source: "api", actor });
    await drain(t.db, consumer);
    expect(await member()).not.toBeNull();
    await setSubscriptions(t.db, { workspaceId, profileId: id, changes: [{ groupId: news.id, subscribed: true }], source: "api", actor });
    await drain(t.db, consumer);
    expect(await member()).toBeNull();

    await expect(deleteGroup(t.db, { workspaceId, actor, groupId: news.id })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("“Left the newsletter”") });
    // A segment cannot name a group that is not the workspace's.
    await expect(
      createSegment(t.db, { workspaceId, actor, name: "Ghost", description: "", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "subscription", op: "subscribed", groupId: "ghost" }] } } }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("subscription group ghost does not exist") });
  });

  it("merging an anonymous visitor into a known person keeps the visitor's consent (history, and the later answer per group)", async () => {
    const groups = await callerAs("admin").consent.groups();
    const news = groups.find((g) => g.name === "Product news")!;
    const sms = groups.find((g) => g.name === "SMS offers")!;
    const known = await person("erin");
    const parsed = parseMessage({ type: "track", anonymousId: "anon-erin", event: "page_view", messageId: `m-${++n}` });
    if (!parsed.ok) throw new Error(parsed.error);
    await ingestBatch(t.db, { workspaceId, items: [{ message: parsed.message, receivedAt: new Date() }] });
    const anonymous = (await t.db.profile.findFirstOrThrow({ where: { workspaceId, identities: { some: { value: "anon-erin" } } } })).id;
    await setSubscriptions(t.db, { workspaceId, profileId: known, changes: [{ groupId: news.id, subscribed: true }], source: "api", actor });
    // The visitor answered later: that answer wins.
    await setSubscriptions(t.db, { workspaceId, profileId: anonymous, changes: [{ groupId: news.id, subscribed: false }, { groupId: sms.id, subscribed: true }], source: "preference_page", actor });
    await person("erin", { anonymousId: "anon-erin" });
    expect(await t.db.profile.findUnique({ where: { id: anonymous } })).toBeNull();
    const states = await profileConsent(t.db, { workspaceId, profileId: known });
    expect(states.find((s) => s.group.id === news.id)).toMatchObject({ subscribed: false, explicit: true });
    expect(states.find((s) => s.group.id === sms.id)).toMatchObject({ subscribed: true, explicit: true });
    expect((await consentHistory(t.db, { workspaceId, profileId: known, limit: 10 })).records).toHaveLength(3);
  });

  it("GDPR: the export holds the person's answers and history; deletion removes them", async () => {
    const sms = (await callerAs("admin").consent.groups()).find((g) => g.name === "SMS offers")!;
    const id = await person("frank");
    await setSubscriptions(t.db, { workspaceId, profileId: id, changes: [{ groupId: sms.id, subscribed: true, textVersion: "v9" }], source: "api", actor });
    const exported = await exportPerson(t.db, { workspaceId, actor, profileId: id });
    expect(exported.subscriptions).toEqual([expect.objectContaining({ group: "SMS offers", channel: "sms", subscribed: true })]);
    expect(exported.consent).toEqual([expect.objectContaining({ group: "SMS offers", subscribed: true, source: "api", textVersion: "v9" })]);
    await deletePerson(t.db, { workspaceId, actor, profileId: id });
    expect(await t.db.subscriptionState.count({ where: { profileId: id } })).toBe(0);
    expect(await t.db.consentRecord.count({ where: { profileId: id } })).toBe(0);
  });
});
