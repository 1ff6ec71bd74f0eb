import path from "node:path";
import pg from "pg";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { startHttpSink, type HttpSink } from "../server/test/http-sink";
import { startSmtpSink } from "../server/test/smtp-sink";
import { ADMIN, SCREENSHOTS, signIn, snap } from "./helpers";

/**
 * "Seeing why" with the app's own worker running: a journey with a branch is published,
 * events arrive through the tracking API, the runtime enrolls, decides and sends (to an SMTP
 * server on this machine). Then the person's Journeys tab shows the trace — the branch case
 * with the evaluator's explanation, the sent email — and the journey page answers "why did
 * this person not get this message?" for one who went the other way and one who never
 * entered. A holdout journey shows its lift; a failed webhook send is retried from the
 * dead-letter list on the Deliveries page, filtered by its journey. Runs after
 * foundation.spec.ts (the admin exists); removes its journeys and channels at the end, as
 * later specs count them.
 */
test.describe.configure({ mode: "serial" });
test.setTimeout(120_000);

let page: Page;
let db: pg.Client;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let hooks: HttpSink;
let writeKey: string;
let emailTemplate: string;
let nudgeId: string;
const journeyIds: string[] = [];
const channelIds: string[] = [];

const NUDGE = "Calculator nudge (why e2e)";
const DOMAIN = "why.test";

/** A tRPC mutation as the signed-in page (superjson's `{ json }` envelope); fails the test with the server's answer otherwise. */
async function mutate<T>(path: string, input: unknown): Promise<T> {
  const res = await page.request.post(`/api/trpc/${path}`, { data: { json: input } });
  const body = await res.text();
  expect(res.status(), `${path}: ${body}`).toBe(200);
  return (JSON.parse(body) as { result: { data: { json: T } } }).result.data.json;
}

/** Tracking API calls with the workspace's write key, as a server-side Segment library sends them. */
async function batch(request: APIRequestContext, messages: Record<string, unknown>[]) {
  const res = await request.post("/api/v1/batch", { headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` }, data: { batch: messages } });
  expect(res.status(), await res.text()).toBe(200);
  expect(((await res.json()) as { errors?: unknown[] }).errors ?? []).toEqual([]);
}

/** Where the person is in the journey now (a node id, or how it ended), for expect.poll. */
async function whereIs(journeyId: string, userId: string): Promise<string | null> {
  const { rows } = await db.query<{ status: string; node_id: string | null }>(
    `SELECT e.status, e.node_id FROM journey_enrollments e JOIN profiles p ON p.id = e.profile_id WHERE e.journey_id = $1 AND p.user_id = $2 ORDER BY e.entered_at DESC LIMIT 1`,
    [journeyId, userId],
  );
  return rows[0] ? (rows[0].status === "active" ? rows[0].node_id : rows[0].status) : null;
}

async function profileIdOf(userId: string): Promise<string> {
  const { rows } = await db.query<{ id: string }>(`SELECT id FROM profiles WHERE user_id = $1`, [userId]);
  expect(rows).toHaveLength(1);
  return rows[0]!.id;
}

/** Creates, saves and publishes a journey through the procedures the canvas calls; returns its id. */
async function publishJourney(name: string, draft: Record<string, unknown>): Promise<string> {
  const journey = await mutate<{ id: string; revision: number }>("journeys.create", { name });
  journeyIds.push(journey.id);
  const saved = await mutate<{ revision: number; issues: unknown[] }>("journeys.saveDraft", { id: journey.id, revision: journey.revision, name, draft: { schemaVersion: 1, ...draft } });
  expect(saved.issues).toEqual([]);
  await mutate("journeys.publish", { id: journey.id, revision: saved.revision });
  return journey.id;
}

test.beforeAll(async ({ browser }) => {
  db = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await db.connect();
  smtp = await startSmtpSink({ user: "why", password: "why-e2e-password" });
  hooks = await startHttpSink();
  hooks.handle(() => ({ status: 200, body: "ok" }));
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signIn(page, ADMIN);
  writeKey = (await mutate<{ key: string }>("keys.create", { name: "Why e2e (write)", kind: "write" })).key;
  const channel = await mutate<{ id: string }>("channels.save", {
    name: "Why e2e SMTP",
    config: { kind: "email", settings: { host: "127.0.0.1", port: smtp.port, security: "none", user: "why", pool: false, senders: [{ name: "Acme Fitness", address: "hello@acme.test" }] } },
    secrets: { password: "why-e2e-password" },
  });
  channelIds.push(channel.id);
  emailTemplate = (await mutate<{ id: string }>("messages.create", { name: "Your tariff analysis", channel: "email" })).id;
  await mutate("messages.save", {
    id: emailTemplate,
    name: "Your tariff analysis",
    content: { channel: "email", subscriptionGroupId: null, subject: "Your tariff analysis, {{ person.first_name }}", preheader: "", html: "<p>Hi {{ person.first_name }}, here is your analysis.</p>", text: "" },
  });
});

test.afterAll(async () => {
  for (const id of journeyIds) await mutate("journeys.setStatus", { id, action: "archive", exitEveryone: true }).catch(() => {});
  // Gone altogether (there is no delete in the app): later specs count the journeys list, archived ones included.
  if (journeyIds.length > 0) await db?.query(`DELETE FROM journeys WHERE id = ANY($1::text[])`, [journeyIds]);
  for (const id of channelIds) await mutate("channels.delete", { id }).catch(() => {});
  await page?.context().close();
  await smtp?.close();
  await hooks?.close();
  await db?.end();
});

test("events through the tracking API run a journey with a branch; the profile's Journeys tab shows the trace, the branch explained and the email sent", async ({ request }) => {
  nudgeId = await publishJourney(NUDGE, {
    nodes: [
      { id: "trigger", kind: "trigger", position: { x: 0, y: 0 }, label: "Opened the calculator", trigger: { type: "event", event: "calculator_opened", filters: [] } },
      {
        id: "seen",
        kind: "branch",
        position: { x: 0, y: 140 },
        label: "Saw the result?",
        cases: [
          {
            id: "yes",
            name: "Saw the result",
            condition: { schemaVersion: 1, root: { type: "group", id: "g", op: "and", children: [{ type: "event", id: "e", event: "result_viewed", where: [], count: { op: "gte", value: 1 }, window: { kind: "last", amount: 1, unit: "days" } }] } },
          },
        ],
      },
      { id: "send", kind: "send", position: { x: 200, y: 280 }, label: "Email the analysis", channel: "email", templateId: emailTemplate, onFailure: "continue" },
      { id: "done", kind: "exit", position: { x: 200, y: 420 } },
      { id: "skip", kind: "exit", position: { x: -200, y: 280 } },
    ],
    edges: [
      { id: "e1", from: "trigger", exit: "next", to: "seen" },
      { id: "e2", from: "seen", exit: "yes", to: "skip" },
      { id: "e3", from: "seen", exit: "else", to: "send" },
      { id: "e4", from: "send", exit: "next", to: "done" },
    ],
    settings: { reentry: { mode: "never" } },
  });

  await batch(request, [
    { type: "identify", userId: "why-ann", traits: { email: `ann@${DOMAIN}`, first_name: "Ann" } },
    { type: "track", userId: "why-ann", event: "calculator_opened", properties: { tariff: "Flex 12" } },
    { type: "identify", userId: "why-bob", traits: { email: `bob@${DOMAIN}`, first_name: "Bob" } },
    { type: "track", userId: "why-bob", event: "result_viewed" },
    { type: "track", userId: "why-bob", event: "calculator_opened", properties: { tariff: "Basic" } },
    { type: "identify", userId: "why-cy", traits: { email: `cy@${DOMAIN}`, first_name: "Cy" } },
  ]);
  await expect.poll(() => whereIs(nudgeId, "why-ann"), { timeout: 30_000 }).toBe("completed");
  await expect.poll(() => whereIs(nudgeId, "why-bob"), { timeout: 30_000 }).toBe("completed");
  await expect.poll(() => smtp.received.map((m) => m.to[0]), { timeout: 30_000 }).toEqual([`ann@${DOMAIN}`]);

  // Ann's Journeys tab: the enrollment opens to its trace.
  await page.goto(`/profiles/${await profileIdOf("why-ann")}`);
  await page.getByRole("tab", { name: "Journeys" }).click();
  const row = page.getByTestId("profile-journey").filter({ hasText: NUDGE });
  const toggle = row.getByRole("button", { name: `Show the trace of ${NUDGE}` });
  await expect(toggle).toHaveAttribute("aria-expanded", "false");
  // Keyboard: focus the toggle and press Enter.
  await toggle.focus();
  await page.keyboard.press("Enter");
  await expect(row.getByRole("button", { name: `Hide the trace of ${NUDGE}` })).toHaveAttribute("aria-expanded", "true");
  const trace = row.getByTestId("enrollment-trace");
  await expect(trace).toContainText("Reached the end of the journey.");
  await expect(trace).toContainText("Entered on calculator_opened");
  await expect(trace).toContainText("Saw the result: no.");
  await expect(trace).toContainText("No case held: everyone else.");
  await expect(trace).toContainText("Send the email message.");
  const delivery = trace.getByTestId("trace-delivery");
  await expect(delivery).toContainText("Email the analysis");
  await expect(delivery).toContainText("sent");
  await expect(delivery).toContainText(`To ann@${DOMAIN}`);
  // The branch case, explained by the evaluator.
  await trace.getByText("Why", { exact: true }).click();
  const explanation = trace.getByTestId("trace-explanation");
  await expect(explanation).toContainText("result_viewed at least 1 time in the last 1 day");
  await expect(explanation).toContainText("0 matching events");
  await snap(page, "journey-why-profile-trace");
});

test("the journey page answers “why not?”: one went the other way at the branch, one never entered", async () => {
  await page.goto(`/journeys/${nudgeId}`);
  await page.getByRole("tab", { name: "Live" }).click();
  const why = page.getByTestId("why-not");
  await expect(why).toBeVisible();
  await expect(why).toContainText("Choose a person");

  // Bob: the branch sent him the other way — with the evaluator's explanation.
  await why.getByLabel("Message").selectOption({ label: "Email the analysis · Email" });
  await why.getByRole("combobox", { name: "Person" }).fill(`bob@${DOMAIN}`);
  await why.getByRole("option").filter({ hasText: "Bob" }).getByRole("button").click();
  const answer = why.getByTestId("why-not-answer");
  await expect(answer).toHaveAttribute("data-outcome", "not_sent");
  await expect(answer).toContainText("Their path did not lead to this message: at “Saw the result?” they went another way (Saw the result: yes).");
  await expect(why).toContainText("Why they went another way at “Saw the result?”");
  await expect(why.getByTestId("trace-explanation")).toContainText("result_viewed at least 1 time in the last 1 day — 1 matching event");
  await expect(why.getByTestId("why-not-details")).toContainText("They left the journey at “Exit” on");
  await page.setViewportSize({ width: 1440, height: 1200 });
  await snap(page, "journey-why-not-branch");

  // Cy never performed the trigger's event.
  await why.getByRole("button", { name: "Ask about someone else" }).click();
  await why.getByRole("combobox", { name: "Person" }).fill(`cy@${DOMAIN}`);
  await why.getByRole("option").filter({ hasText: "Cy" }).getByRole("button").click();
  await expect(answer).toHaveAttribute("data-outcome", "not_entered");
  await expect(answer).toContainText(/They have not performed calculator_opened since the journey went live on \d{1,2} \w{3} \d{4}, \d{2}:\d{2}, so they never entered\./);

  // Ann got it.
  await why.getByRole("button", { name: "Ask about someone else" }).click();
  await why.getByRole("combobox", { name: "Person" }).fill(`ann@${DOMAIN}`);
  await why.getByRole("option").filter({ hasText: "Ann" }).getByRole("button").click();
  await expect(answer).toHaveAttribute("data-outcome", "sent");
  await expect(answer).toContainText("They got it: the email message “Email the analysis” was sent on");
  await snap(page, "journey-why-not-sent");
});

test("a journey with a holdout arm shows its lift: conversion of the messaged against the holdout, with the interval", async ({ request }) => {
  const winBack = await publishJourney("Win back (why e2e)", {
    nodes: [
      { id: "trigger", kind: "trigger", position: { x: 0, y: 0 }, trigger: { type: "event", event: "winback_visit", filters: [] } },
      { id: "split", kind: "split", position: { x: 0, y: 140 }, arms: [{ id: "hold", name: "Holdout", percent: 50, holdout: true }, { id: "treat", name: "Messages", percent: 50, holdout: false }] },
      { id: "send", kind: "send", position: { x: 200, y: 280 }, label: "Win-back email", channel: "email", templateId: emailTemplate, onFailure: "continue" },
      { id: "out", kind: "exit", position: { x: 200, y: 420 } },
      { id: "held", kind: "exit", position: { x: -200, y: 280 } },
    ],
    edges: [
      { id: "e1", from: "trigger", exit: "next", to: "split" },
      { id: "e2", from: "split", exit: "hold", to: "held" },
      { id: "e3", from: "split", exit: "treat", to: "send" },
      { id: "e4", from: "send", exit: "next", to: "out" },
    ],
    settings: { reentry: { mode: "never" }, goal: { type: "event", event: "winback_purchase", filters: [], window: { amount: 7, unit: "days" } } },
  });
  const people = Array.from({ length: 16 }, (_, i) => `why-wb-${i}`);
  await batch(
    request,
    people.flatMap((userId) => [
      { type: "identify", userId, traits: { email: `${userId}@${DOMAIN}` } },
      { type: "track", userId, event: "winback_visit" },
    ]),
  );
  for (const userId of people) await expect.poll(() => whereIs(winBack, userId), { timeout: 30_000 }).toBe("completed");
  // A few of each group buy within the conversion window.
  await batch(request, people.slice(0, 7).map((userId) => ({ type: "track", userId, event: "winback_purchase" })));
  await expect.poll(async () => (await db.query(`SELECT count(*)::int AS n FROM journey_enrollments WHERE journey_id = $1 AND converted_at IS NOT NULL`, [winBack])).rows[0].n, { timeout: 30_000 }).toBe(7);

  await page.setViewportSize({ width: 1440, height: 900 });
  await page.goto(`/journeys/${winBack}`);
  await page.getByRole("tab", { name: "Live" }).click();
  const groups = page.getByTestId("lift-groups");
  await expect(groups).toContainText("Got the messages");
  await expect(groups).toContainText("Holdout");
  const { rows } = await db.query<{ holdout: boolean; n: number; converted: number }>(
    `SELECT holdout, count(*)::int AS n, count(converted_at)::int AS converted FROM journey_enrollments WHERE journey_id = $1 GROUP BY holdout`,
    [winBack],
  );
  const held = rows.find((r) => r.holdout) ?? { n: 0, converted: 0 };
  const messaged = rows.find((r) => !r.holdout) ?? { n: 0, converted: 0 };
  await expect(groups).toContainText(`${held.converted} of ${held.n} converted`);
  await expect(groups).toContainText(`${messaged.converted} of ${messaged.n} converted`);
  // Both groups have people (a 50/50 split of 16 leaves one empty once in 30,000 runs): the difference with its interval.
  await expect(page.getByTestId("lift-difference")).toContainText("pts");
  await expect(page.getByTestId("lift")).toContainText("95% interval");
  await page.getByTestId("lift").scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(SCREENSHOTS, "journey-why-lift.png") });
});

test("Deliveries filtered by journey: a failed webhook send is on the dead-letter list, and Retry sends it", async ({ request }) => {
  hooks.handle(() => ({ status: 400, body: "unknown customer" }));
  const hook = await mutate<{ id: string }>("channels.save", { name: "Why e2e CRM", config: { kind: "webhook", settings: { url: `${hooks.url}/crm`, method: "POST", headers: {}, body: "", timeoutMs: 5_000 } }, secrets: {} });
  channelIds.push(hook.id);
  const template = (await mutate<{ id: string }>("messages.create", { name: "CRM ping", channel: "webhook" })).id;
  await mutate("messages.save", { id: template, name: "CRM ping", content: { channel: "webhook", subscriptionGroupId: null, body: '{"user":"{{ person.user_id }}"}' } });
  const sync = await publishJourney("CRM sync (why e2e)", {
    nodes: [
      { id: "trigger", kind: "trigger", position: { x: 0, y: 0 }, trigger: { type: "event", event: "crm_changed", filters: [] } },
      { id: "hook", kind: "webhook", position: { x: 0, y: 140 }, label: "Tell the CRM", channelId: hook.id, templateId: template },
      { id: "x", kind: "exit", position: { x: 0, y: 280 } },
    ],
    edges: [
      { id: "e1", from: "trigger", exit: "next", to: "hook" },
      { id: "e2", from: "hook", exit: "next", to: "x" },
    ],
    settings: { reentry: { mode: "never" } },
  });
  await batch(request, [{ type: "track", userId: "why-ann", event: "crm_changed" }]);
  await expect.poll(async () => (await db.query(`SELECT status FROM deliveries WHERE journey_id = $1`, [sync])).rows.map((r) => r.status), { timeout: 30_000 }).toEqual(["failed"]);

  // The journey page links to its deliveries; the list opens filtered to it.
  await page.goto(`/journeys/${sync}`);
  await page.getByRole("tab", { name: "Live" }).click();
  await page.getByRole("link", { name: "Deliveries of this journey" }).click();
  await expect(page).toHaveURL(new RegExp(`/messages/deliveries\\?journey=${sync}$`));
  await expect(page.getByLabel("Journey")).toHaveValue(sync);
  await page.getByLabel("Status").selectOption("failed");
  await expect(page.getByTestId("dead-letter-hint")).toContainText("the dead-letter list");
  const rows = page.getByTestId("deliveries-table").locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("CRM sync (why e2e)");
  await expect(rows.first()).toContainText("failed");
  await rows.first().getByRole("button", { name: /Open the delivery/ }).click();
  await expect(page.getByTestId("delivery-detail")).toContainText("The endpoint answered 400 Bad Request: unknown customer.");
  await snap(page, "journey-why-deliveries-dead-letter");

  // Fixed on the other side: Retry queues it again, and it goes out.
  hooks.handle(() => ({ status: 200, body: "ok" }));
  await rows.first().getByRole("button", { name: "Retry" }).click();
  await expect(page.getByText("Queued again", { exact: true })).toBeVisible();
  await expect.poll(async () => (await db.query(`SELECT status FROM deliveries WHERE journey_id = $1`, [sync])).rows.map((r) => r.status), { timeout: 30_000 }).toEqual(["sent"]);
  expect(hooks.requests.map((r) => r.text)).toEqual(['{"user":"why-ann"}', '{"user":"why-ann"}']);
  const audit = await db.query(`SELECT action, target_id FROM audit_log WHERE action = 'delivery.retried'`);
  expect(audit.rows).toEqual([{ action: "delivery.retried", target_id: sync }]);

  // All of this journey's sends: the one, now sent.
  await page.getByLabel("Status").selectOption("");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("sent");
  // The whole list again, from the address.
  await page.getByLabel("Journey").selectOption("");
  await expect(page).toHaveURL(/\/messages\/deliveries$/);
});
