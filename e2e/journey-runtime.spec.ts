import { createDecipheriv, createECDH, createHmac, randomBytes, type ECDH } from "node:crypto";
import pg from "pg";
import { expect, test, type APIRequestContext, type Page } from "@playwright/test";
import { startHttpSink, type HttpSink } from "../server/test/http-sink";
import { startSmtpSink } from "../server/test/smtp-sink";
import { ADMIN, signIn, snap } from "./helpers";

/**
 * Journeys run by themselves in the app's own process (the change feed's journeys consumer,
 * the stepper and the sender): events go in through the tracking API, messages come out at
 * real servers on this machine — an SMTP sink for email, an HTTP stand-in for a browser's
 * Web Push service — and the in-app message waits at the profile messages API. Waits are
 * timers on the database clock; a test cannot wait a day, so it moves an enrollment's timer
 * to now in the database (`timePasses`), which is what a day passing looks like to the
 * runtime. Runs after foundation.spec.ts (the admin exists) and makes its own keys. The
 * journeys and channels it makes are removed at the end: journey-templates.spec.ts counts
 * archived journeys and journeys.spec.ts expects none, later specs start without channels.
 */
test.describe.configure({ mode: "serial" });
// A day and two of journey time on a busy 2-core machine: each step waits for the runtime's polls and a server render.
test.setTimeout(120_000);

let page: Page;
let db: pg.Client;
let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
let pushService: HttpSink;
let writeKey: string;
let secretKey: string;
const journeyIds: string[] = [];
const channelIds: string[] = [];
let nudgeId: string;

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

async function profileId(request: APIRequestContext, userId: string): Promise<string> {
  const res = await request.get(`/api/v1/profiles/${userId}`, { headers: { authorization: `Bearer ${secretKey}` } });
  expect(res.status()).toBe(200);
  return ((await res.json()) as { id: string }).id;
}

interface Enrollment {
  id: string;
  status: string;
  node_id: string | null;
  exit_reason: string | null;
  converted_at: Date | null;
  /** wake_at − the database's now, in hours (null: no timer). */
  due_in_hours: number | null;
}

async function enrollment(journeyId: string, userId: string): Promise<Enrollment | null> {
  const { rows } = await db.query<Enrollment>(
    `SELECT e.id, e.status, e.node_id, e.exit_reason, e.converted_at, extract(epoch FROM e.wake_at - now()) / 3600 AS due_in_hours
       FROM journey_enrollments e JOIN profiles p ON p.id = e.profile_id
      WHERE e.journey_id = $1 AND p.user_id = $2`,
    [journeyId, userId],
  );
  expect(rows.length, `one enrollment of ${userId}`).toBeLessThanOrEqual(1);
  return rows[0] ? { ...rows[0], due_in_hours: rows[0].due_in_hours === null ? null : Number(rows[0].due_in_hours) } : null;
}

/** Where the person is in the journey now ("wait_day", "completed", …), for expect.poll. */
async function whereIs(journeyId: string, userId: string): Promise<string | null> {
  const e = await enrollment(journeyId, userId);
  return e ? (e.status === "active" ? e.node_id : e.status) : null;
}

/**
 * Time passes: the enrollment's timer (the wait's end, or an event wait's timeout) is due
 * now. Both the row's due time and the state's own `wakeAt` move — the interpreter refuses a
 * timer that comes before the state says the wait ends.
 */
async function timePasses(enrollmentId: string) {
  const moved = await db.query(
    `UPDATE journey_enrollments
        SET wake_at = now(), state = jsonb_set(state, '{wakeAt}', to_jsonb(to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')))
      WHERE id = $1 AND status = 'active' AND wake_at IS NOT NULL`,
    [enrollmentId],
  );
  expect(moved.rowCount).toBe(1);
}

/** How long something took, kept on the test's report (the JSON reporter lists annotations). */
function timing(what: string, since: number) {
  test.info().annotations.push({ type: "timing", description: `${what}: ${Date.now() - since} ms` });
}

async function deliveriesOf(userId: string) {
  const { rows } = await db.query<{ channel: string; status: string; node_id: string; recipient: string; reason: string | null }>(
    `SELECT d.channel, d.status, d.node_id, d.recipient, d.reason FROM deliveries d JOIN profiles p ON p.id = d.profile_id WHERE p.user_id = $1 ORDER BY d.created_at`,
    [userId],
  );
  return rows;
}

/** A browser's side of a Web Push subscription: its P-256 key pair and auth secret (as webpush.int.test.ts makes one). */
function browserSubscription(endpoint: string) {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return { ecdh, auth, subscription: { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") } } };
}

/** What the browser does with a push (RFC 8291, aes128gcm, one record): decrypts it. */
function decryptPush(body: Buffer, user: { ecdh: ECDH; auth: Buffer }): string {
  const salt = body.subarray(0, 16);
  const idlen = body[20]!;
  const serverPublic = body.subarray(21, 21 + idlen);
  const ciphertext = body.subarray(21 + idlen);
  const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest();
  const secret = user.ecdh.computeSecret(serverPublic);
  const ikm = hmac(hmac(user.auth, secret), Buffer.concat([Buffer.from("WebPush: info\0"), user.ecdh.getPublicKey(), serverPublic, Buffer.from([1])]));
  const prk = hmac(salt, ikm);
  const cek = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01")).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01")).subarray(0, 12);
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(ciphertext.subarray(-16));
  const plain = Buffer.concat([decipher.update(ciphertext.subarray(0, -16)), decipher.final()]);
  let end = plain.length - 1;
  while (end > 0 && plain[end] === 0) end--;
  return plain.subarray(0, end).toString("utf8");
}

test.beforeAll(async ({ browser }) => {
  db = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await db.connect();
  smtp = await startSmtpSink({ user: "journeys", password: "journey-runtime-password" });
  // A browser vendor's push service: 201 Created with the message's address, as they answer.
  pushService = await startHttpSink({ handler: (r) => ({ status: 201, headers: { location: `${pushService.url}/message${r.path}` } }) });
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signIn(page, ADMIN);
  writeKey = (await mutate<{ key: string }>("keys.create", { name: "Journey runtime (write)", kind: "write" })).key;
  secretKey = (await mutate<{ key: string }>("keys.create", { name: "Journey runtime (secret)", kind: "secret" })).key;
});

test.afterAll(async () => {
  for (const id of journeyIds) await mutate("journeys.setStatus", { id, action: "archive", exitEveryone: true }).catch(() => {});
  // Gone altogether (there is no delete in the app): later specs count the journeys list, archived ones included.
  if (journeyIds.length > 0) await db.query(`DELETE FROM journeys WHERE id = ANY($1::text[])`, [journeyIds]);
  for (const id of channelIds) await mutate("channels.delete", { id }).catch(() => {});
  await page?.context().close();
  await smtp?.close();
  await pushService?.close();
  await db?.end();
});

test("events sent through the tracking API → the journey's email arrives at a local SMTP server", async ({ request }) => {
  const channel = await mutate<{ id: string }>("channels.save", {
    name: "Journey runtime SMTP",
    config: { kind: "email", settings: { host: "127.0.0.1", port: smtp.port, security: "none", user: "journeys", pool: false, senders: [{ name: "Acme Fitness", address: "hello@acme.test" }] } },
    secrets: { password: "journey-runtime-password" },
  });
  channelIds.push(channel.id);
  const template = await mutate<{ id: string }>("messages.create", { name: "Trial welcome", channel: "email" });
  await mutate("messages.save", {
    id: template.id,
    name: "Trial welcome",
    content: {
      channel: "email",
      subscriptionGroupId: null,
      subject: "Welcome to your {{ event.properties.plan }} trial, {{ person.first_name }}",
      preheader: "",
      html: "<p>Hi {{ person.first_name }}, your trial has started.</p>",
      text: "",
    },
  });

  // trigger (event) → send email → exit, through the same procedures the canvas calls.
  const journey = await mutate<{ id: string; revision: number }>("journeys.create", { name: "Trial welcome (runtime e2e)" });
  journeyIds.push(journey.id);
  const saved = await mutate<{ revision: number; issues: unknown[] }>("journeys.saveDraft", {
    id: journey.id,
    revision: journey.revision,
    name: "Trial welcome (runtime e2e)",
    draft: {
      schemaVersion: 1,
      nodes: [
        { id: "trigger", kind: "trigger", position: { x: 0, y: 0 }, label: "Trial started", trigger: { type: "event", event: "trial_started", filters: [] } },
        { id: "welcome", kind: "send", position: { x: 0, y: 140 }, label: "Email: welcome", channel: "email", templateId: template.id, onFailure: "continue" },
        { id: "done", kind: "exit", position: { x: 0, y: 280 } },
      ],
      edges: [
        { id: "trigger-next", from: "trigger", exit: "next", to: "welcome" },
        { id: "welcome-next", from: "welcome", exit: "next", to: "done" },
      ],
      settings: { reentry: { mode: "never" } },
    },
  });
  expect(saved.issues).toEqual([]);
  expect(await mutate<{ version: number }>("journeys.publish", { id: journey.id, revision: saved.revision })).toEqual({ version: 1 });

  const sentAt = Date.now();
  await batch(request, [
    { type: "identify", userId: "rt-trial-1", traits: { email: "rosa@runtime.test", first_name: "Rosa" } },
    { type: "track", userId: "rt-trial-1", event: "trial_started", properties: { plan: "Pro" } },
  ]);
  await expect.poll(() => smtp.received.length, { timeout: 30_000 }).toBe(1);
  timing("track → email at the SMTP server", sentAt);
  const mail = smtp.received[0]!;
  expect(mail.to).toEqual(["rosa@runtime.test"]);
  expect(mail.from).toBe("hello@acme.test");
  expect(mail.raw).toContain("Subject: Welcome to your Pro trial, Rosa");
  expect(mail.raw).toContain("Hi Rosa, your trial has started.");

  await expect.poll(() => whereIs(journey.id, "rt-trial-1")).toBe("completed");
  expect(await deliveriesOf("rt-trial-1")).toEqual([expect.objectContaining({ channel: "email", status: "sent", node_id: "welcome", recipient: "rosa@runtime.test" })]);
  // One email, also after the sender has had time to look again.
  expect(smtp.received.length).toBe(1);

  // The journey's send is on the Deliveries page, with the message as it went out.
  await page.goto("/messages/deliveries");
  const row = page.getByTestId("deliveries-table").locator("tbody tr").filter({ hasText: "rosa@runtime.test" });
  await expect(row).toHaveCount(1);
  await expect(row).toContainText("sent");
  await expect(row).toContainText("Trial welcome v2");
  await row.getByRole("button", { name: /Open the delivery/ }).click();
  await expect(page.getByTestId("delivery-detail")).toContainText("Trial welcome v2");
  await expect(page.getByText("Welcome to your Pro trial, Rosa", { exact: true })).toBeVisible();
  await expect(page.frameLocator('iframe[title="The email as sent"]').locator("body")).toContainText("Hi Rosa, your trial has started.");
  await snap(page, "journey-runtime-deliveries", { busy: true });

  // …and the enrollment on the person's Journeys tab.
  await page.goto(`/profiles/${await profileId(request, "rt-trial-1")}`);
  await page.getByRole("tab", { name: "Journeys" }).click();
  const journeys = page.getByTestId("profile-journeys");
  await expect(journeys.getByRole("listitem")).toHaveCount(1);
  await expect(journeys).toContainText("Trial welcome (runtime e2e)");
  await expect(journeys).toContainText("Completed");
});

test("the feature-nudge template runs from the trigger to the in-app message and the push at a local push service; a person who saw the result converts", async ({ request }) => {
  const vapid = await mutate<{ publicKey: string; privateKey: string }>("channels.vapidKeys", undefined);
  const push = await mutate<{ id: string }>("channels.save", {
    name: "Journey runtime push",
    config: { kind: "push", settings: { webPush: { publicKey: vapid.publicKey, subject: "mailto:push@acme.test" } } },
    secrets: { vapidPrivateKey: vapid.privateKey },
  });
  const inapp = await mutate<{ id: string }>("channels.save", { name: "Journey runtime in-app", config: { kind: "inapp", settings: { retentionDays: 30 } } });
  channelIds.push(push.id, inapp.id);

  const created = await mutate<{ id: string; revision: number; created: { key: string; name: string }[] }>("journeys.createFromTemplate", { key: "feature-nudge", name: "Tariff nudge (runtime e2e)" });
  nudgeId = created.id;
  journeyIds.push(nudgeId);
  expect(created.created.map((c) => c.key).sort()).toEqual(["analysisOffer", "liveCall"]);
  expect(await mutate<{ version: number }>("journeys.publish", { id: nudgeId, revision: created.revision })).toEqual({ version: 1 });

  // Two people with a browser subscribed to push each, registered through the tracking API.
  const people = { "rt-nudge-1": browserSubscription(`${pushService.url}/push/rt-nudge-1`), "rt-nudge-2": browserSubscription(`${pushService.url}/push/rt-nudge-2`) };
  const names = { "rt-nudge-1": "Nina", "rt-nudge-2": "Omar" };
  for (const [userId, browser] of Object.entries(people)) {
    await batch(request, [
      { type: "identify", userId, traits: { email: `${userId}@runtime.test`, first_name: names[userId as keyof typeof names] } },
      { type: "track", userId, event: "Device Registered", properties: { kind: "webpush", subscription: browser.subscription } },
    ]);
  }
  // The calculator, three times each, minutes apart: the third opening enrolls them.
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();
  const tracked = Date.now();
  for (const m of [30, 20, 10]) {
    await batch(
      request,
      Object.keys(people).map((userId) => ({ type: "track", userId, event: "tariff_calculator_opened", timestamp: minutesAgo(m), properties: { plan: "basic" } })),
    );
  }

  // They wait a day.
  for (const userId of Object.keys(people)) {
    await expect.poll(() => whereIs(nudgeId, userId), { timeout: 30_000 }).toBe("wait_day");
    const waiting = (await enrollment(nudgeId, userId))!;
    expect(waiting.due_in_hours).toBeGreaterThan(23.9);
    expect(waiting.due_in_hours).toBeLessThanOrEqual(24);
  }
  timing("third calculator opening → both waiting a day", tracked);
  // Nothing for them yet.
  const messagesOf = async (userId: string) => {
    const res = await request.get(`/api/v1/profiles/${userId}/messages`, { headers: { authorization: `Bearer ${secretKey}` } });
    expect(res.status()).toBe(200);
    return ((await res.json()) as { messages: { title: string; body: string; buttonLabel: string | null; buttonUrl: string | null }[] }).messages;
  };
  expect(await messagesOf("rt-nudge-1")).toEqual([]);

  // A day passes (for both).
  const dayPassed = Date.now();
  for (const userId of Object.keys(people)) await timePasses((await enrollment(nudgeId, userId))!.id);

  // The in-app analysis offer is there for their app to show, rendered for each of them…
  for (const [userId, name] of Object.entries(names)) {
    await expect.poll(async () => (await messagesOf(userId)).length, { timeout: 30_000 }).toBe(1);
    timing(`day passed → in-app message for ${userId}`, dayPassed);
    const [message] = await messagesOf(userId);
    expect(message).toMatchObject({ title: "Want a short analysis of your tariff?", buttonLabel: "Show my analysis", buttonUrl: "/tariffs/analysis" });
    expect(message!.body).toContain(`You tried the calculator a few times, ${name}.`);
    // …and they wait up to two days for the result to be viewed.
    await expect.poll(() => whereIs(nudgeId, userId)).toBe("wait_result");
    const waiting = (await enrollment(nudgeId, userId))!;
    expect(waiting.due_in_hours).toBeGreaterThan(47.9);
    expect(waiting.due_in_hours).toBeLessThanOrEqual(48);
  }

  // Omar looks at his result: the wait ends by the event, and the journey's goal is reached.
  const viewed = Date.now();
  await batch(request, [{ type: "track", userId: "rt-nudge-2", event: "tariff_result_viewed", properties: { plan: "basic" } }]);
  await expect.poll(() => whereIs(nudgeId, "rt-nudge-2"), { timeout: 30_000 }).toBe("converted");
  timing("result viewed → converted", viewed);
  const omar = (await enrollment(nudgeId, "rt-nudge-2"))!;
  expect(omar.exit_reason).toBe("goal");
  expect(omar.converted_at).not.toBeNull();

  // Nina does not, and her two days pass: the push inviting her to a live call goes out.
  const timedOut = Date.now();
  await timePasses((await enrollment(nudgeId, "rt-nudge-1"))!.id);
  await expect.poll(() => pushService.requests.length, { timeout: 30_000 }).toBe(1);
  timing("timeout due → push at the push service", timedOut);
  await expect.poll(() => whereIs(nudgeId, "rt-nudge-1")).toBe("completed");
  await expect.poll(async () => (await deliveriesOf("rt-nudge-1")).map((d) => `${d.node_id} ${d.channel} ${d.status}`)).toEqual(["offer inapp sent", "call push sent"]);
  // The delivery log shows the device shortened, never the subscription's keys (docs/channels.md).
  const pushDelivery = (await deliveriesOf("rt-nudge-1")).find((d) => d.channel === "push")!;
  expect(pushDelivery.recipient).toMatch(/^127\.0\.0\.1:\d+\/…udge-1$/);
  expect(pushDelivery.recipient).not.toContain(people["rt-nudge-1"].subscription.keys.auth);

  const request1 = pushService.requests[0]!;
  expect(request1.method).toBe("POST");
  expect(request1.path).toBe("/push/rt-nudge-1");
  // VAPID (RFC 8292): a signed JWT and the channel's public key.
  expect(request1.headers.authorization).toMatch(new RegExp(`^vapid t=[\\w-]+\\.[\\w-]+\\.[\\w-]+, k=${vapid.publicKey}$`));
  expect(request1.headers["content-encoding"]).toBe("aes128gcm");
  // Encrypted for Nina's browser only: it reads the template's push.
  const payload = JSON.parse(decryptPush(request1.body, people["rt-nudge-1"])) as { title: string; body: string; url?: string };
  expect(payload).toMatchObject({ title: "Questions about your tariff?", body: "Book 15 minutes with an advisor — live, free, no obligation.", url: "/book-a-call" });

  // Omar got the in-app message and no push; one request reached the push service in all.
  expect((await deliveriesOf("rt-nudge-2")).map((d) => `${d.node_id} ${d.channel} ${d.status}`)).toEqual(["offer inapp sent"]);
  expect(pushService.requests.map((r) => r.path)).toEqual(["/push/rt-nudge-1"]);
});

test("the canvas shows the run's live counts; each person's Journeys tab shows where they ended", async ({ request }) => {
  await page.goto(`/journeys/${nudgeId}`);
  await page.getByRole("tab", { name: "Live" }).click();
  const stats = page.getByTestId("live-stats");
  await expect(stats).toContainText(/Entered\s*2/);
  await expect(stats).toContainText(/In it now\s*0/);
  await expect(stats).toContainText(/Converted\s*1/);
  // Both went through each step to the wait for the result; one saw it, one timed out and got the push.
  for (const [edge, count] of [
    ["trigger-next", "2"],
    ["wait_day-next", "2"],
    ["offer-next", "2"],
    ["wait_result-event", "1"],
    ["wait_result-timeout", "1"],
    ["call-next", "1"],
  ]) {
    await expect(page.getByTestId(`edge-count-${edge}`), edge).toHaveText(count!);
  }
  await snap(page, "journey-runtime-canvas-live", { busy: true });

  for (const [userId, status, shot] of [
    ["rt-nudge-1", "Completed", "journey-runtime-profile-journeys-completed"],
    ["rt-nudge-2", "Converted", "journey-runtime-profile-journeys-converted"],
  ] as const) {
    await page.goto(`/profiles/${await profileId(request, userId)}`);
    await page.getByRole("tab", { name: "Journeys" }).click();
    const journeys = page.getByTestId("profile-journeys");
    await expect(journeys.getByRole("listitem")).toHaveCount(1);
    await expect(journeys).toContainText("Tariff nudge (runtime e2e)");
    await expect(journeys).toContainText(status);
    await snap(page, shot);
  }

  // The in-app message and the push in Messages → Deliveries.
  await page.goto("/messages/deliveries");
  const table = page.getByTestId("deliveries-table");
  await expect(table.locator("tbody tr").filter({ hasText: "Live call invitation" })).toHaveCount(1);
  await expect(table.locator("tbody tr").filter({ hasText: "Tariff analysis offer" })).toHaveCount(2);
  await snap(page, "journey-runtime-deliveries-nudge", { busy: true });
  await table.locator("tbody tr").filter({ hasText: "Live call invitation" }).getByRole("button", { name: /Open the delivery/ }).click();
  await expect(page.getByTestId("delivery-detail")).toContainText("Live call invitation v1");
  await snap(page, "journey-runtime-delivery-push", { busy: true });
});
