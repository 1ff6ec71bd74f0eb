import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import type { EnrollmentState } from "@/lib/journeys/interpret";
import { ZJourneyDefinition, type JourneyDefinition, type JourneyNode, type JourneySettings } from "@/lib/journeys/schema";
import type { TemplateContent } from "@/lib/messages/schema";
import { newMasterKey } from "@/server/channels/credentials";
import { saveChannel } from "@/server/channels/service";
import { sqlTransaction } from "@/server/db/client";
import { drain } from "@/server/feed/consumer";
import { ingestBatch, ingestMessage } from "@/server/ingest/service";
import { createJourney, publishJourney, setJourneyStatus } from "@/server/journeys/service";
import { createTemplate } from "@/server/messages/templates";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { startHttpSink, type HttpSink } from "@/server/test/http-sink";
import { startSmtpSink } from "@/server/test/smtp-sink";
import { deletePerson } from "@/server/profiles/gdpr";
import { createSegment } from "@/server/segments/service";
import { segmentsConsumer } from "@/server/segments/consumer";
import { refreshSegment } from "@/server/segments/membership";
import { enroll } from "./enroll";
import { runSchedules } from "./schedules";
import { retryJourneySend } from "@/server/messages/deliveries";
import { recoverSending, sendDue } from "./sender";
import { stepDue } from "./steps";
import { journeysConsumer } from "./triggers";
import { liveJourneys } from "./versions";

process.env.JUNCTION_SECRET_KEY = newMasterKey();
process.env.JUNCTION_ALLOW_PRIVATE_NETWORK = "1";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * The journey runtime against a real Postgres, a real SMTP server and a real HTTP receiver,
 * with an injected clock: events go in through the store path the tracking API uses, the
 * feed consumer enrolls and wakes, the stepper moves people, the sender sends.
 */
describe("journey runtime", () => {
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
    // A workspace of its own per test: journeys, people and deliveries never cross.
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
    const email: TemplateContent = { channel: "email", subscriptionGroupId: null, subject: "Your {{ event.properties.tariff | default: 'tariff' }} analysis, {{ person.first_name | default: 'there' }}", preheader: "", html: "<p>Hi {{ person.first_name | default: 'there' }}</p>", text: "" };
    emailTemplate = (await createTemplate(t.db, { workspaceId: ws.workspace.id, actor: actor(), name: "Reminder", channel: "email", content: email })).id;
    webhookTemplate = (await createTemplate(t.db, { workspaceId: ws.workspace.id, actor: actor(), name: "Hook", channel: "webhook", content: { channel: "webhook", subscriptionGroupId: null, body: '{"user":"{{ person.user_id }}"}' } })).id;
  });

  async function track(userId: string, event: string, properties: Record<string, unknown> = {}, traits: Record<string, unknown> = {}) {
    const raws = [
      ...(Object.keys(traits).length ? [{ type: "identify", userId, traits, messageId: `m-${++seq}`, timestamp: now.toISOString() }] : []),
      { type: "track", userId, event, properties, messageId: `m-${++seq}`, timestamp: now.toISOString() },
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
    return id;
  }

  const profileOf = async (userId: string) => (await t.db.profile.findFirstOrThrow({ where: { workspaceId: ws.workspace.id, userId } })).id;
  const enrollmentsOf = (journeyId: string) => t.db.journeyEnrollment.findMany({ where: { journeyId }, orderBy: [{ enteredAt: "asc" }, { profile: { userId: "asc" } }], include: { profile: { select: { userId: true } } } });
  const mailsTo = (address: string) => smtp.received.filter((m) => m.to.includes(address));

  /** The tariff-calculator journey: 24 h after opening it, people who did not see their result get the analysis by email. */
  async function tariffJourney(settings: Partial<JourneySettings> = {}) {
    return publish(
      "Tariff reminder",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "tariff_calculator_opened", filters: [] } }),
        node({ id: "wait", kind: "wait", wait: { type: "duration", duration: { amount: 24, unit: "hours" } } }),
        node({
          id: "seen",
          kind: "branch",
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

  it("the tariff-calculator person gets the reminder 24 hours later, once; who saw the result gets none; the trace says why", async () => {
    const journeyId = await tariffJourney();
    await track("ann", "tariff_calculator_opened", { tariff: "Flex 12" }, { email: "ann@example.com", first_name: "Ann" });
    await track("bob", "tariff_calculator_opened", { tariff: "Basic" }, { email: "bob@example.com", first_name: "Bob" });
    await tick();
    let rows = await enrollmentsOf(journeyId);
    expect(rows.map((r) => [r.profile.userId, r.status, r.nodeId, r.wakeAt?.getTime()])).toEqual([
      ["ann", "active", "wait", now.getTime() + DAY],
      ["bob", "active", "wait", now.getTime() + DAY],
    ]);
    expect(smtp.received).toHaveLength(0);

    await advance(2 * HOUR);
    await track("bob", "tariff_result_viewed");
    // 23 h 59 min: still waiting.
    await advance(DAY - 2 * HOUR - 60_000);
    expect(smtp.received).toHaveLength(0);
    await advance(60_000);
    expect(mailsTo("ann@example.com")).toHaveLength(1);
    expect(mailsTo("ann@example.com")[0]!.raw).toContain("Subject: Your Flex 12 analysis, Ann");
    expect(mailsTo("bob@example.com")).toHaveLength(0);
    rows = await enrollmentsOf(journeyId);
    expect(rows.map((r) => [r.profile.userId, r.status, r.exitReason])).toEqual([
      ["ann", "completed", "completed"],
      ["bob", "completed", "completed"],
    ]);

    // Again, and again: nothing more is sent, no step is taken twice.
    await advance(DAY);
    await tick();
    expect(smtp.received).toHaveLength(1);
    const delivery = await t.db.delivery.findFirstOrThrow({ where: { journeyId } });
    expect(delivery).toMatchObject({ status: "sent", attempts: 1, nodeId: "send", recipient: "ann@example.com", idempotencyKey: `journey:${rows[0]!.id}:send:1` });

    // The trace: each step with its time, cause and the branch's explanation.
    const steps = await t.db.journeyStep.findMany({ where: { enrollmentId: rows[1]!.id }, orderBy: { step: "asc" } });
    expect(steps.map((s) => [s.step, s.cause, s.nodeId])).toEqual([
      [1, "enter", "wait"],
      [2, "timer", "skip"],
    ]);
    const branch = (steps[1]!.decisions as { nodeId: string; text: string; trace?: unknown }[]).find((d) => d.nodeId === "seen")!;
    expect(branch).toMatchObject({ text: "Saw the result: yes.", trace: expect.anything() });

    // Per-exit counts for the canvas.
    const counts = await t.db.journeyExitCount.groupBy({ by: ["nodeId", "exit"], where: { journeyId }, _sum: { count: true } });
    const byExit = Object.fromEntries(counts.map((c) => [`${c.nodeId}.${c.exit}`, Number(c._sum.count)]));
    expect(byExit).toEqual({ "trigger.next": 2, "wait.next": 2, "seen.yes": 1, "seen.else": 1, "send.next": 1 });
  });

  it("duplicate and concurrent triggers enroll once; re-entry rules decide later entries", async () => {
    const never = await tariffJourney();
    await track("cy", "tariff_calculator_opened", {}, { email: "cy@example.com" });
    await track("cy", "tariff_calculator_opened");
    await tick();
    expect(await enrollmentsOf(never)).toHaveLength(1);

    // Concurrent: the same person enrolled from several transactions at once.
    const always = await publish("Always", [node({ id: "trigger", kind: "trigger", trigger: { type: "api" } }), node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "hours" } } }), node({ id: "x", kind: "exit" })], [edge("trigger", "w"), edge("w", "x")], { reentry: { mode: "always" } });
    const cy = await profileOf("cy");
    const [journey] = (await sqlTransaction(t.db, (tx) => liveJourneys(tx, [ws.workspace.id]))).filter((j) => j.id === always);
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => sqlTransaction(t.db, (tx) => enroll(tx, { journey: journey!, profileId: cy, now }))));
    expect(outcomes.filter((o) => o.enrolled)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.enrolled).map((o) => (o.enrolled ? "" : o.reason))).toEqual(Array(7).fill("inside"));
    await tick();
    await advance(HOUR);
    // "always": in again once the first enrollment ended.
    expect((await sqlTransaction(t.db, (tx) => enroll(tx, { journey: journey!, profileId: cy, now }))).enrolled).toBe(true);

    // "after 7 days": refused within the week, let in after it.
    const weekly = await publish("Weekly", [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "visit", filters: [] } }), node({ id: "x", kind: "exit" })], [edge("trigger", "x")], { reentry: { mode: "after", after: { amount: 7, unit: "days" } } });
    await track("cy", "visit");
    await tick();
    await advance(6 * DAY);
    await track("cy", "visit");
    await tick();
    expect(await enrollmentsOf(weekly)).toHaveLength(1);
    await advance(DAY);
    await track("cy", "visit");
    await tick();
    expect(await enrollmentsOf(weekly)).toHaveLength(2);
  });

  it("a correlation key lets one person in once per order; at least N times within T", async () => {
    const perOrder = await publish(
      "Per order",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "order_placed", filters: [], correlationKey: "properties.orderId" } }), node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "days" } } }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "w"), edge("w", "x")],
    );
    await track("dee", "order_placed", { orderId: "A" });
    await track("dee", "order_placed", { orderId: "B" });
    await track("dee", "order_placed", { orderId: "A" });
    await track("dee", "order_placed", {});
    await tick();
    expect((await enrollmentsOf(perOrder)).map((e) => e.correlationKey).sort()).toEqual(["A", "B"]);

    const thrice = await publish(
      "Three times",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "tariff_calculator_opened", filters: [], count: { atLeast: 3, within: { amount: 1, unit: "hours" } } } }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "x")],
    );
    await track("eve", "tariff_calculator_opened");
    await advance(20 * 60_000);
    await track("eve", "tariff_calculator_opened");
    await advance(50 * 60_000);
    // The first one is now more than an hour old: two within the hour.
    await track("eve", "tariff_calculator_opened");
    await tick();
    expect(await enrollmentsOf(thrice)).toHaveLength(0);
    await advance(60_000);
    await track("eve", "tariff_calculator_opened");
    await tick();
    expect(await enrollmentsOf(thrice)).toHaveLength(1);
  });

  it("an event wait: the event wins when it comes first, the timeout when it is due first — once", async () => {
    const journeyId = await publish(
      "Wait for the result",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "signup", filters: [] } }),
        node({ id: "w", kind: "wait", wait: { type: "event", event: "activated", filters: [], timeout: { amount: 2, unit: "days" } } }),
        node({ id: "yes", kind: "exit" }),
        node({ id: "no", kind: "exit" }),
      ],
      [edge("trigger", "w"), edge("w", "yes", "event"), edge("w", "no", "timeout")],
    );
    await track("fay", "signup");
    await track("gus", "signup");
    await tick();
    await advance(DAY);
    await track("fay", "activated");
    await tick();
    await advance(DAY);
    // Gus's timeout is due now; his event arrives after it was due, before the worker looked: the timer wins.
    now = new Date(now.getTime() + 1);
    await track("gus", "activated");
    await tick();
    const rows = await enrollmentsOf(journeyId);
    const path = async (id: string) => (await t.db.journeyStep.findMany({ where: { enrollmentId: id }, orderBy: { step: "asc" } })).map((s) => `${s.cause}→${s.nodeId}`);
    expect(rows.map((r) => [r.profile.userId, r.status])).toEqual([
      ["fay", "completed"],
      ["gus", "completed"],
    ]);
    expect(await path(rows[0]!.id)).toEqual(["enter→w", "event→yes"]);
    expect(await path(rows[1]!.id)).toEqual(["enter→w", "timer→no"]);
  });

  it("a goal ends the enrollment as a conversion, also while waiting; after the end it still counts within the window", async () => {
    const journeyId = await tariffJourney({ goal: { type: "event", event: "contract_signed", filters: [], window: { amount: 3, unit: "days" } } });
    await track("hal", "tariff_calculator_opened", {}, { email: "hal@example.com" });
    await track("ida", "tariff_calculator_opened", {}, { email: "ida@example.com" });
    await tick();
    await advance(HOUR);
    await track("hal", "contract_signed");
    await tick();
    let rows = await enrollmentsOf(journeyId);
    expect(rows.map((r) => [r.profile.userId, r.status, r.exitReason, r.convertedAt?.getTime() ?? null])).toEqual([
      ["hal", "converted", "goal", now.getTime()],
      ["ida", "active", null, null],
    ]);
    await advance(DAY);
    expect(mailsTo("ida@example.com")).toHaveLength(1);
    expect(mailsTo("hal@example.com")).toHaveLength(0);
    await advance(DAY);
    await track("ida", "contract_signed");
    await tick();
    rows = await enrollmentsOf(journeyId);
    expect(rows[1]).toMatchObject({ status: "completed", convertedAt: now });
  });

  it("a webhook answering 500, then 200, is one delivery sent twice with one Idempotency-Key; a permanent failure is dead-lettered and can be retried", async () => {
    const journeyId = await publish(
      "Hook",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "ping", filters: [] } }), node({ id: "hook", kind: "webhook", channelId: webhookChannel, templateId: webhookTemplate }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "hook"), edge("hook", "x")],
    );
    hooks.reply({ status: 500, body: "busy" });
    await track("ivy", "ping");
    await tick();
    let delivery = await t.db.delivery.findFirstOrThrow({ where: { journeyId } });
    expect(delivery).toMatchObject({ status: "queued", attempts: 1, reason: expect.stringContaining("Attempt 1 failed") });
    await advance(30_000);
    delivery = await t.db.delivery.findFirstOrThrow({ where: { journeyId } });
    expect(delivery).toMatchObject({ status: "sent", attempts: 2 });
    expect(hooks.requests.map((r) => [r.headers["idempotency-key"], r.text])).toEqual([
      [delivery.id, '{"user":"ivy"}'],
      [delivery.id, '{"user":"ivy"}'],
    ]);

    hooks.handle(() => ({ status: 400, body: "bad request" }));
    await track("jon", "ping");
    await tick();
    const failed = await t.db.delivery.findFirstOrThrow({ where: { journeyId, profile: { userId: "jon" } } });
    expect(failed).toMatchObject({ status: "failed", attempts: 1, reason: "The endpoint answered 400 Bad Request: bad request." });
    hooks.handle(() => ({ status: 200, body: "ok" }));
    expect(await retryJourneySend(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: failed.id })).toEqual({ id: failed.id, status: "queued" });
    await tick();
    expect(await t.db.delivery.findUniqueOrThrow({ where: { id: failed.id } })).toMatchObject({ status: "sent" });
  });

  it("a send that fails for good with “exit” takes the person out of the journey", async () => {
    const journeyId = await publish(
      "Strict",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "ping", filters: [] } }),
        node({ id: "hook", kind: "send", channel: "webhook", templateId: webhookTemplate, onFailure: "exit" }),
        node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "days" } } }),
        node({ id: "x", kind: "exit" }),
      ],
      [edge("trigger", "hook"), edge("hook", "w"), edge("w", "x")],
    );
    hooks.handle(() => ({ status: 422, body: "no" }));
    await track("kim", "ping");
    await tick();
    const [row] = await enrollmentsOf(journeyId);
    expect(row).toMatchObject({ status: "exited", exitReason: "send_failed" });
    const last = await t.db.journeyStep.findFirstOrThrow({ where: { enrollmentId: row!.id }, orderBy: { step: "desc" } });
    expect(last).toMatchObject({ cause: "send_failed" });

    // Also when it fails before any provider is called (no SMS channel connected).
    const sms = await createTemplate(t.db, { workspaceId: ws.workspace.id, actor: actor(), name: "Text", channel: "sms", content: { channel: "sms", subscriptionGroupId: null, text: "Hi" } });
    const noChannel = await publish(
      "No channel",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "text_me", filters: [] } }),
        node({ id: "text", kind: "send", channel: "sms", templateId: sms.id, onFailure: "exit" }),
        node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "days" } } }),
        node({ id: "x", kind: "exit" }),
      ],
      [edge("trigger", "text"), edge("text", "w"), edge("w", "x")],
    );
    await track("kim", "text_me", {}, { phone: "+4915112345678" });
    await tick();
    expect(await t.db.delivery.findFirstOrThrow({ where: { journeyId: noChannel } })).toMatchObject({ status: "failed", reason: expect.stringContaining("No SMS channel is connected") });
    expect((await enrollmentsOf(noChannel))[0]).toMatchObject({ status: "exited", exitReason: "send_failed" });
  });

  it("recovery after a worker stopped mid-send: a send whose provider was never called goes out once; an email whose call had begun becomes unknown and is never sent twice", async () => {
    const journeyId = await tariffJourney();
    await track("lea", "tariff_calculator_opened", {}, { email: "lea@example.com" });
    await track("lou", "tariff_calculator_opened", {}, { email: "lou@example.com" });
    await tick();
    now = new Date(now.getTime() + DAY);
    await stepDue(t.db, { clock });
    const long = new Date(Date.now() - 10 * 60_000);
    // As if a worker had claimed both and died: before calling the provider for Lea (next_attempt_at still set), during the call for Lou.
    await t.db.delivery.updateMany({ where: { journeyId, profile: { userId: "lea" } }, data: { status: "sending", updatedAt: long } });
    await t.db.delivery.updateMany({ where: { journeyId, profile: { userId: "lou" } }, data: { status: "sending", nextAttemptAt: null, attempts: 1, updatedAt: long } });
    // Not yet: a send in progress for less than the wait is left alone.
    expect(await recoverSending(t.db, { olderThanMs: 20 * 60_000 })).toEqual({ requeued: 0, unknown: 0 });
    expect(await recoverSending(t.db, { olderThanMs: 120_000 })).toEqual({ requeued: 1, unknown: 1 });
    await tick();
    expect(smtp.received.map((m) => m.to[0])).toEqual(["lea@example.com"]);
    expect(await t.db.delivery.findFirstOrThrow({ where: { journeyId, profile: { userId: "lea" } } })).toMatchObject({ status: "sent", attempts: 1 });
    expect(await t.db.delivery.findFirstOrThrow({ where: { journeyId, profile: { userId: "lou" } } })).toMatchObject({ status: "unknown", reason: expect.stringContaining("cannot arrive twice") });
  });

  it("pause holds everyone where they are and sends nothing; resume goes on; archive with “exit everyone” ends them", async () => {
    const journeyId = await tariffJourney();
    await track("max", "tariff_calculator_opened", {}, { email: "max@example.com" });
    await track("ned", "tariff_calculator_opened", {}, { email: "ned@example.com" });
    await tick();
    await setJourneyStatus(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: journeyId, action: "pause" });
    await advance(2 * DAY);
    expect(smtp.received).toHaveLength(0);
    expect((await enrollmentsOf(journeyId)).map((r) => r.nodeId)).toEqual(["wait", "wait"]);
    // New triggers while paused do not enroll.
    await track("oz", "tariff_calculator_opened", {}, { email: "oz@example.com" });
    await tick();
    expect(await enrollmentsOf(journeyId)).toHaveLength(2);
    await setJourneyStatus(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: journeyId, action: "resume" });
    await tick();
    expect(smtp.received.map((m) => m.to[0]).sort()).toEqual(["max@example.com", "ned@example.com"]);

    const second = await tariffJourney().catch(() => null);
    expect(second).toBeNull(); // the name is taken: a second journey needs its own name
    const other = await publish("Other", [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "go", filters: [] } }), node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "days" } } }), node({ id: "x", kind: "exit" })], [edge("trigger", "w"), edge("w", "x")]);
    await track("max", "go");
    await tick();
    await setJourneyStatus(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: other, action: "archive", exitEveryone: true });
    expect(await enrollmentsOf(other)).toMatchObject([{ status: "exited", exitReason: "archived", nodeId: null }]);
  });

  it("a cap on people inside at once is kept under concurrent enrollments", async () => {
    const capped = await publish(
      "Capped",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "api" } }), node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "days" } } }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "w"), edge("w", "x")],
      { maxConcurrent: 3 },
    );
    for (const u of ["p1", "p2", "p3", "p4", "p5", "p6"]) await track(u, "hello");
    const ids = await Promise.all(["p1", "p2", "p3", "p4", "p5", "p6"].map(profileOf));
    const [journey] = (await sqlTransaction(t.db, (tx) => liveJourneys(tx, [ws.workspace.id]))).filter((j) => j.id === capped);
    const outcomes = await Promise.all(ids.map((profileId) => sqlTransaction(t.db, (tx) => enroll(tx, { journey: journey!, profileId, now }))));
    expect(outcomes.filter((o) => o.enrolled)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.enrolled && o.reason === "capacity")).toHaveLength(3);
    await tick();
    await advance(DAY);
    // They finished: places are free again, for one who was turned away.
    const waiting = ids[outcomes.findIndex((o) => !o.enrolled)]!;
    expect((await sqlTransaction(t.db, (tx) => enroll(tx, { journey: journey!, profileId: waiting, now }))).enrolled).toBe(true);
    const state = (await t.db.journeyEnrollment.findFirstOrThrow({ where: { journeyId: capped, status: "active" } })).state as unknown as EnrollmentState;
    expect(state.at).toBeNull(); // not stepped yet: due now
  });

  /** A marketing email template (its group: opt-out, marketing) and the group's id. */
  async function marketingTemplate(name: string) {
    const group = await t.db.subscriptionGroup.create({ data: { workspaceId: ws.workspace.id, name: `${name} group`, channel: "email", mode: "opt_out", purpose: "marketing" } });
    const content: TemplateContent = { channel: "email", subscriptionGroupId: group.id, subject: `${name}`, preheader: "", html: "<p>Offer</p>", text: "" };
    const template = await createTemplate(t.db, { workspaceId: ws.workspace.id, actor: actor(), name, channel: "email", content });
    return { templateId: template.id, groupId: group.id };
  }
  const promo = (name: string, templateId: string, settings: Partial<JourneySettings> = {}) =>
    publish(
      name,
      [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "promo", filters: [] } }), node({ id: "send", kind: "send", channel: "email", templateId, onFailure: "continue" }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "send"), edge("send", "x")],
      { reentry: { mode: "always" }, ...settings },
    );
  const deliveriesOf = (journeyId: string) => t.db.delivery.findMany({ where: { journeyId }, orderBy: { createdAt: "asc" }, select: { status: true, reason: true, nextAttemptAt: true, profile: { select: { userId: true } } } });

  it("a frequency cap is shared by two journeys: the higher priority takes the last place; the person's next day frees it", async () => {
    await t.db.workspace.update({ where: { id: ws.workspace.id }, data: { frequencyCaps: [{ channel: "email", purpose: "marketing", max: 1, days: 1 }] } });
    const { templateId } = await marketingTemplate("Winter sale");
    const low = await promo("Low priority", templateId, { priority: 2 });
    const high = await promo("High priority", templateId, { priority: 8 });
    // 10:00 in New York.
    now = new Date("2027-01-15T15:00:00Z");
    await track("pat", "promo", {}, { email: "pat@example.com", timezone: "America/New_York" });
    await tick();
    expect(mailsTo("pat@example.com")).toHaveLength(1);
    expect(await deliveriesOf(high)).toMatchObject([{ status: "sent" }]);
    expect(await deliveriesOf(low)).toMatchObject([{ status: "suppressed", reason: "Not sent: frequency cap reached (at most 1 marketing email message per 1 day, counted in America/New_York)." }]);
    // 23:30 the same day in New York (04:30 UTC the next day): still capped.
    now = new Date("2027-01-16T04:30:00Z");
    await track("pat", "promo");
    await tick();
    expect(mailsTo("pat@example.com")).toHaveLength(1);
    // 00:30 the next day in New York: one more.
    now = new Date("2027-01-16T05:30:00Z");
    await track("pat", "promo");
    await tick();
    expect(mailsTo("pat@example.com")).toHaveLength(2);
    // A transactional message is not counted by a marketing cap.
    expect((await t.db.delivery.findMany({ where: { profile: { userId: "pat" }, status: "sent" } })).length).toBe(2);
  });

  it("quiet hours hold a message until they end in each person's time zone (or skip it); consent is read at send time", async () => {
    const { templateId, groupId } = await marketingTemplate("Evening offer");
    const held = await promo("Held", templateId, { quietHours: { start: "21:00", end: "08:00", mode: "hold" } });
    // 03:00 UTC: 22:00 in New York, 04:00 in Berlin — quiet for both, ending at different instants.
    now = new Date("2027-01-15T03:00:00Z");
    await track("nyc", "promo", {}, { email: "nyc@example.com", timezone: "America/New_York" });
    await track("ber", "promo", {}, { email: "ber@example.com", timezone: "Europe/Berlin" });
    await tick();
    expect(smtp.received).toHaveLength(0);
    const waiting = await deliveriesOf(held);
    expect(waiting.map((d) => [d.profile!.userId, d.status, d.nextAttemptAt!.toISOString()]).sort()).toEqual([
      ["ber", "queued", "2027-01-15T07:00:00.000Z"],
      ["nyc", "queued", "2027-01-15T13:00:00.000Z"],
    ]);
    expect(waiting[0]!.reason).toMatch(/^Held for quiet hours \(21:00–08:00 (America\/New_York|Europe\/Berlin)\) until /);
    now = new Date("2027-01-15T07:00:00Z");
    await tick();
    expect(smtp.received.map((m) => m.to[0])).toEqual(["ber@example.com"]);
    now = new Date("2027-01-15T13:00:00Z");
    await tick();
    expect(smtp.received.map((m) => m.to[0])).toEqual(["ber@example.com", "nyc@example.com"]);

    const skip = await promo("Skipped", templateId, { quietHours: { start: "21:00", end: "08:00", mode: "skip" } });
    now = new Date("2027-01-16T03:00:00Z");
    await track("nyc", "promo");
    await tick();
    expect((await deliveriesOf(skip))[0]).toMatchObject({ status: "suppressed", reason: expect.stringContaining("quiet hours (21:00–08:00 America/New_York); this journey skips messages then") });

    // Unsubscribed between trigger and send: suppressed at send time, with the reason.
    now = new Date("2027-01-16T12:00:00Z");
    await track("ber", "promo");
    await drain(t.db, journeysConsumer(t.db, clock));
    await stepDue(t.db, { clock });
    const ber = await profileOf("ber");
    await t.db.subscriptionState.create({ data: { profileId: ber, groupId, subscribed: false, updatedAt: now } });
    await tick();
    const last = (await deliveriesOf(held)).at(-1)!;
    expect(last).toMatchObject({ status: "suppressed", reason: expect.stringContaining("Unsubscribed from “Evening offer group”") });
  });

  it("segment entry triggers; an update step sets a trait; the holdout arm is recorded and sent nothing; a schedule enrolls a segment's members", async () => {
    const segment = await createSegment(t.db, {
      workspaceId: ws.workspace.id,
      actor: actor(),
      name: "Pro plan",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "pro" } }] } } as never,
    });
    await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now });
    const journeyId = await publish(
      "Welcome to Pro",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "segment_entered", segmentId: segment.id } }),
        node({ id: "mark", kind: "update", trait: "welcomed", op: "increment", value: 1 }),
        node({ id: "split", kind: "split", arms: [{ id: "hold", name: "Holdout", percent: 100, holdout: true }, { id: "treat", name: "Messages", percent: 0, holdout: false }] }),
        node({ id: "send", kind: "send", channel: "email", templateId: emailTemplate, onFailure: "continue" }),
        node({ id: "x", kind: "exit" }),
      ],
      [edge("trigger", "mark"), edge("mark", "split"), edge("split", "send", "hold"), edge("split", "send", "treat"), edge("send", "x")],
    );
    await track("quinn", "hello", {}, { email: "quinn@example.com", plan: "pro" });
    await tick();
    const [row] = await enrollmentsOf(journeyId);
    expect(row).toMatchObject({ status: "completed", holdout: true });
    expect((await t.db.profile.findFirstOrThrow({ where: { id: row!.profileId } })).traits).toMatchObject({ welcomed: 1, plan: "pro" });
    expect(await deliveriesOf(journeyId)).toMatchObject([{ status: "suppressed", reason: expect.stringContaining("holdout") }]);
    expect(smtp.received).toHaveLength(0);

    const weekly = await publish(
      "Weekly digest",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "schedule", segmentId: segment.id, schedule: { kind: "once", at: new Date(now.getTime() + HOUR).toISOString() } } }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "x")],
    );
    expect(await runSchedules(t.db, { clock })).toBe(0);
    now = new Date(now.getTime() + HOUR);
    expect(await runSchedules(t.db, { clock })).toBe(1);
    expect(await runSchedules(t.db, { clock })).toBe(0);
    expect((await enrollmentsOf(weekly)).map((e) => e.profile.userId)).toEqual(["quinn"]);
  });

  it("publishing with “move people to the new version” moves them at their next step, when the node they wait at is still there", async () => {
    const journeyId = await tariffJourney();
    await track("ray", "tariff_calculator_opened", {}, { email: "ray@example.com" });
    await tick();
    const journey = await t.db.journey.findUniqueOrThrow({ where: { id: journeyId } });
    const draft = ZJourneyDefinition.parse(journey.draft);
    // Version 2: after the wait, straight to the exit.
    draft.nodes = draft.nodes.filter((n) => !["seen", "send", "skip"].includes(n.id));
    draft.edges = draft.edges.filter((e) => e.from === "trigger").concat([edge("wait", "done")]);
    await t.db.journey.update({ where: { id: journeyId }, data: { draft: draft as never, revision: { increment: 1 } } });
    await publishJourney(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: journeyId, revision: journey.revision + 1, policy: "migrate" });
    await advance(DAY);
    const [row] = await enrollmentsOf(journeyId);
    expect(row).toMatchObject({ version: 2, status: "completed" });
    expect(smtp.received).toHaveLength(0);
    const steps = await t.db.journeyStep.findMany({ where: { enrollmentId: row!.id }, orderBy: { step: "asc" } });
    expect((steps[1]!.decisions as { text: string }[])[0]!.text).toBe("Moved to version 2 (published with “move people to the new version”).");
  });

  it("exit criteria are checked while people wait: the exit event takes them out before the next step, with the reason in the trace", async () => {
    const journeyId = await tariffJourney({ exitCriteria: { type: "event", event: "unsubscribed_all", filters: [] } });
    await track("sam", "tariff_calculator_opened", {}, { email: "sam@example.com" });
    await track("tia", "tariff_calculator_opened", {}, { email: "tia@example.com" });
    await tick();
    await advance(HOUR);
    await track("sam", "unsubscribed_all");
    await tick();
    await advance(DAY);
    const rows = await enrollmentsOf(journeyId);
    expect(rows.map((r) => [r.profile.userId, r.status, r.exitReason])).toEqual([
      ["sam", "exited", "exit_criteria"],
      ["tia", "completed", "completed"],
    ]);
    expect(smtp.received.map((m) => m.to[0])).toEqual(["tia@example.com"]);
    const last = await t.db.journeyStep.findFirstOrThrow({ where: { enrollmentId: rows[0]!.id }, orderBy: { step: "desc" } });
    expect(last).toMatchObject({ cause: "check", nodeId: "wait", decisions: [{ nodeId: "wait", text: "Meets the exit criteria (unsubscribed_all since entering)." }] });
  });

  it("a segment exit triggers; waits until 09:00 in each person's time zone, across the DST change", async () => {
    const segment = await createSegment(t.db, {
      workspaceId: ws.workspace.id,
      actor: actor(),
      name: "Active plan",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.plan", valueType: "string", operator: { op: "equals", value: "active" } }] } } as never,
    });
    await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now });
    const journeyId = await publish(
      "Cancelled",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "segment_exited", segmentId: segment.id } }),
        node({ id: "morning", kind: "wait", wait: { type: "time_of_day", time: "09:00", weekdays: [0, 1, 2, 3, 4, 5, 6] } }),
        node({ id: "send", kind: "send", channel: "email", templateId: emailTemplate, onFailure: "continue" }),
        node({ id: "x", kind: "exit" }),
      ],
      [edge("trigger", "morning"), edge("morning", "send"), edge("send", "x")],
    );
    // Saturday 24 Oct 2026, 20:00 UTC: the clocks in Berlin go back in the night (CEST → CET); New York's a week later.
    now = new Date("2026-10-24T20:00:00Z");
    await track("uma", "hello", {}, { email: "uma@example.com", timezone: "Europe/Berlin", plan: "active" });
    await track("vic", "hello", {}, { email: "vic@example.com", timezone: "America/New_York", plan: "active" });
    await tick();
    expect(await enrollmentsOf(journeyId)).toHaveLength(0);
    await track("uma", "hello", {}, { plan: "cancelled" });
    await track("vic", "hello", {}, { plan: "cancelled" });
    await tick();
    const rows = await enrollmentsOf(journeyId);
    // 09:00 CET on 25 Oct = 08:00 UTC; 09:00 EDT on 25 Oct = 13:00 UTC.
    expect(rows.map((r) => [r.profile.userId, r.nodeId, r.wakeAt?.toISOString()])).toEqual([
      ["uma", "morning", "2026-10-25T08:00:00.000Z"],
      ["vic", "morning", "2026-10-25T13:00:00.000Z"],
    ]);
    now = new Date("2026-10-25T08:00:00Z");
    await tick();
    expect(smtp.received.map((m) => m.to[0])).toEqual(["uma@example.com"]);
    now = new Date("2026-10-25T13:00:00Z");
    await tick();
    expect(smtp.received.map((m) => m.to[0])).toEqual(["uma@example.com", "vic@example.com"]);
  });

  it("a trait update Postgres refuses (a path through a list) is said in the trace and does not hold up anyone else", async () => {
    const journeyId = await publish(
      "Tagger",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "tag_me", filters: [] } }),
        node({ id: "tag", kind: "update", trait: "tags.first", op: "set", value: "yes" }),
        node({ id: "x", kind: "exit" }),
      ],
      [edge("trigger", "tag"), edge("tag", "x")],
    );
    await track("wes", "tag_me", {}, { tags: ["a", "b"] });
    await track("xia", "tag_me", {}, { tags: { old: true } });
    await track("yul", "tag_me");
    await tick();
    const rows = await enrollmentsOf(journeyId);
    expect(rows.map((r) => [r.profile.userId, r.status])).toEqual([
      ["wes", "completed"],
      ["xia", "completed"],
      ["yul", "completed"],
    ]);
    // Absent parents are made.
    expect((await t.db.profile.findFirstOrThrow({ where: { id: rows[2]!.profileId } })).traits).toMatchObject({ tags: { first: "yes" } });
    expect((await t.db.profile.findFirstOrThrow({ where: { id: rows[0]!.profileId } })).traits).toMatchObject({ tags: ["a", "b"] });
    expect((await t.db.profile.findFirstOrThrow({ where: { id: rows[1]!.profileId } })).traits).toMatchObject({ tags: { old: true, first: "yes" } });
    const step = await t.db.journeyStep.findFirstOrThrow({ where: { enrollmentId: rows[0]!.id } });
    expect(JSON.stringify(step.decisions)).toContain("Could not set tags.first: tags is a list, not a group of traits. The journey goes on.");
  });

  it("a send that cannot even be prepared (an in-app title that renders empty) fails alone with the reason; the others in its batch go out", async () => {
    await saveChannel(t.db, { workspaceId: ws.workspace.id, actor: actor(), name: "In-app", config: { kind: "inapp", settings: {} } as never });
    const inapp = await createTemplate(t.db, {
      workspaceId: ws.workspace.id,
      actor: actor(),
      name: "Card",
      channel: "inapp",
      content: { channel: "inapp", subscriptionGroupId: null, title: "{{ person.headline | default: '' }}", body: "Hello", buttonLabel: "", buttonUrl: "" },
    });
    const journeyId = await publish(
      "Cards",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "card", filters: [] } }), node({ id: "send", kind: "send", channel: "inapp", templateId: inapp.id, onFailure: "continue" }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "send"), edge("send", "x")],
    );
    await track("yan", "card", {}, { headline: "" });
    await track("zoe", "card", {}, { headline: "Your tariff analysis" });
    await tick();
    const deliveries = await t.db.delivery.findMany({ where: { journeyId }, select: { status: true, reason: true, profile: { select: { userId: true } } }, orderBy: { profile: { userId: "asc" } } });
    expect(deliveries).toEqual([
      { status: "failed", reason: expect.stringContaining("The message could not be prepared: The in-app message cannot be kept: title"), profile: { userId: "yan" } },
      { status: "sent", reason: null, profile: { userId: "zoe" } },
    ]);
  });

  it("a paused journey's backlog never fills the batches of live ones; archive with “exit everyone” writes each exit to the trace", async () => {
    const wait = (name: string, event: string) =>
      publish(name, [node({ id: "trigger", kind: "trigger", trigger: { type: "event", event, filters: [] } }), node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "hours" } } }), node({ id: "x", kind: "exit" })], [edge("trigger", "w"), edge("w", "x")]);
    const paused = await wait("Paused backlog", "backlog");
    const live = await wait("Live one", "live_one");
    for (let i = 0; i < 12; i++) await track(`pb-${i}`, "backlog");
    await tick();
    await setJourneyStatus(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: paused, action: "pause" });
    now = new Date(now.getTime() + 2 * HOUR);
    await track("lv", "live_one");
    await drain(t.db, journeysConsumer(t.db, clock));
    // Twelve paused people are due before the live one; a batch of five still takes the live one.
    expect(await stepDue(t.db, { clock, batch: 5 })).toMatchObject({ taken: 1 });
    expect((await enrollmentsOf(live))[0]).toMatchObject({ nodeId: "w" });

    await setJourneyStatus(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: paused, action: "archive", exitEveryone: true });
    const ended = await enrollmentsOf(paused);
    expect(new Set(ended.map((e) => e.status))).toEqual(new Set(["exited"]));
    const last = await t.db.journeyStep.findFirstOrThrow({ where: { enrollmentId: ended[0]!.id }, orderBy: { step: "desc" } });
    expect(last).toMatchObject({ cause: "archive", step: 2, decisions: [{ nodeId: null, text: "The journey was archived with “exit everyone”: they left it." }] });
  });

  it("a schedule over a big segment enrolls in chunks; paused over its time, it runs after resuming; missed recurring runs are not replayed", async () => {
    const segment = await createSegment(t.db, {
      workspaceId: ws.workspace.id,
      actor: actor(),
      name: "Digest readers",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.digest", valueType: "boolean", operator: { op: "equals", value: true } }] } } as never,
    });
    const items = Array.from({ length: 1_205 }, (_, i) => {
      const parsed = parseMessage({ type: "identify", userId: `dg-${i}`, traits: { digest: true }, messageId: `dg-${i}` });
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: now };
    });
    await ingestBatch(t.db, { workspaceId: ws.workspace.id, items });
    await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now });
    now = new Date("2027-02-01T08:00:00Z"); // a Monday
    const digest = await publish(
      "Daily digest",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "schedule", segmentId: segment.id, schedule: { kind: "recurring", rrule: "FREQ=DAILY;BYHOUR=9" } } }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "x")],
      { reentry: { mode: "always" } },
    );
    expect(await runSchedules(t.db, { clock })).toBe(0);
    expect(await t.db.journeySchedule.findUniqueOrThrow({ where: { journeyId: digest } })).toMatchObject({ nextRunAt: new Date("2027-02-01T09:00:00Z"), runCursor: null });
    await setJourneyStatus(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: digest, action: "pause" });
    now = new Date("2027-02-01T09:00:00Z");
    expect(await runSchedules(t.db, { clock })).toBe(0);
    await setJourneyStatus(t.db, { workspaceId: ws.workspace.id, actor: actor(), id: digest, action: "resume" });
    // Three days later: one run for everyone (in chunks of 1,000), then the next one ahead — not three runs.
    now = new Date("2027-02-04T10:00:00Z");
    expect(await runSchedules(t.db, { clock })).toBe(1_205);
    expect(await t.db.journeySchedule.findUniqueOrThrow({ where: { journeyId: digest } })).toMatchObject({ nextRunAt: new Date("2027-02-05T09:00:00Z"), runCursor: null, lastRunAt: now });
    expect(await runSchedules(t.db, { clock })).toBe(0);
    expect(await t.db.journeyEnrollment.count({ where: { journeyId: digest } })).toBe(1_205);
  });

  it("a person deleted (or merged away) between entering a segment and the journeys consumer reading it enrolls nowhere, and the feed goes on", async () => {
    const segment = await createSegment(t.db, {
      workspaceId: ws.workspace.id,
      actor: actor(),
      name: "VIP",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.vip", valueType: "boolean", operator: { op: "equals", value: true } }] } } as never,
    });
    await refreshSegment(t.db, { workspaceId: ws.workspace.id, segmentId: segment.id, now });
    const journeyId = await publish(
      "VIP welcome",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "segment_entered", segmentId: segment.id } }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "x")],
    );
    await track("gdpr-1", "hello", {}, { vip: true });
    await track("vip-2", "hello", {}, { vip: true });
    await drain(t.db, segmentsConsumer(t.db, clock));
    await deletePerson(t.db, { workspaceId: ws.workspace.id, actor: actor(), profileId: await profileOf("gdpr-1") });
    await tick();
    expect((await enrollmentsOf(journeyId)).map((e) => e.profile.userId)).toEqual(["vip-2"]);
    const cursor = await t.db.$queryRaw<{ behind: bigint }[]>`SELECT count(*) AS behind FROM change_feed f, feed_cursors c WHERE c.consumer = 'journeys' AND (f.xid, f.id) > (c.xid, c.position)`;
    expect(Number(cursor[0]!.behind)).toBe(0);
  });

  it("a visitor signing in while the known person is being enrolled in the same journey: the merge waits for it, the message is stored, one active enrollment", async () => {
    const journeyId = await publish(
      "Welcome",
      [node({ id: "trigger", kind: "trigger", trigger: { type: "api" } }), node({ id: "w", kind: "wait", wait: { type: "duration", duration: { amount: 1, unit: "days" } } }), node({ id: "x", kind: "exit" })],
      [edge("trigger", "w"), edge("w", "x")],
      { reentry: { mode: "always" } },
    );
    // One message at a time (ingestMessage): a failing merge throws here, where a batch would quietly store its messages again one by one.
    const ingest = async (raw: Record<string, unknown>) => {
      const parsed = parseMessage({ messageId: `m-${++seq}`, timestamp: now.toISOString(), ...raw });
      if (!parsed.ok) throw new Error(parsed.error);
      return ingestMessage(t.db, { workspaceId: ws.workspace.id, message: parsed.message, receivedAt: now });
    };
    await ingest({ type: "track", anonymousId: "anon-7", event: "page_viewed" });
    await ingest({ type: "identify", userId: "kim", traits: { email: "kim@example.com" } });
    const anonId = (await t.db.profileIdentity.findFirstOrThrow({ where: { workspaceId: ws.workspace.id, kind: "anonymous_id", value: "anon-7" } })).profileId;
    const kim = await profileOf("kim");
    const [journey] = (await sqlTransaction(t.db, (tx) => liveJourneys(tx, [ws.workspace.id]))).filter((j) => j.id === journeyId);
    expect((await sqlTransaction(t.db, (tx) => enroll(tx, { journey: journey!, profileId: anonId, now }))).enrolled).toBe(true);

    // Kim is being enrolled (not committed yet) when the visitor signs in as Kim.
    let merge: Promise<unknown> | null = null;
    let committed = false;
    let mergedBeforeCommit = false;
    await sqlTransaction(t.db, async (tx) => {
      expect((await enroll(tx, { journey: journey!, profileId: kim, now })).enrolled).toBe(true);
      merge = ingest({ type: "identify", userId: "kim", anonymousId: "anon-7" }).then((r) => {
        mergedBeforeCommit = !committed;
        return r;
      });
      await new Promise((r) => setTimeout(r, 300));
    });
    committed = true;
    expect(await merge).toBe("stored");
    expect(mergedBeforeCommit).toBe(false);
    expect(await t.db.profile.count({ where: { id: anonId } })).toBe(0);
    const rows = await enrollmentsOf(journeyId);
    expect(rows.map((r) => [r.profile.userId, r.status, r.exitReason])).toEqual(
      expect.arrayContaining([
        ["kim", "active", null],
        ["kim", "exited", "merged"],
      ]),
    );
    expect(rows).toHaveLength(2);
  });

  it("an awaited event is taken even when a goal check is already pending for the person", async () => {
    const journeyId = await publish(
      "Activation",
      [
        node({ id: "trigger", kind: "trigger", trigger: { type: "event", event: "signup", filters: [] } }),
        node({ id: "w", kind: "wait", wait: { type: "event", event: "activated", filters: [], timeout: { amount: 2, unit: "days" } } }),
        node({ id: "yes", kind: "exit" }),
        node({ id: "no", kind: "exit" }),
      ],
      [edge("trigger", "w"), edge("w", "yes", "event"), edge("w", "no", "timeout")],
      { goal: { type: "event", event: "purchase", filters: [{ path: "total", valueType: "number", operator: { op: "gte", value: 100 } }], window: { amount: 7, unit: "days" } } as never },
    );
    await track("ava", "signup");
    await tick();
    await advance(HOUR);
    // A purchase too small for the goal: a check is due; the awaited event comes before the stepper looks.
    await track("ava", "purchase", { total: 5 });
    await drain(t.db, journeysConsumer(t.db, clock));
    await track("ava", "activated");
    await tick();
    const [row] = await enrollmentsOf(journeyId);
    expect(row).toMatchObject({ status: "completed", exitReason: "completed" });
    expect((await t.db.journeyStep.findMany({ where: { enrollmentId: row!.id }, orderBy: { step: "asc" } })).map((st) => `${st.cause}→${st.nodeId}`)).toEqual(["enter→w", "event→yes"]);
  });
});

