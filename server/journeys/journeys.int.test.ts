import { beforeAll, describe, expect, it } from "vitest";
import type { JourneyDefinition } from "@/lib/journeys/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";

const createCaller = createCallerFactory(appRouter);

describe("journeys: drafts, checks, versions", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let templateId: string;
  const callerAs = (role: "viewer" | "marketer" | "admin") => {
    const user = role === "admin" ? ws.admin : ws.members.find((m) => m.role === role)!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
    return createCaller(ctx);
  };

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer", "marketer"]);
    templateId = (await callerAs("marketer").messages.create({ name: "Nudge", channel: "inapp" })).id;
  });

  const complete = (template: string): JourneyDefinition => ({
    schemaVersion: 1,
    nodes: [
      { id: "trigger", kind: "trigger", position: { x: 0, y: 0 }, trigger: { type: "event", event: "feature_used", filters: [] } },
      { id: "wait", kind: "wait", position: { x: 0, y: 100 }, wait: { type: "duration", duration: { amount: 24, unit: "hours" } } },
      { id: "send", kind: "send", position: { x: 0, y: 200 }, channel: "inapp", templateId: template, onFailure: "continue" },
      { id: "done", kind: "exit", position: { x: 0, y: 300 } },
    ],
    edges: [
      { id: "e1", from: "trigger", exit: "next", to: "wait" },
      { id: "e2", from: "wait", exit: "next", to: "send" },
      { id: "e3", from: "send", exit: "next", to: "done" },
    ],
    settings: { reentry: { mode: "never" } },
  });

  it("a marketer drafts, is refused publishing while anything is missing, publishes version 1, edits and publishes version 2", async () => {
    const marketer = callerAs("marketer");
    const { id, revision } = await marketer.journeys.create({ name: "Tariff nudge" });
    const fresh = await marketer.journeys.get({ id });
    expect(fresh).toMatchObject({ status: "draft", revision: 1, liveVersion: null });
    expect(fresh.issues).toEqual([
      { nodeId: "trigger", message: "“Next” leads nowhere: connect it to the next step (or an exit)." },
      { nodeId: "trigger", field: "trigger.event", message: "Choose the event that starts the journey." },
    ]);

    // An incomplete draft saves (autosave), and says what is missing, by node.
    const draft = complete("gone-template");
    const saved = await marketer.journeys.saveDraft({ id, revision, name: "Tariff nudge", draft });
    expect(saved.revision).toBe(2);
    expect(saved.issues).toEqual([{ nodeId: "send", field: "templateId", message: "This message no longer exists: choose another.", reference: true }]);
    await expect(marketer.journeys.publish({ id, revision: 2 })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("This message no longer exists") });
    expect((await marketer.journeys.get({ id })).liveVersion).toBeNull();

    // A save based on an old revision is refused: nothing is overwritten.
    await expect(marketer.journeys.saveDraft({ id, revision: 1, name: "Tariff nudge", draft })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("Someone else saved") });

    await marketer.journeys.saveDraft({ id, revision: 2, name: "Tariff nudge", draft: complete(templateId) });
    expect(await marketer.journeys.publish({ id, revision: 3 })).toEqual({ version: 1 });
    expect(await marketer.journeys.get({ id })).toMatchObject({ status: "live", liveVersion: 1, issues: [] });

    // Editing the live journey is draft 2's work; publishing asks what happens to people inside.
    const v2 = complete(templateId);
    v2.nodes[1] = { ...v2.nodes[1]!, kind: "wait", wait: { type: "duration", duration: { amount: 2, unit: "days" } } } as JourneyDefinition["nodes"][number];
    v2.settings = { ...v2.settings, phase: "consideration" };
    await marketer.journeys.saveDraft({ id, revision: 3, name: "Tariff nudge", draft: v2 });
    expect(await marketer.journeys.publish({ id, revision: 4, policy: "migrate" })).toEqual({ version: 2 });
    const history = await callerAs("viewer").journeys.history({ id });
    expect(history.map((h) => [h.version, h.changes, h.policy])).toEqual([
      [2, ["Wait: 24 hours → 2 days", "Settings changed: lifecycle phase"], "migrate"],
      [1, ["First version"], "finish"],
    ]);
    const versions = await t.db.journeyVersion.findMany({ where: { journeyId: id }, orderBy: { version: "asc" } });
    expect((versions[0]!.definition as JourneyDefinition).nodes[1]).toMatchObject({ wait: { duration: { amount: 24 } } });

    const list = await callerAs("viewer").journeys.list({});
    expect(list).toEqual([expect.objectContaining({ id, name: "Tariff nudge", status: "live", liveVersion: 2, phase: "consideration", trigger: expect.objectContaining({ type: "event", event: "feature_used" }) })]);
    const audit = await callerAs("admin").audit.list({});
    expect(audit.entries.filter((e) => e.action === "journey.published")).toHaveLength(2);
  });

  it("pause, resume and archive follow the journey's status; viewers change nothing; names are unique", async () => {
    const marketer = callerAs("marketer");
    const { id } = (await marketer.journeys.list({})).find((j) => j.name === "Tariff nudge")!;
    expect(await marketer.journeys.setStatus({ id, action: "pause" })).toEqual({ status: "paused" });
    await expect(marketer.journeys.setStatus({ id, action: "pause" })).rejects.toMatchObject({ code: "CONFLICT" });
    expect(await marketer.journeys.setStatus({ id, action: "resume" })).toEqual({ status: "live" });
    expect(await marketer.journeys.setStatus({ id, action: "archive", exitEveryone: true })).toEqual({ status: "archived" });
    expect(await marketer.journeys.list({})).toEqual([]);
    expect(await marketer.journeys.list({ includeArchived: true })).toHaveLength(1);
    const current = await marketer.journeys.get({ id });
    await expect(marketer.journeys.saveDraft({ id, revision: current.revision, name: "x", draft: current.draft })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining("archived") });

    await expect(callerAs("viewer").journeys.create({ name: "Nope" })).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(marketer.journeys.create({ name: "Tariff nudge" })).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(marketer.journeys.create({ name: "bad\u0000name" })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});
