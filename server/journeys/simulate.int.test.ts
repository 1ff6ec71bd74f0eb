import { beforeAll, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import type { JourneyDefinition } from "@/lib/journeys/schema";
import type { TemplateContent } from "@/lib/messages/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { newMasterKey } from "@/server/channels/credentials";
import { ingestBatch } from "@/server/ingest/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { simulateJourney } from "./simulate";

process.env.JUNCTION_SECRET_KEY = newMasterKey();

const createCaller = createCallerFactory(appRouter);
const HOUR = 3_600_000;

describe("journey simulation: a person walked through with simulated time", () => {
  const t = useTestDatabase();
  let ws: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let nudge: string;
  let liveCall: string;
  let broken: string;
  let ada: string;
  let before: Record<string, number>;

  const callerAs = (role: "viewer" | "marketer") => {
    const user = ws.members.find((m) => m.role === role)!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
    return createCaller(ctx);
  };

  async function template(name: string, content: TemplateContent): Promise<string> {
    const marketer = callerAs("marketer");
    const { id } = await marketer.messages.create({ name, channel: content.channel });
    await marketer.messages.save({ id, name, content });
    return id;
  }

  /** Everything a simulation must not change. */
  async function counts(): Promise<Record<string, number>> {
    const workspaceId = ws.workspace.id;
    return {
      profiles: await t.db.profile.count({ where: { workspaceId } }),
      events: await t.db.event.count({ where: { workspaceId } }),
      deliveries: await t.db.delivery.count({ where: { workspaceId } }),
      inApp: await t.db.inAppMessage.count({ where: { workspaceId } }),
      memberships: await t.db.segmentMembership.count(),
      enrollments: await t.db.journeyEnrollment.count(),
      audit: await t.db.auditLogEntry.count({ where: { workspaceId } }),
      versions: await t.db.messageTemplateVersion.count(),
    };
  }

  beforeAll(async () => {
    ws = await createWorkspaceWith(t.db, ["viewer", "marketer"]);
    const now = Date.now();
    const raws = [
      { type: "identify", userId: "ada", traits: { first_name: "Ada", email: "ada@example.com", plan: "free" }, messageId: "ada-id", timestamp: new Date(now - 30 * 24 * HOUR).toISOString() },
      { type: "track", userId: "ada", event: "tariff_calculator_opened", messageId: "ada-open-1", timestamp: new Date(now - 2 * HOUR).toISOString() },
    ];
    await ingestBatch(t.db, {
      workspaceId: ws.workspace.id,
      items: raws.map((raw) => {
        const parsed = parseMessage(raw);
        if (!parsed.ok) throw new Error(parsed.error);
        return { message: parsed.message, receivedAt: new Date() };
      }),
    });
    ada = (await t.db.profile.findFirstOrThrow({ where: { workspaceId: ws.workspace.id, userId: "ada" } })).id;
    nudge = await template("Nudge", { channel: "inapp", subscriptionGroupId: null, title: "Hi {{ person.first_name }}", body: "Your plan: {{ person.plan }}", buttonLabel: "", buttonUrl: "" });
    liveCall = await template("Live call", { channel: "sms", subscriptionGroupId: null, text: "{{ person.first_name }}, join our live call ({{ event.name }})" });
    broken = await template("Broken", { channel: "sms", subscriptionGroupId: null, text: "Hi {{ person.nickname }}" });
    before = await counts();
  });

  const node = (n: Record<string, unknown>) => ({ position: { x: 0, y: 0 }, ...n }) as JourneyDefinition["nodes"][number];
  /**
   * Tariff nudge: opened the calculator → wait for tariff_result_viewed (24 h) → viewed: done;
   * timed out → looked at pricing? in-app nudge : set plan = trial, wait 1 h → on trial? SMS : done.
   */
  const journey = (): JourneyDefinition => ({
    schemaVersion: 1,
    nodes: [
      node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "tariff_calculator_opened", filters: [] } }),
      node({ id: "wait_result", kind: "wait", wait: { type: "event", event: "tariff_result_viewed", filters: [], timeout: { amount: 24, unit: "hours" } } }),
      node({ id: "converted", kind: "exit" }),
      node({
        id: "pricing",
        kind: "branch",
        cases: [
          {
            id: "viewed_pricing",
            name: "Viewed pricing",
            condition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "event", event: "pricing_viewed", where: [], count: { op: "gte", value: 1 }, window: { kind: "ever" } }] } },
          },
        ],
      }),
      node({ id: "send_nudge", kind: "send", channel: "inapp", templateId: nudge, onFailure: "continue" }),
      node({ id: "set_trial", kind: "update", trait: "plan", op: "set", value: "trial" }),
      node({ id: "wait_hour", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "hours" } } }),
      node({
        id: "on_trial",
        kind: "branch",
        cases: [{ id: "trial", name: "On trial", condition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "trial" } }] } } }],
      }),
      node({ id: "send_call", kind: "send", channel: "sms", templateId: liveCall, onFailure: "continue" }),
      node({ id: "done", kind: "exit" }),
    ],
    edges: [
      { id: "e1", from: "trigger", exit: "next", to: "wait_result" },
      { id: "e2", from: "wait_result", exit: "event", to: "converted" },
      { id: "e3", from: "wait_result", exit: "timeout", to: "pricing" },
      { id: "e4", from: "pricing", exit: "viewed_pricing", to: "send_nudge" },
      { id: "e5", from: "pricing", exit: "else", to: "set_trial" },
      { id: "e6", from: "send_nudge", exit: "next", to: "done" },
      { id: "e7", from: "set_trial", exit: "next", to: "wait_hour" },
      { id: "e8", from: "wait_hour", exit: "next", to: "on_trial" },
      { id: "e9", from: "on_trial", exit: "trial", to: "send_call" },
      { id: "e10", from: "on_trial", exit: "else", to: "done" },
      { id: "e11", from: "send_call", exit: "next", to: "done" },
    ],
    settings: { reentry: { mode: "never" } },
  });

  it("a wait for an event is won by the event when it comes first", async () => {
    const result = await callerAs("viewer").journeys.simulate({ definition: journey(), person: { profileId: ada }, steps: [{ type: "event", name: "tariff_result_viewed", properties: {} }] });
    expect(result.entries.map((e) => e.cause)).toEqual(["enter", "event"]);
    expect(result.entries[0]!.position).toMatchObject({ at: "wait_result", waitingFor: "tariff_result_viewed", until: new Date(Date.parse(result.startedAt) + 24 * HOUR).toISOString() });
    expect(result.entries[1]).toMatchObject({ applied: true, at: result.startedAt, visited: ["wait_result", "converted"] });
    expect(result.position).toEqual({ at: null, until: null, waitingFor: null, ended: { nodeId: "converted", reason: "completed" } });
    expect(result.visited).toEqual(["trigger", "wait_result", "converted"]);
    expect(result.person).toMatchObject({ profileId: ada, primary: "Ada" });
  });

  it("a timeout wins when nothing comes; an update changes the person's traits, and the later branch sees it; timers fire in order within one advance", async () => {
    const result = await simulateJourney(t.db, { workspaceId: ws.workspace.id, definition: journey(), person: { userId: "ada" }, steps: [{ type: "advance", ms: 26 * HOUR }] });
    const start = Date.parse(result.startedAt);
    expect(result.entries.map((e) => [e.cause, e.at])).toEqual([
      ["enter", result.startedAt],
      ["timer", new Date(start + 24 * HOUR).toISOString()],
      ["timer", new Date(start + 25 * HOUR).toISOString()],
    ]);
    expect(result.now).toBe(new Date(start + 26 * HOUR).toISOString());
    const [, timedOut, afterHour] = result.entries;
    expect(timedOut!.decisions.map((d) => d.text)).toEqual(["Timed out waiting for tariff_result_viewed.", "Viewed pricing: no.", "No case held: everyone else.", "Set plan.", `Wait until ${new Date(start + 25 * HOUR).toISOString()}.`]);
    expect(timedOut!.decisions[1]).toMatchObject({ nodeId: "pricing", caseId: "viewed_pricing", trace: { holds: false } });
    expect(timedOut!.position).toMatchObject({ at: "wait_hour" });
    // Plan was "free": the update made them "trial", and the branch an hour later says so.
    expect(afterHour!.decisions.find((d) => d.nodeId === "on_trial")).toMatchObject({ text: "On trial: yes.", caseId: "trial", trace: { holds: true } });
    const send = afterHour!.effects.find((e) => e.type === "send");
    expect(send).toMatchObject({ nodeId: "send_call", message: { templateName: "Live call", channel: "sms", output: { text: "Ada, join our live call (tariff_calculator_opened)" } } });
    expect(send?.error).toBeUndefined();
    expect(result.person.traits).toMatchObject({ plan: "trial", first_name: "Ada" });
    expect(result.position.ended).toEqual({ nodeId: "done", reason: "completed" });
    expect(result.visited).toEqual(["trigger", "wait_result", "pricing", "set_trial", "wait_hour", "on_trial", "send_call", "done"]);
  });

  it("an event the journey does not wait for changes nothing then, and a later branch decides by it; the send renders with the person's name", async () => {
    const first = await callerAs("viewer").journeys.simulate({ definition: journey(), person: { profileId: ada }, steps: [{ type: "event", name: "pricing_viewed", properties: {} }, { type: "advance", ms: HOUR }] });
    expect(first.entries[1]).toMatchObject({ cause: "event", applied: false, decisions: [{ text: "pricing_viewed is not the event this wait is for." }] });
    expect(first.entries[2]).toMatchObject({ cause: "advance", applied: false, decisions: [{ text: `Still waiting for tariff_result_viewed (at most until ${first.position.until}).` }] });

    // The same steps replayed with the first run's clock, and one more: 24 h later the branch goes the other way.
    const steps = [{ type: "event" as const, name: "pricing_viewed", properties: {} }, { type: "advance" as const, ms: HOUR }, { type: "advance" as const, ms: 23 * HOUR }];
    const result = await callerAs("viewer").journeys.simulate({ definition: journey(), person: { profileId: ada }, steps, startedAt: first.startedAt });
    expect(result.startedAt).toBe(first.startedAt);
    const timer = result.entries.find((e) => e.cause === "timer")!;
    expect(timer.step).toBe(2);
    expect(timer.decisions.find((d) => d.nodeId === "pricing")).toMatchObject({ text: "Viewed pricing: yes.", trace: { holds: true } });
    expect(timer.effects.find((e) => e.type === "send")).toMatchObject({ message: { templateName: "Nudge", output: { title: "Hi Ada", body: "Your plan: free" } } });
    expect(result.visited).toEqual(["trigger", "wait_result", "pricing", "send_nudge", "done"]);
  });

  it("a described person, and a message that does not render: shown on its step, not an error", async () => {
    const def = journey();
    def.nodes = def.nodes.map((n) => (n.id === "send_call" ? { ...n, kind: "send" as const, channel: "sms" as const, templateId: broken, onFailure: "continue" as const } : n));
    const result = await callerAs("viewer").journeys.simulate({
      definition: def,
      person: { traits: { first_name: "Grace", plan: "free", timezone: "Europe/Berlin" }, events: [] },
      steps: [{ type: "advance", ms: 2 * 24 * HOUR }, { type: "advance", ms: HOUR }],
    });
    expect(result.person).toMatchObject({ profileId: null, primary: "Grace" });
    const send = result.entries.flatMap((e) => e.effects).find((e) => e.type === "send");
    expect(send?.error).toMatch(/does not render: text.*nickname/);
    expect(result.position.ended).toEqual({ nodeId: "done", reason: "completed" });
    // Advancing after the end says so.
    expect(result.entries.at(-1)).toMatchObject({ cause: "advance", step: 1, decisions: [{ text: "The person is out of the journey: nothing more happens." }] });
  });

  it("bad input is a clear 4xx: an unknown person, an invalid journey, too many steps", async () => {
    const viewer = callerAs("viewer");
    await expect(viewer.journeys.simulate({ definition: journey(), person: { userId: "nobody" }, steps: [] })).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("“nobody”") });
    await expect(viewer.journeys.simulate({ definition: journey(), person: { profileId: "missing" }, steps: [] })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const invalid = journey();
    invalid.edges = invalid.edges.filter((e) => e.id !== "e10");
    await expect(viewer.journeys.simulate({ definition: invalid, person: { profileId: ada }, steps: [] })).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("“Everyone else” leads nowhere"),
    });
    const many = Array.from({ length: 51 }, () => ({ type: "advance" as const, ms: HOUR }));
    await expect(viewer.journeys.simulate({ definition: journey(), person: { profileId: ada }, steps: many })).rejects.toMatchObject({ code: "BAD_REQUEST" });
    await expect(viewer.journeys.simulate({ definition: journey(), person: { profileId: ada }, steps: [], startedAt: "2020-01-01T00:00:00.000Z" })).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("start it again") });
  });

  it("sends nothing and writes nothing", async () => {
    expect(await counts()).toEqual(before);
  });
});
