import { beforeAll, describe, expect, it } from "vitest";
import { JOURNEY_STARTERS, journeyStarter } from "@/lib/journeys/templates";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { createJourneyFromTemplate } from "./from-template";

const createCaller = createCallerFactory(appRouter);

describe("journeys from templates, and duplicates", () => {
  const t = useTestDatabase();
  type Ws = Awaited<ReturnType<typeof createWorkspaceWith>>;
  let ws: Ws;
  const callerAs = (role: "viewer" | "marketer" | "admin", workspace: Ws = ws) => {
    const user = role === "admin" ? workspace.admin : workspace.members.find((m) => m.role === role)!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, workspace.workspace, role), headers: new Headers() };
    return createCaller(ctx);
  };
  /** What a failed create must not leave behind. */
  const counts = async (workspaceId: string) => ({
    segments: await t.db.segment.count({ where: { workspaceId } }),
    templates: await t.db.messageTemplate.count({ where: { workspaceId } }),
    versions: await t.db.messageTemplateVersion.count({ where: { template: { workspaceId } } }),
    journeys: await t.db.journey.count({ where: { workspaceId } }),
    audit: await t.db.auditLogEntry.count({ where: { workspaceId } }),
  });

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer", "marketer"]);
  });

  it("each template creates the segments and messages it needs, and a draft with no issues", async () => {
    const fresh = await createWorkspaceWith(t.db, ["marketer"]);
    const marketer = callerAs("marketer", fresh);
    for (const starter of JOURNEY_STARTERS) {
      const result = await marketer.journeys.createFromTemplate({ key: starter.key, name: `${starter.name} journey` });
      expect(result.created.map((c) => [c.key, c.kind, c.name])).toEqual(starter.needs.map((n) => [n.key, n.kind, n.name]));

      const journey = await marketer.journeys.get({ id: result.id });
      expect(journey).toMatchObject({ name: `${starter.name} journey`, status: "draft", revision: 1, liveVersion: null, issues: [] });
      const ids = Object.fromEntries(result.created.map((c) => [c.key, c.id]));
      expect(journey.draft).toEqual(starter.build(ids));

      for (const need of starter.needs) {
        const id = ids[need.key]!;
        if (need.kind === "segment") {
          const segment = await t.db.segment.findUniqueOrThrow({ where: { id } });
          expect(segment).toMatchObject({ workspaceId: fresh.workspace.id, name: need.name, description: need.description, definition: need.definition, archivedAt: null });
        } else {
          const template = await marketer.messages.get({ id });
          expect(template).toMatchObject({ name: need.name, channel: need.channel, content: need.content });
          expect(template.versions.map((v) => v.version)).toEqual([1]);
        }
      }
    }
    // Audited like any create: the journey (with its template), each segment and message.
    const audit = await t.db.auditLogEntry.findMany({ where: { workspaceId: fresh.workspace.id } });
    const actions = audit.map((a) => a.action);
    const needs = JOURNEY_STARTERS.flatMap((s) => s.needs);
    expect(actions.filter((a) => a === "journey.created")).toHaveLength(JOURNEY_STARTERS.length);
    expect(actions.filter((a) => a === "segment.created")).toHaveLength(needs.filter((n) => n.kind === "segment").length);
    expect(actions.filter((a) => a === "template.created")).toHaveLength(needs.filter((n) => n.kind === "template").length);
    expect(audit.find((a) => a.action === "journey.created" && (a.diff as { name: { to: string } }).name.to === "Abandoned cart journey")?.diff).toMatchObject({ template: { to: "abandoned-cart" } });
  });

  it("lists the templates with what the workspace already has; reuses what the marketer picks; 'create' never takes a name in use", async () => {
    const marketer = callerAs("marketer");
    const before = await callerAs("viewer").journeys.templates();
    expect(before.map((s) => s.key)).toEqual(JOURNEY_STARTERS.map((s) => s.key));
    const cart = before.find((s) => s.key === "abandoned-cart")!;
    expect(cart.steps[0]).toBe("Checkout started");
    expect(cart.needs).toEqual([
      expect.objectContaining({ key: "cartEmail", kind: "template", channel: "email", name: "Cart reminder", existing: [], candidates: [] }),
      expect.objectContaining({ key: "cartSms", kind: "template", channel: "sms", name: "Cart last call", existing: [] }),
    ]);

    const first = await marketer.journeys.createFromTemplate({ key: "abandoned-cart", name: "Cart 1" });
    const email = first.created.find((c) => c.key === "cartEmail")!.id;
    const other = await marketer.messages.create({ name: "Another email", channel: "email" });
    const after = (await marketer.journeys.templates()).find((s) => s.key === "abandoned-cart")!;
    const emailNeed = after.needs.find((n) => n.key === "cartEmail")!;
    expect(emailNeed.existing).toEqual([{ id: email, name: "Cart reminder" }]);
    // Same name first, then the rest of the channel's messages (never another channel's).
    expect(emailNeed.candidates).toEqual([{ id: email, name: "Cart reminder" }, { id: other.id, name: "Another email" }]);

    // Picking the existing ones creates nothing.
    const sms = first.created.find((c) => c.key === "cartSms")!.id;
    const second = await marketer.journeys.createFromTemplate({ key: "abandoned-cart", name: "Cart 2", use: { cartEmail: email, cartSms: sms } });
    expect(second.created).toEqual([]);
    expect((await marketer.journeys.get({ id: second.id })).draft).toEqual(journeyStarter("abandoned-cart")!.build({ cartEmail: email, cartSms: sms }));

    // "Create" with the name in use: a new one, named apart.
    const third = await marketer.journeys.createFromTemplate({ key: "abandoned-cart", name: "Cart 3", use: { cartEmail: "create", cartSms: sms } });
    expect(third.created.map((c) => c.name)).toEqual(["Cart reminder (2)"]);
    expect((await marketer.journeys.get({ id: third.id })).issues).toEqual([]);
  });

  it("reuses an existing segment", async () => {
    const marketer = callerAs("marketer");
    const segment = await marketer.segments.create({
      name: "Lapsed buyers",
      description: "Our own definition",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "event", event: "purchase", where: [], count: { op: "eq", value: 0 }, window: { kind: "last", amount: 60, unit: "days" } }] } },
    });
    const need = (await marketer.journeys.templates()).find((s) => s.key === "win-back")!.needs.find((n) => n.kind === "segment")!;
    expect(need).toMatchObject({ key: "lapsedBuyers", name: "Lapsed buyers", existing: [{ id: segment.id, name: "Lapsed buyers" }] });

    const segmentsBefore = await t.db.segment.count({ where: { workspaceId: ws.workspace.id } });
    const result = await marketer.journeys.createFromTemplate({ key: "win-back", name: "Win back", use: { lapsedBuyers: segment.id } });
    expect(result.created.map((c) => c.kind)).toEqual(["template", "template"]);
    expect(await t.db.segment.count({ where: { workspaceId: ws.workspace.id } })).toBe(segmentsBefore);
    const journey = await marketer.journeys.get({ id: result.id });
    expect(journey.draft.nodes.find((n) => n.kind === "trigger")).toMatchObject({ trigger: { type: "segment_entered", segmentId: segment.id } });
    expect(journey.issues).toEqual([]);

    // Creating it anyway makes a second, named apart, and counts it soon.
    const again = await marketer.journeys.createFromTemplate({ key: "win-back", name: "Win back 2", use: { lapsedBuyers: "create", winbackEmail: result.created[0]!.id, winbackSms: result.created[1]!.id } });
    expect(again.created).toEqual([expect.objectContaining({ kind: "segment", name: "Lapsed buyers (2)" })]);
  });

  it("refuses picks that do not fit, and a name in use, leaving nothing behind", async () => {
    const marketer = callerAs("marketer");
    const push = await marketer.messages.create({ name: "Some push", channel: "push" });
    const elsewhere = await createWorkspaceWith(t.db, ["marketer"]);
    const foreign = await callerAs("marketer", elsewhere).messages.create({ name: "Foreign email", channel: "email" });
    const archived = await marketer.segments.create({ name: "Old", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [] } } });
    await marketer.segments.setArchived({ id: archived.id, archived: true });
    await marketer.journeys.create({ name: "Taken" });
    const before = await counts(ws.workspace.id);

    const refusals: [Parameters<typeof marketer.journeys.createFromTemplate>[0], string, RegExp][] = [
      [{ key: "abandoned-cart", name: "A", use: { cartEmail: push.id } }, "BAD_REQUEST", /is a push message; this step sends email/],
      [{ key: "abandoned-cart", name: "A", use: { cartEmail: foreign.id } }, "BAD_REQUEST", /does not exist/],
      [{ key: "win-back", name: "A", use: { lapsedBuyers: archived.id } }, "BAD_REQUEST", /archived/],
      [{ key: "abandoned-cart", name: "A", use: { nope: "create" } }, "BAD_REQUEST", /needs nothing called “nope”/],
      [{ key: "no-such-template", name: "A" }, "NOT_FOUND", /no journey template/],
      // The journey's name is taken only once its segment and messages were written: all of it rolls back.
      [{ key: "win-back", name: "Taken" }, "CONFLICT", /A journey named “Taken” already exists/],
      [{ key: "abandoned-cart", name: "Taken", use: { cartSms: "create" } }, "CONFLICT", /already exists/],
    ];
    for (const [input, code, message] of refusals) {
      await expect(marketer.journeys.createFromTemplate(input), JSON.stringify(input)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
    }
    expect(await counts(ws.workspace.id)).toEqual(before);

    // The service on its own, too (the router is not what keeps it whole).
    await expect(createJourneyFromTemplate(t.db, { workspaceId: ws.workspace.id, actor: { userId: null, label: "test" }, key: "feature-nudge", name: "Taken" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await counts(ws.workspace.id)).toEqual(before);

    await expect(callerAs("viewer").journeys.createFromTemplate({ key: "feature-nudge", name: "Nope" })).rejects.toMatchObject({ code: "FORBIDDEN" });
  });

  it("duplicates a journey as a new draft: (copy), then (copy 2), also from an archived one", async () => {
    const marketer = callerAs("marketer");
    const source = await marketer.journeys.createFromTemplate({ key: "feature-nudge", name: "Nudge" });
    const original = await marketer.journeys.get({ id: source.id });

    const copy = await marketer.journeys.duplicate({ id: source.id });
    expect(copy.name).toBe("Nudge (copy)");
    const copied = await marketer.journeys.get({ id: copy.id });
    expect(copied).toMatchObject({ name: "Nudge (copy)", status: "draft", revision: 1, liveVersion: null, issues: [] });
    expect(copied.draft).toEqual(original.draft);
    // No new segments or messages: the copy uses the same ones.
    expect((await marketer.journeys.duplicate({ id: source.id })).name).toBe("Nudge (copy 2)");
    expect((await marketer.journeys.duplicate({ id: copy.id })).name).toBe("Nudge (copy 3)");

    await marketer.journeys.setStatus({ id: source.id, action: "archive" });
    const restored = await marketer.journeys.duplicate({ id: source.id });
    expect(restored.name).toBe("Nudge (copy 4)");
    expect((await marketer.journeys.get({ id: restored.id })).status).toBe("draft");
    expect((await marketer.journeys.list({ search: "nudge (copy" })).map((j) => j.name).sort()).toEqual(["Nudge (copy 2)", "Nudge (copy 3)", "Nudge (copy 4)", "Nudge (copy)"]);

    // A long name stays within the limit.
    const long = await marketer.journeys.create({ name: "L".repeat(120) });
    const longCopy = await marketer.journeys.duplicate({ id: long.id });
    expect(longCopy.name).toBe(`${"L".repeat(113)} (copy)`);

    const audit = await t.db.auditLogEntry.findFirst({ where: { workspaceId: ws.workspace.id, action: "journey.created", targetId: copy.id } });
    expect(audit?.diff).toMatchObject({ name: { to: "Nudge (copy)" }, duplicatedFrom: { to: source.id } });

    await expect(callerAs("viewer").journeys.duplicate({ id: source.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(marketer.journeys.duplicate({ id: "missing" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const elsewhere = await createWorkspaceWith(t.db, ["marketer"]);
    await expect(callerAs("marketer", elsewhere).journeys.duplicate({ id: source.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
