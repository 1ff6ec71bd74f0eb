import { expect, test, type Page } from "@playwright/test";
import { startSmtpSink } from "../server/test/smtp-sink";
import { startHttpSink } from "../server/test/http-sink";
import { verifyWebhookSignature } from "../server/channels/providers/webhook";
import { ADMIN, MARKETER, signIn, snap } from "./helpers";

/**
 * An admin connects email: a real SMTP server on this machine stands in for the provider.
 * Wrong password → the server's own words; right one → saved, shown only as a hint; a test
 * email arrives. A marketer sees the channel, never the secret, and cannot change it.
 */
test.describe.configure({ mode: "serial" });

const PASSWORD = "smtp-password-e2e-4242";
let sink: Awaited<ReturnType<typeof startSmtpSink>>;
let port: number;
let page: Page;

test.beforeAll(async () => {
  sink = await startSmtpSink({ user: "junction", password: PASSWORD });
  port = sink.port;
});
test.afterAll(() => sink.close());

test("an admin connects SMTP, tests the connection, saves it and sends a test email that arrives", async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN);
  await page.goto("/settings/channels");
  await expect(page.getByText("Channels may reach private network addresses")).toBeVisible();
  await page.getByRole("button", { name: "Connect email (SMTP)" }).click();
  await page.getByLabel("Channel name").fill("Marketing email");
  await page.getByLabel("Host").fill("127.0.0.1");
  await page.getByLabel("Security").selectOption("none");
  await page.getByLabel("Port").fill(String(port));
  await page.getByLabel("User name").fill("junction");
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByLabel("Sender name").fill("Acme Fitness");
  await page.getByLabel("Sender address").fill("hello@acme.test");

  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("test-outcome")).toContainText(/The server said: 535 .*Authentication failed/);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("test-outcome")).toContainText("Connection works. Connected and signed in as junction.");
  await snap(page, "channels-form");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved “Marketing email”")).toBeVisible();

  await expect(page.getByTestId("password-state")).toHaveText("set · ends in …42");
  await page.getByLabel("Send a test email to").fill("ada@example.com");
  await page.getByRole("button", { name: "Send test" }).click();
  await expect(page.getByText("Test email sent to ada@example.com")).toBeVisible();
  await expect.poll(() => sink.received.length).toBe(1);
  expect(sink.received[0]!.to).toEqual(["ada@example.com"]);
  expect(sink.received[0]!.raw).toContain("Subject: Test email from Junction (Marketing email)");
  await page.setViewportSize({ width: 1440, height: 900 });
  await snap(page, "page-settings-channels");
  expect(await page.content()).not.toContain(PASSWORD);
});

test("editing keeps the stored password unless it is replaced; a bad host is refused with its reason", async () => {
  await page.getByRole("button", { name: "Edit" }).click();
  await expect(page.getByTestId("password-state")).toContainText("set");
  await expect(page.getByLabel("Password")).toHaveCount(0);
  await page.getByLabel("Host").fill("169.254.169.254");
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText(/Host: 169\.254\.169\.254 resolves to 169\.254\.169\.254, a cloud metadata address/)).toBeVisible();
  await page.getByLabel("Host").fill("127.0.0.1");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByTestId("test-outcome")).toContainText("Connection works");
  await page.getByRole("button", { name: "Cancel" }).click();
  // No rendered page holds the password: the settings pages, the audit log, the dashboard.
  for (const path of ["/settings", "/settings/members", "/settings/api-keys", "/settings/audit", "/settings/channels", "/"]) {
    await page.goto(path);
    await page.waitForLoadState("networkidle");
    expect(await page.content(), path).not.toContain(PASSWORD);
  }
});

test("an admin connects a webhook: Junction makes its signing secret, shows it once, and signs the test request with it", async () => {
  const receiver = await startHttpSink();
  try {
    await page.goto("/settings/channels");
    await page.getByRole("button", { name: "Connect a channel" }).click();
    await snap(page, "channels-choose-kind");
    await page.getByRole("button", { name: /^Webhook/ }).click();
    await page.getByLabel("Channel name").fill("CRM webhook");
    await page.getByLabel("URL").fill(`${receiver.url}/junction`);
    await page.getByRole("button", { name: "Add a header" }).click();
    await page.getByLabel("Header 1 name").fill("Authorization");
    await page.getByLabel("Header 1 value").fill("Bearer crm-token");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    const revealed = page.getByTestId("revealed-secret");
    await expect(revealed).toContainText("copy it now, it is not shown again");
    const secret = (await revealed.locator("code").textContent())!;
    expect(secret).toMatch(/^whsec_/);
    await page.getByRole("button", { name: "Done" }).click();
    await expect(page.getByTestId("revealed-secret")).toHaveCount(0);
    expect(await page.content()).not.toContain(secret);

    await page.getByRole("button", { name: "Send a signed test request" }).click();
    await expect.poll(() => receiver.requests.length).toBe(1);
    const request = receiver.requests[0]!;
    expect(request.headers.authorization).toBe("Bearer crm-token");
    expect(verifyWebhookSignature(secret, String(request.headers["junction-signature"]), request.text)).toMatchObject({ ok: true });
    await page.reload();
    expect(await page.content()).not.toContain(secret);
    await snap(page, "page-settings-channels-kinds");
  } finally {
    await receiver.close();
  }
});

test("a marketer sees which channel is connected but not its secret, and cannot change it", async ({ browser }) => {
  const marketer = await (await browser.newContext()).newPage();
  await signIn(marketer, MARKETER);
  await marketer.goto("/settings/channels");
  await expect(marketer.getByRole("heading", { name: "Marketing email" })).toBeVisible();
  await expect(marketer.getByText("Only admins can connect or change channels.")).toBeVisible();
  await expect(marketer.getByRole("button", { name: "Edit" })).toHaveCount(0);
  expect(await marketer.content()).not.toContain(PASSWORD);
  const refused = await marketer.request.post("/api/trpc/channels.test", {
    data: { json: { config: { kind: "email", settings: { host: "127.0.0.1", port, security: "none", senders: [{ name: "x", address: "x@acme.test" }] } }, secrets: { password: "x" } } },
  });
  expect(refused.status()).toBe(403);
  const listed = await marketer.request.get("/api/trpc/channels.list");
  expect(listed.status()).toBe(200);
  expect(await listed.text()).not.toContain(PASSWORD);
  await marketer.context().close();
});
