import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { ZJourneyDefinition, type JourneyDefinition, type JourneyNode, type JourneySettings } from "@/lib/journeys/schema";
import type { TemplateContent } from "@/lib/messages/schema";
import { newMasterKey } from "@/server/channels/credentials";
import { saveChannel } from "@/server/channels/service";
import { DomainError } from "@/server/errors";
import { drain } from "@/server/feed/consumer";
import { ingestBatch } from "@/server/ingest/service";
import { createJourney, publishJourney } from "@/server/journeys/service";
import { sendDue } from "@/server/journeys/runtime/sender";
import { stepDue } from "@/server/journeys/runtime/steps";
import { journeysConsumer } from "@/server/journeys/runtime/triggers";
import { listDeliveries, retryJourneySend } from "@/server/messages/deliveries";
import { createTemplate } from "@/server/messages/templates";
import { segmentsConsumer } from "@/server/segments/consumer";
import { refreshSegment } from "@/server/segments/membership";
import { createSegment } from "@/server/segments/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { startHttpSink, type HttpSink } from "@/server/test/http-sink";
import { startSmtpSink } from "@/server/test/smtp-sink";
import { differenceInterval, enrollmentTrace, journeyLift, whyNot, type TraceEntry } from "./trace";

process.env.JUNCTION_SECRET_KEY = newMasterKey();
process.env.JUNCTION_ALLOW_PRIVATE_NETWORK = "1";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * "Seeing why" against the real runtime: events go in through the store path the tracking
 * API uses, the feed consumer enrolls, the stepper and the sender run with an injected clock
 * (an SMTP server and an HTTP receiver stand in for providers); then the trace, "why not?"
 * and lift read back what the runtime recorded.
 */
describe("journey traces, why not, lift", () => {
  const t = useTestDatabase();
  type Ws = Awaited<ReturnType<typeof createWorkspaceWith>>;
  let ws: Ws;
  let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
  let hooks: HttpSink;
  let emailTemplate: string;
  let webhookTemplate: string;
  let webhookChannel: string;
  let now = new Date();
  const clock = () => now;
  const actor = () => ({ userId: ws.admin.id, label: ws.admin.email });
  let seq = 0;

  beforeAll(async () => {
    smtp = await startSmtpSink({ user: "junction", password: "smtp-password-123" });
    hooks = await startHttpSink();
  });
  afterAll(async () => {
    await smtp.close();
    await hooks.close();
  });

  beforeEach(async () => {
    ws = await createWorkspaceWith(t.db);
    now = new Date(Math.ceil(Date.now() / 1000) * 1000);
    smtp.received.length = 0;
    hooks.reset();
    hooks.handle(() => ({ status: 200, body: "ok" }));
    await saveChannel(t.db, {
      workspaceId: ws.workspace.id,
      actor: actor(),
      name: "Email",
      config: { kind: "email", settings: { host: "127.0.0.1", port: smtp.port, security: "none", user: "junction", pool: false, senders: [{ name: "Acme", address: "hello@acme.test" }] } },
      secrets: { password: "smtp-password-123" },
    });
    webhookChannel = (await saveChannel(t.db, { workspaceId: ws.workspace.id, actor: actor(), name: "CRM", config: { kind: "webhook", settings: { url: `${hooks.url}/crm` } } as never })).id;
    const email: TemplateContent = { channel: "email", subscriptionGroupId: null, subject: "Your analysis", preheader: "", html: "<p>Hi</p>", text: "" };
    emailTemplate = (await createTemplate(t.db, { workspaceId: ws.workspace.id, actor: actor(), name: "Reminder", channel: "email", content: email })).id;
    webhookTemplate = (await createTemplate(t.db, { workspaceId: ws.workspace.id, actor: actor(), name: "Hook", channel: "webhook", content: { channel: "webhook", subscriptionGroupId: null, body: '{"user":"{{ person.user_id }}"}' } })).id;
  });

  async function track(userId: string, event: string, properties: Record<string, unknown> = {}, traits: Record<string, unknown> = {}) {
    const raws = [
      ...(Object.keys(traits).length ? [{ type: "identify", userId, traits, messageId: `m-${++seq}`, timestamp: now.toISOString() }] : []),
      ...(event ? [{ type: "track", userId, event, properties, messageId: `m-${++seq}`, timestamp: now.toISOString() }] : []),
    ];
    const items = raws.map((raw) => {
      const parsed = parseMessage(raw);
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: now };
    });
    await ingestBatch(t.db, { workspaceId: ws.workspace.id, items });
  }

  /** Everything the worker would do now: the feed, due steps, due sends — until nothing is left. */
  async function tick() {
    await drain(t.db, segmentsConsumer(t.db, clock));
    await drain(t.db, journeysConsumer(t.db, clock));
    for (let i = 0; i < 50; i++) {
      const stepped = await stepDue(t.db, { clock });
      const sent = await sendDue(t.db, { clock });
      if (stepped.taken === 0 && sent === 0) return;
    }
    throw new Error("the runtime did not settle");
  }

  async function advance(ms: number) {
    now = new Date(now.getTime() + ms);
    await tick();
  }

  const node = (n: Partial<JourneyNode> & { id: string; kind: JourneyNode["kind"] }) => n as JourneyNode;
  const edge = (from: string, to: string, exit = "next") => ({ id: `${from}-${exit}-${to}`, from, exit, to });

  async function publish(name: string, nodes: JourneyNode[], edges: ReturnType<typeof edge>[], settings: Partial<JourneySettings> = {}) {
    const draft: JourneyDefinition = ZJourneyDefinition.parse({ schemaVersion: 1, nodes, edges, settings: { reentry: { mode: "never" }, ...settings } });
    const { id, revision } = await createJourney(t.db, { workspaceId: ws.workspace.id, actor: actor(), name, draft });
    await publishJourney(t.db, { workspaceId: ws.workspace.id, actor: actor(), id, revision });
    // Events stored from now on count for it (what "why not" reads as "since it went live").
    const { publishedAt } = await t.db.journeyVersion.findFirstOrThrow({ where: { journeyId: id }, orderBy: { version: "desc" } });
    if (now.getTime() <= publishedAt.getTime()) now = new Date(publishedAt.getTime() + 1_000);
    return id;
  }

  const profileOf = async (userId: string) => (await t.db.profile.findFirstOrThrow({ where: { workspaceId: ws.workspace.id, userId } })).id;
  const enrollmentOf = async (journeyId: string, userId: string) => t.db.journeyEnrollment.findFirstOrThrow({ where: { journeyId, profile: { userId } }, orderBy: { enteredAt: "desc" } });
  const why = async (journeyId: string, userId: string, nodeId?: string) => whyNot(t.db, { workspaceId: ws.workspace.id, journeyId, profileId: await profileOf(userId), nodeId, now });

  /** The tariff-calculator journey: 24 h after opening it, people who did not see their result get the analysis by email. */
  function tariffJourney(settings: Partial<JourneySettings> = {}) {
    return publish(
      "Tariff reminder",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "tariff_calculator_opened", filters: [] } }),
        node({ id: "wait", kind: "wait", wait: { type: "duration", duration: { amount: 24, unit: "hours" } } }),
        node({
          id: "seen",
          kind: "branch",
          label: "Saw the result?",
          cases: [{ id: "yes", name: "Saw the result", condition: { schemaVersion: 1, root: { type: "group", id: "g", op: "and", children: [{ type: "event", id: "e", event: "tariff_result_viewed", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 2, unit: "days" } }] } } as never }],
        }),
        node({ id: "send", kind: "send", channel: "email", templateId: emailTemplate, onFailure: "continue" }),
        node({ id: "done", kind: "exit" }),
        node({ id: "skip", kind: "exit" }),
      ],
      [edge("trigger", "wait"), edge("wait", "seen"), edge("seen", "skip", "yes"), edge("seen", "send", "else"), edge("send", "done")],
      settings,
    );
  }

  const steps = (entries: TraceEntry[]) => entries.filter((e): e is Extract<TraceEntry, { type: "step" }> => e.type === "step");

  it("a trace: each step with its cause, the branch case with the evaluator's explanation, the wait with its end, the sent delivery; why not for one who went down the other branch", async () => {
    const journeyId = await tariffJourney();
    const start = now;
    await track("ann", "tariff_calculator_opened", { tariff: "Flex 12" }, { email: "ann@example.com", first_name: "Ann" });
    await track("bob", "tariff_calculator_opened", {}, { email: "bob@example.com", first_name: "Bob" });
    await tick();
    await advance(2 * HOUR);
    await track("bob", "tariff_result_viewed");
    await advance(DAY - 2 * HOUR);
    expect(smtp.received.map((m) => m.to[0])).toEqual(["ann@example.com"]);

    const ann = await enrollmentOf(journeyId, "ann");
    const trace = await enrollmentTrace(t.db, { workspaceId: ws.workspace.id, enrollmentId: ann.id, now });
    expect(trace.enrollment).toMatchObject({
      journey: { id: journeyId, name: "Tariff reminder", status: "live" },
      version: 1,
      status: "completed",
      endText: "Reached the end of the journey.",
      holdout: false,
      triggerEvent: "tariff_calculator_opened",
      person: { primary: "Ann", secondary: "ann@example.com" },
      position: null,
    });
    expect(trace.entries.map((e) => e.type)).toEqual(["step", "step", "delivery"]);
    const [entered, woke] = steps(trace.entries);
    expect(entered).toMatchObject({ cause: "enter", causeText: "Entered", nodeLabel: "Wait", wait: { nodeId: "wait", nodeLabel: "Wait", until: new Date(start.getTime() + DAY), forEvent: null }, ended: null });
    expect(entered!.decisions.map((d) => [d.nodeLabel, d.text])).toEqual([
      ["Trigger", "Entered the journey."],
      ["Wait", `Wait until ${new Date(start.getTime() + DAY).toISOString()}.`],
    ]);
    expect(woke).toMatchObject({ cause: "timer", causeText: "Wait ended", ended: { reason: "completed", text: "Reached the end of the journey." } });
    expect(woke!.decisions.map((d) => [d.nodeLabel, d.text])).toEqual([
      ["Wait", "The wait is over."],
      ["Saw the result?", "Saw the result: no."],
      ["Saw the result?", "No case held: everyone else."],
      ["Send “Reminder”", "Send the email message."],
      ["Exit", "Reached the end."],
    ]);
    // The branch case's explanation, with the case's condition to read it by.
    const branch = woke!.decisions[1]!;
    expect(branch.condition?.root).toMatchObject({ type: "group", children: [{ type: "event", event: "tariff_result_viewed" }] });
    expect(branch.trace).toMatchObject({ holds: false, children: [{ type: "event", holds: false, seen: 0 }] });
    const delivery = trace.entries[2]!;
    expect(delivery).toMatchObject({ type: "delivery", at: woke!.at, delivery: { channel: "email", status: "sent", summary: "Sent", attempts: 1, recipient: "ann@example.com", nodeId: "send", nodeLabel: "Send “Reminder”", reason: null } });

    // Why not? Ann got it; Bob went down the other branch — with the evaluator's explanation.
    expect(await why(journeyId, "ann", "send")).toMatchObject({ outcome: "sent", node: { id: "send", label: "Send “Reminder”" }, enrollmentId: ann.id, answer: expect.stringMatching(/^They got it: the email message “Reminder” was sent on \d{4}-\S+\.$/) });
    const bob = await why(journeyId, "bob", "send");
    expect(bob).toMatchObject({ outcome: "not_sent", answer: "Their path did not lead to this message: at “Saw the result?” they went another way (Saw the result: yes).", branch: { nodeId: "seen", nodeLabel: "Saw the result?" } });
    expect(bob.branch!.decisions[0]).toMatchObject({ text: "Saw the result: yes.", trace: { holds: true, children: [{ type: "event", seen: 1 }] }, condition: expect.anything() });
    expect(bob.details).toEqual([expect.stringMatching(/^They entered on .* \(version 1\)\.$/), expect.stringMatching(/^They left the journey at “Exit” on .*: reached the end of the journey\.$/)]);
    // Without a step: the journey's only message.
    expect((await why(journeyId, "bob")).node).toEqual({ id: "send", label: "Send “Reminder”" });
  });

  it("why not, for people who never entered: never triggered, only before it went live, an event that failed the trigger's filter", async () => {
    now = new Date(Date.now() - HOUR);
    await track("early", "upgrade_viewed", { plan: "pro" }, { email: "early@example.com" });
    now = new Date(Date.now());
    const journeyId = await publish(
      "Upgrade nudge",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "upgrade_viewed", filters: [{ path: "plan", valueType: "string", operator: { op: "equals", value: "pro" } }] } as never }),
        node({ id: "send", kind: "send", channel: "email", templateId: emailTemplate, onFailure: "continue" }),
        node({ id: "x", kind: "exit" }),
      ],
      [edge("trigger", "send"), edge("send", "x")],
    );
    await track("carl", "", {}, { email: "carl@example.com" });
    await track("free", "upgrade_viewed", { plan: "free" }, { email: "free@example.com" });
    await track("pro", "upgrade_viewed", { plan: "pro" }, { email: "pro@example.com" });
    await tick();
    expect(smtp.received.map((m) => m.to[0])).toEqual(["pro@example.com"]);

    const carl = await why(journeyId, "carl", "send");
    expect(carl).toMatchObject({ outcome: "not_entered", enrollmentId: null, answer: expect.stringMatching(/^They have not performed upgrade_viewed since the journey went live on \S+, so they never entered\.$/), details: [] });
    const early = await why(journeyId, "early", "send");
    expect(early.outcome).toBe("not_entered");
    expect(early.details).toEqual([expect.stringMatching(/^They performed it once before that \(last on \S+\); a journey does not reach back to events from before it went live\.$/)]);
    const free = await why(journeyId, "free", "send");
    expect(free).toMatchObject({ outcome: "not_entered", answer: expect.stringMatching(/^They performed upgrade_viewed once since the journey went live on \S+, but it did not pass the trigger, so they never entered\.$/) });
    expect(free.details).toEqual([expect.stringMatching(/^The last time, on \S+: its properties did not pass the trigger's filters: plan was “free” \(the trigger's filter: plan is “pro”\)\.$/)]);
  });

  it("why not, for a segment trigger: already in the segment before the journey went live; not in it; an enroll-API journey", async () => {
    const segment = await createSegment(t.db, {
      workspaceId: ws.workspace.id,
      actor: actor(),
      name: "Pro plan",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "pro" } }] } } as never,
    });
    // A minute before the journey goes live.
    now = new Date(Date.now() - 60_000);
    await track("gil", "", {}, { email: "gil@example.com", plan: "pro" });
    await track("hal", "", {}, { email: "hal@example.com", plan: "free" });
    await tick();
    await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now });
    now = new Date(Date.now() + 1_000);
    const journeyId = await publish(
      "Welcome to Pro",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "segment_entered", segmentId: segment.id } }), node({ id: "send", kind: "send", channel: "email", templateId: emailTemplate, onFailure: "continue" }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "send"), edge("send", "x")],
    );
    await tick();
    expect((await why(journeyId, "gil")).answer).toMatch(/^They have not entered the segment “Pro plan” since the journey went live on \S+, so they never entered\. They are in it now\. They entered it on \S+, before the journey went live; only entering after that counts\.$/);
    expect((await why(journeyId, "hal")).answer).toMatch(/^They have not entered the segment “Pro plan” since the journey went live on \S+, so they never entered\. They are not in it now\.$/);
    const api = await publish("By API", [node({ id: "trigger", kind: "trigger", trigger: { type: "api" } }), node({ id: "x", kind: "exit" })], [edge("trigger", "x")]);
    expect(await why(api, "gil")).toMatchObject({ outcome: "not_entered", node: null, answer: "People enter this journey only through the enroll API, and it has not been called for them." });
  });

  it("why not, for one the re-entry rule stopped: their first time went the other way, the second was not let in", async () => {
    const journeyId = await tariffJourney();
    await track("dee", "tariff_calculator_opened", {}, { email: "dee@example.com" });
    await track("dee", "tariff_result_viewed");
    await tick();
    await advance(DAY);
    await advance(DAY);
    await track("dee", "tariff_calculator_opened");
    await tick();
    await advance(DAY);
    expect(await t.db.journeyEnrollment.count({ where: { journeyId } })).toBe(1);
    expect(smtp.received).toHaveLength(0);

    const dee = await why(journeyId, "dee", "send");
    expect(dee.answer).toBe("Their path did not lead to this message: at “Saw the result?” they went another way (Saw the result: yes).");
    expect(dee.details.at(-1)).toMatch(/^On \S+ they performed tariff_calculator_opened again, but were not let in: the re-entry rule stopped them: they first entered on \S+, and this journey lets each person in only once\.$/);
  });

  it("why not, for one whose send consent suppressed; and a send held for quiet hours", async () => {
    const group = await t.db.subscriptionGroup.create({ data: { workspaceId: ws.workspace.id, name: "Offers", channel: "email", mode: "opt_out", purpose: "marketing" } });
    const content: TemplateContent = { channel: "email", subscriptionGroupId: group.id, subject: "Offer", preheader: "", html: "<p>Offer</p>", text: "" };
    const offer = (await createTemplate(t.db, { workspaceId: ws.workspace.id, actor: actor(), name: "Offer", channel: "email", content })).id;
    const journeyId = await publish(
      "Offer",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "promo", filters: [] } }), node({ id: "send", kind: "send", channel: "email", templateId: offer, onFailure: "continue", label: "The offer" }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "send"), edge("send", "x")],
      { quietHours: { start: "21:00", end: "08:00", mode: "hold" } },
    );
    // 12:00 in Berlin.
    now = new Date("2030-01-15T11:00:00Z");
    await track("eva", "", {}, { email: "eva@example.com", timezone: "Europe/Berlin" });
    await t.db.subscriptionState.create({ data: { profileId: await profileOf("eva"), groupId: group.id, subscribed: false, updatedAt: now } });
    await track("eva", "promo");
    await tick();
    expect(smtp.received).toHaveLength(0);
    const eva = await why(journeyId, "eva", "send");
    expect(eva).toMatchObject({ outcome: "not_sent", node: { id: "send", label: "The offer" }, answer: "Not sent: unsubscribed from “Offers” on 2030-01-15." });
    const trace = await enrollmentTrace(t.db, { workspaceId: ws.workspace.id, enrollmentId: eva.enrollmentId!, now });
    expect(trace.entries.find((e) => e.type === "delivery")).toMatchObject({ delivery: { status: "suppressed", summary: "Not sent", reason: expect.stringContaining("Unsubscribed from “Offers”") } });

    // 23:00 in Berlin: held until 08:00 there.
    now = new Date(now.getTime() + 11 * HOUR);
    await track("fin", "promo", {}, { email: "fin@example.com", timezone: "Europe/Berlin" });
    await tick();
    const fin = await why(journeyId, "fin", "send");
    const until = new Date(now.getTime() + 9 * HOUR).toISOString();
    expect(fin).toMatchObject({ outcome: "pending", answer: `Not yet: held for quiet hours (21:00–08:00 Europe/Berlin) until ${until}.` });
    const finTrace = await enrollmentTrace(t.db, { workspaceId: ws.workspace.id, enrollmentId: fin.enrollmentId!, now });
    expect(finTrace.entries.find((e) => e.type === "delivery")).toMatchObject({ delivery: { status: "queued", summary: `Held until ${until}` } });
  });

  it("the dead-letter list: a journey's failed sends, filtered by journey, retried by hand with an audit entry; the trace and why not say what happened", async () => {
    const journeyId = await publish(
      "Hook",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "ping", filters: [] } }), node({ id: "hook", kind: "webhook", channelId: webhookChannel, templateId: webhookTemplate }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "hook"), edge("hook", "x")],
    );
    const other = await tariffJourney();
    hooks.handle(() => ({ status: 400, body: "bad request" }));
    await track("ivy", "ping", {}, { email: "ivy@example.com" });
    await track("ivy", "tariff_calculator_opened");
    await tick();

    const failed = await listDeliveries(t.db, { workspaceId: ws.workspace.id, status: "failed", journeyId, limit: 10 });
    expect(failed.items).toHaveLength(1);
    expect(failed.items[0]).toMatchObject({ status: "failed", attempts: 1, journey: { id: journeyId, name: "Hook" }, channel: "webhook" });
    expect((await listDeliveries(t.db, { workspaceId: ws.workspace.id, journeyId: other, limit: 10 })).items).toHaveLength(0);
    const ivy = await why(journeyId, "ivy", "hook");
    expect(ivy).toMatchObject({ outcome: "not_sent", answer: "It could not be sent: the endpoint answered 400 Bad Request: bad request.", deliveryId: failed.items[0]!.id });
    expect(ivy.details).toContain("It is on the dead-letter list (Deliveries, status failed), where it can be retried.");

    hooks.handle(() => ({ status: 200, body: "ok" }));
    expect(await retryJourneySend(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: failed.items[0]!.id })).toEqual({ id: failed.items[0]!.id, status: "queued" });
    const audit = await t.db.auditLogEntry.findFirstOrThrow({ where: { workspaceId: ws.workspace.id, action: "delivery.retried" } });
    expect(audit).toMatchObject({ targetType: "journey", targetId: journeyId, actorId: ws.admin.id, diff: { delivery: { to: failed.items[0]!.id }, status: { from: "failed", to: "queued" } } });
    // Twice is refused; so is another workspace's delivery.
    await expect(retryJourneySend(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: failed.items[0]!.id })).rejects.toThrow(DomainError);
    const elsewhere = await createWorkspaceWith(t.db);
    await expect(retryJourneySend(t.db, { workspaceId: elsewhere.workspace.id, actor: actor(), id: failed.items[0]!.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    now = new Date(Date.now() + 1_000);
    await tick();
    expect(await t.db.delivery.findUniqueOrThrow({ where: { id: failed.items[0]!.id } })).toMatchObject({ status: "sent" });
    expect((await why(journeyId, "ivy", "hook")).outcome).toBe("sent");
  });

  it("lift: the holdout's conversion against the messaged people's, with the difference's 95% interval; a journey before anyone passed the split has none", async () => {
    // Newcombe (1998), method 10, example (a): 56/70 − 48/80 = 0.2000, 95% CI 0.0524 to 0.3339.
    const reference = differenceInterval(56, 70, 48, 80)!;
    expect(reference.difference).toBeCloseTo(0.2, 10);
    expect(reference.low).toBeCloseTo(0.0524, 4);
    expect(reference.high).toBeCloseTo(0.3339, 4);
    expect(differenceInterval(1, 3, 0, 0)).toBeNull();

    const journeyId = await publish(
      "Win back",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "visit", filters: [] } }),
        node({ id: "split", kind: "split", arms: [{ id: "hold", name: "Holdout", percent: 50, holdout: true }, { id: "treat", name: "Messages", percent: 50, holdout: false }] }),
        node({ id: "send", kind: "send", channel: "email", templateId: emailTemplate, onFailure: "continue" }),
        node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "days" } } }),
        node({ id: "out", kind: "exit" }),
        node({ id: "held", kind: "exit" }),
      ],
      [edge("trigger", "split"), edge("split", "held", "hold"), edge("split", "send", "treat"), edge("send", "w"), edge("w", "out")],
      { goal: { type: "event", event: "purchase", filters: [], window: { amount: 7, unit: "days" } } },
    );
    expect(await journeyLift(t.db, { workspaceId: ws.workspace.id, journeyId })).toMatchObject({ hasHoldout: true, hasGoal: true, holdout: { people: 0, rate: null }, messaged: { people: 0, rate: null }, difference: null });

    // 30 people, 50/50: each group has at least 5 but once in ~30,000 journeys (the arm is a hash of journey and person).
    const users = Array.from({ length: 30 }, (_, i) => `p${i}`);
    for (const u of users) await track(u, "visit", {}, { email: `${u}@example.com` });
    await tick();
    const rows = await t.db.journeyEnrollment.findMany({ where: { journeyId }, include: { profile: { select: { userId: true } } }, orderBy: { profile: { userId: "asc" } } });
    const holdouts = rows.filter((r) => r.holdout).map((r) => r.profile.userId!);
    const messaged = rows.filter((r) => !r.holdout).map((r) => r.profile.userId!);
    expect(holdouts.length).toBeGreaterThanOrEqual(3);
    expect(messaged.length).toBeGreaterThanOrEqual(5);
    // Two of the holdout buy (after their way ended: within the window, still a conversion), five of the messaged (while waiting).
    await advance(HOUR);
    for (const u of [...holdouts.slice(0, 2), ...messaged.slice(0, 5)]) await track(u, "purchase");
    await tick();

    const lift = await journeyLift(t.db, { workspaceId: ws.workspace.id, journeyId });
    const h = holdouts.length;
    const m = messaged.length;
    const ci = differenceInterval(5, m, 2, h)!;
    expect(lift).toMatchObject({ hasHoldout: true, holdout: { people: h, converted: 2, rate: 2 / h }, messaged: { people: m, converted: 5, rate: 5 / m }, notYetSplit: 0, method: "Newcombe hybrid score (Wilson)" });
    expect(lift.difference!.points).toBeCloseTo((5 / m - 2 / h) * 100, 10);
    expect(lift.difference!.low).toBeCloseTo(ci.low * 100, 10);
    expect(lift.difference!.high).toBeCloseTo(ci.high * 100, 10);
    expect(lift.difference!.low).toBeLessThan(lift.difference!.points);
    expect(lift.difference!.high).toBeGreaterThan(lift.difference!.points);

    // Why not, for a holdout: on purpose; the trace records the holdout.
    const holdout = await why(journeyId, holdouts[2]!, "send");
    expect(holdout).toMatchObject({ outcome: "not_sent", answer: "They did not get it on purpose: at “Split” they fell into the holdout arm, which gets no messages, so the journey's lift can be measured.", branch: { nodeId: "split" } });
    const trace = await enrollmentTrace(t.db, { workspaceId: ws.workspace.id, enrollmentId: holdout.enrollmentId!, now });
    expect(trace.enrollment.holdout).toBe(true);
    expect(steps(trace.entries)[0]).toMatchObject({ holdout: true, decisions: expect.arrayContaining([expect.objectContaining({ nodeLabel: "Split", text: "Split: Holdout (holdout)." })]) });
    // A late conversion shows in the trace of a holdout who bought.
    const bought = await enrollmentOf(journeyId, holdouts[0]!);
    const boughtTrace = await enrollmentTrace(t.db, { workspaceId: ws.workspace.id, enrollmentId: bought.id, now });
    expect(boughtTrace.entries.at(-1)).toMatchObject({ type: "note", tone: "good", text: expect.stringContaining("counted as a conversion") });

    // A journey without a holdout arm has no lift.
    const plain = await tariffJourney();
    expect(await journeyLift(t.db, { workspaceId: ws.workspace.id, journeyId: plain })).toMatchObject({ hasHoldout: false, difference: null });
    await expect(journeyLift(t.db, { workspaceId: ws.workspace.id, journeyId: "nope" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(enrollmentTrace(t.db, { workspaceId: (await createWorkspaceWith(t.db)).workspace.id, enrollmentId: bought.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});
