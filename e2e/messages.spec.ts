import { expect, test, type Page } from "@playwright/test";
import { startSmtpSink } from "../server/test/smtp-sink";
import { ADMIN, MARKETER, VIEWER, signIn, snap } from "./helpers";

/**
 * A marketer writes an email: starts a template, sees an unknown variable named with its
 * line and column, previews it for a real person, saves a version, sends a test through a
 * connected channel (a real SMTP server on this machine) and finds it under Deliveries.
 * Runs after ingestion.spec.ts (the marketer and the imported person ada@import.test exist).
 */
test.describe.configure({ mode: "serial" });
// Long flows on a busy 2-core machine: each step waits for a server render.
test.setTimeout(90_000);

let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let page: Page;

test.beforeAll(async () => {
  sink = await startSmtpSink({ user: "junction", password: "messages-e2e-password" });
});
test.afterAll(async ({ browser }) => {
  await sink.close();
  // The channel pointed at this spec's SMTP server goes with it (later specs start from no channels).
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN);
  const list = await admin.request.get("/api/trpc/channels.list");
  const channels = ((await list.json()) as { result: { data: { json: { id: string; name: string }[] } } }).result.data.json;
  for (const c of channels.filter((c) => c.name === "Messages sink")) await admin.request.post("/api/trpc/channels.delete", { data: { json: { id: c.id } } });
  await admin.context().close();
});

test("a marketer writes a template, sees errors where they are, previews it for a person and saves a version", async ({ browser }) => {
  // An admin connects the email channel the test send goes through.
  const admin = await (await browser.newContext()).newPage();
  await signIn(admin, ADMIN);
  const saved = await admin.request.post("/api/trpc/channels.save", {
    data: {
      json: {
        name: "Messages sink",
        config: { kind: "email", settings: { host: "127.0.0.1", port: sink.port, security: "none", user: "junction", pool: false, senders: [{ name: "Acme Fitness", address: "hello@acme.test" }] } },
        secrets: { password: "messages-e2e-password" },
      },
    },
  });
  expect(saved.status()).toBe(200);
  // …and a marketing group people can leave.
  const group = await admin.request.post("/api/trpc/consent.createGroup", {
    data: { json: { name: "Tariff tips", channel: "email", mode: "opt_out", purpose: "marketing" } },
  });
  expect(group.status()).toBe(200);
  await admin.context().close();

  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signIn(page, MARKETER);
  await page.goto("/messages");
  // (journeys.spec.ts, earlier, made a message of its own: the list is not empty.)
  await page.getByRole("button", { name: "New template" }).click();
  await page.getByLabel("Name").fill("Tariff reminder");
  await page.getByRole("dialog").getByText("Email", { exact: true }).click();
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(/\/messages\/[^/]+$/);
  await expect(page.getByTestId("version-line")).toContainText("Version 1");

  // The example person renders the starter.
  await expect(page.getByTestId("preview-subject")).toHaveText("Hi Alex, a quick note");
  // A real person, found by searching: the preview uses their traits and latest event.
  await page.getByRole("combobox", { name: "Person" }).fill("ada@import");
  await expect(page.getByRole("option").filter({ hasText: "ada@import.test" })).toHaveCount(1);
  await page.getByRole("option").filter({ hasText: "ada@import.test" }).click();
  await expect(page.getByTestId("preview-person")).toContainText("ada@import.test");
  // An unknown variable is named, with where it is.
  await page.getByLabel("Subject").fill("Your {{ person.plan }} plan, {{ person.nickname }}");
  await expect(page.getByTestId("preview-errors")).toContainText("Subject, line 1, column 33: undefined variable: person.nickname");
  await expect(page.getByText("Line 1, column 33: undefined variable: person.nickname", { exact: true })).toBeVisible();

  // A syntax error in the HTML body is marked in the code editor at its line.
  const body = page.getByRole("textbox", { name: "HTML body" });
  await body.click();
  await page.keyboard.press("ControlOrMeta+End");
  // insertText: as pasted (typing "{" would auto-close the brace).
  await page.keyboard.insertText("\n{% if person.plan %}");
  await expect(page.getByTestId("error-html")).toContainText(/Line \d+, column 1: tag \{% if person\.plan %\} not closed/);
  await expect(page.locator(".cm-lintRange-error")).toHaveCount(1);
  await page.keyboard.insertText("{% endif %}");
  await expect(page.getByTestId("error-html")).toHaveCount(0);

  await page.getByLabel("Subject").fill("Your {{ person.plan }} plan, {{ person.nickname | default: \"friend\" }}");
  await page.getByLabel("Subscription group").selectOption({ label: "Tariff tips" });
  await expect(page.getByText("Marketing, opt-out: everyone who has not left it gets it.")).toBeVisible();
  await expect(page.getByTestId("preview-subject")).toHaveText("Your pro plan, friend");
  const frame = page.frameLocator('iframe[title="Rendered email"]');
  await expect(frame.locator("body")).toContainText("Write your message here.");
  // busy: the sandboxed preview frame keeps Playwright's network-idle wait from settling.
  await snap(page, "messages-editor", { busy: true });

  await page.keyboard.press("ControlOrMeta+s");
  await expect(page.getByText("Saved as version 2")).toBeVisible();
  await expect(page.getByTestId("version-line")).toContainText("Version 2");
});

test("the test send arrives, renders for the person, carries one-click unsubscribe, and is in Deliveries", async ({ browser }) => {
  await expect(page.getByLabel("Send to")).toHaveValue("ada@import.test");
  await page.getByLabel("Send to").fill("qa@acme.test");
  await page.getByRole("button", { name: "Send test" }).click();
  await expect(page.getByTestId("test-send-outcome")).toContainText("Sent to qa@acme.test");
  await expect.poll(() => sink.received.length).toBe(1);
  const mail = sink.received[0]!;
  expect(mail.to).toEqual(["qa@acme.test"]);
  expect(mail.raw).toContain("Subject: Your pro plan, friend");
  expect(mail.raw).toContain("List-Unsubscribe-Post: List-Unsubscribe=One-Click");

  await page.getByRole("link", { name: "See deliveries" }).click();
  await expect(page).toHaveURL(/\/messages\/deliveries$/);
  const row = page.getByTestId("deliveries-table").locator("tbody tr").first();
  await expect(row).toContainText("sent");
  await expect(row).toContainText("qa@acme.test");
  await expect(row).toContainText("Tariff reminder v2");
  await row.getByRole("button", { name: /Open the delivery/ }).click();
  await expect(page.getByTestId("delivery-detail")).toContainText("Tariff reminder");
  await expect(page.frameLocator('iframe[title="The email as sent"]').locator("body")).toContainText("Write your message here.");
  await snap(page, "page-messages-deliveries", { busy: true });

  // The person's profile lists what was sent to them.
  await page.getByTestId("delivery-detail").getByRole("link", { name: "ada@import.test" }).click();
  await page.getByRole("tab", { name: "Messages" }).click();
  await expect(page.getByTestId("deliveries-table").locator("tbody tr").first()).toContainText("Tariff reminder v2");
  await page.goto("/messages/deliveries");

  // Filters: nothing sent to qa@acme.test failed (journeys of earlier specs may have failed sends of their own).
  await page.getByLabel("Recipient").fill("qa@acme.test");
  await page.getByLabel("Status").selectOption("failed");
  await expect(page.getByRole("heading", { name: "No deliveries match" })).toBeVisible();

  // The unsubscribe link in the email: opened by the person (no sign-in), confirmed.
  const html = mail.raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");
  const link = /href="([^"]*\/preferences\/[^"]*unsubscribe=1)"/.exec(html)?.[1];
  expect(link, "the email links to its unsubscribe page").toBeTruthy();
  const person = await (await browser.newContext()).newPage();
  await person.goto(link!.replace(/&amp;/g, "&"));
  await person.getByRole("button", { name: "Unsubscribe", exact: true }).click();
  await expect(person.getByRole("checkbox", { name: /Tariff tips/ })).not.toBeChecked();
  await person.context().close();

  // The next test send to that person is not made, and the log says why.
  await page.goto("/messages");
  await page.getByRole("link", { name: "Tariff reminder" }).click();
  await page.getByRole("combobox", { name: "Person" }).fill("ada@import");
  await expect(page.getByRole("option").filter({ hasText: "ada@import.test" })).toHaveCount(1);
  await page.getByRole("option").filter({ hasText: "ada@import.test" }).click();
  await page.getByLabel("Send to").fill("qa@acme.test");
  await page.getByRole("button", { name: "Send test" }).click();
  await expect(page.getByTestId("test-send-outcome")).toContainText("Not sent: Unsubscribed from “Tariff tips”");
  expect(sink.received.length).toBe(1);
  await page.goto("/messages/deliveries");
  await expect(page.getByTestId("deliveries-table").locator("tbody tr").first()).toContainText("suppressed");
});

test("an SMS template counts characters and parts as it is typed", async () => {
  await page.goto("/messages");
  await page.getByRole("button", { name: "New template" }).click();
  await page.getByLabel("Name").fill("Cart reminder SMS");
  await page.getByRole("dialog").getByText("SMS", { exact: true }).click();
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("textbox", { name: "Text" })).toBeVisible();
  const text = page.getByRole("textbox", { name: "Text" });
  await text.click();
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.insertText("Your cart misses you 🛒");
  await expect(page.getByTestId("sms-counter").first()).toContainText("UCS-2");
  await expect(page.getByTestId("preview-sms")).toHaveText("Your cart misses you 🛒");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Saved as version 2")).toBeVisible();
  await page.goto("/messages");
  await expect(page.getByTestId("templates-table")).toContainText("Cart reminder SMS");
  await snap(page, "page-messages");
  await page.context().close();
});

test("a viewer reads templates and previews them but cannot change or send them", async ({ browser }) => {
  const viewer = await (await browser.newContext()).newPage();
  await signIn(viewer, VIEWER);
  await viewer.goto("/messages");
  await expect(viewer.getByRole("button", { name: "New template" })).toHaveCount(0);
  await viewer.getByRole("link", { name: "Tariff reminder" }).click();
  // The example person has no plan: the preview says so (viewers may preview).
  await expect(viewer.getByTestId("preview-errors")).toContainText("undefined variable: person.plan");
  await expect(viewer.getByRole("button", { name: "Save" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Send test" })).toHaveCount(0);
  const refused = await viewer.request.post("/api/trpc/messages.create", { data: { json: { name: "x", channel: "sms" } } });
  expect(refused.status()).toBe(403);
  await viewer.context().close();
});
