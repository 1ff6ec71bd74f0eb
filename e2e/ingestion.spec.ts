import { Analytics } from "@segment/analytics-node";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, createKey, signIn, snap } from "./helpers";

/**
 * Events in through the real @segment/analytics-node client, profiles out through the read
 * API, with keys an admin created in Settings → API keys.
 */
test.describe.configure({ mode: "serial" });

let page: Page;
let writeKey: string;
let secretKey: string;

test("an admin creates a write key and a secret key, each shown once", async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN);
  await page.goto("/settings/api-keys");
  writeKey = await createKey(page, "Website", "write");
  // A ready-to-paste snippet for the Segment client, with this key.
  await expect(page.locator("pre")).toContainText(`writeKey: "${writeKey}"`);
  await expect(page.locator("pre")).toContainText('path: "/api/v1/batch"');
  await snap(page, "settings-api-keys");
  secretKey = await createKey(page, "Backend", "secret");
  const table = page.getByTestId("keys-table");
  // Other specs made keys of their own in this workspace: these two are listed, once each.
  await expect(table.getByRole("row").filter({ hasText: /^Website|^Backend/ })).toHaveCount(2);
  // Only a prefix is listed, never the key.
  await expect(table).not.toContainText(writeKey);
});

test("@segment/analytics-node sends identify, track, page and alias; the profile API returns them", async ({ baseURL, request }) => {
  const errors: unknown[] = [];
  const analytics = new Analytics({ writeKey, host: baseURL!, path: "/api/v1/batch", flushAt: 20, flushInterval: 200, maxRetries: 1 });
  analytics.on("error", (error) => errors.push(error));
  analytics.page({ anonymousId: "anon-e2e", name: "Pricing", properties: { path: "/pricing" } });
  analytics.track({ anonymousId: "anon-e2e", event: "tariff_calculator_opened", properties: { plan: "pro" } });
  analytics.identify({ userId: "e2e-user", anonymousId: "anon-e2e", traits: { email: "e2e@example.com", goal: "run_faster", plan: "pro" } });
  analytics.track({ userId: "e2e-user", event: "purchase", properties: { amount: 249, product: "Pulse 3" } });
  analytics.alias({ userId: "e2e-user", previousId: "legacy-42" });
  await analytics.closeAndFlush({ timeout: 10_000 });
  expect(errors).toEqual([]);

  const auth = { authorization: `Bearer ${secretKey}` };
  const profileRes = await request.get("/api/v1/profiles/e2e-user", { headers: auth });
  expect(profileRes.status()).toBe(200);
  const profile = await profileRes.json();
  expect(profile).toMatchObject({ userId: "e2e-user", email: "e2e@example.com", traits: { goal: "run_faster", plan: "pro" } });
  expect(profile.identities).toEqual(
    expect.arrayContaining([
      { kind: "user_id", value: "e2e-user" },
      { kind: "anonymous_id", value: "anon-e2e" },
      { kind: "anonymous_id", value: "legacy-42" },
    ]),
  );
  // The anonymous id resolves to the same person.
  expect((await (await request.get("/api/v1/profiles/anon-e2e", { headers: auth })).json()).id).toBe(profile.id);

  const first = await (await request.get("/api/v1/profiles/e2e-user/events?limit=3", { headers: auth })).json();
  expect(first.events).toHaveLength(3);
  const rest = await (await request.get(`/api/v1/profiles/e2e-user/events?limit=3&before=${first.next}`, { headers: auth })).json();
  const all = [...first.events, ...rest.events];
  expect(all.map((e: { type: string; name: string | null }) => e.name ?? e.type).sort()).toEqual(
    ["Pricing", "alias", "identify", "purchase", "tariff_calculator_opened"].sort(),
  );
  expect(rest.next).toBeNull();
  expect(all.find((e: { name: string }) => e.name === "purchase").properties).toEqual({ amount: 249, product: "Pulse 3" });

  expect((await request.get("/api/v1/profiles/nobody", { headers: auth })).status()).toBe(404);
  expect((await request.get("/api/v1/profiles/e2e-user", { headers: { authorization: `Bearer ${writeKey}` } })).status()).toBe(401);
});

test("search a profile, open it, filter its timeline", async () => {
  await page.goto("/profiles");
  await page.getByLabel("Search profiles").fill("e2e@exam");
  const table = page.getByTestId("profiles-table");
  await expect(table.getByRole("link")).toHaveCount(1);
  await snap(page, "profiles-search");
  // People are listed by name or email, not by id; the id is beside it.
  await expect(table).toContainText("e2e-user");
  await table.getByRole("link", { name: "e2e@example.com" }).click();

  await expect(page.getByRole("heading", { name: "e2e@example.com" })).toBeVisible();
  await expect(page.getByText(/^e2e-user · first seen/)).toBeVisible();
  await expect(page.getByTestId("traits")).toContainText("run_faster");
  await expect(page.getByTestId("identities").getByRole("listitem")).toHaveCount(3);
  const timeline = page.getByTestId("timeline");
  await expect(timeline.getByRole("listitem")).toHaveCount(5);

  await page.getByLabel("Event").selectOption("purchase");
  await expect(timeline.getByRole("listitem")).toHaveCount(1);
  await timeline.getByRole("button", { name: /purchase/ }).click();
  await expect(timeline).toContainText("Pulse 3");
  await expect(timeline).toContainText("249");
  await snap(page, "profile");

  // Search by a trait value and by an anonymous id find the same person.
  await page.goto("/profiles");
  await page.getByLabel("Search profiles").fill("run_faster");
  await expect(page.getByTestId("profiles-table").getByRole("link", { name: "e2e@example.com" })).toBeVisible();
  await page.getByLabel("Search profiles").fill("anon-e2e");
  await expect(page.getByTestId("profiles-table").getByRole("link", { name: "e2e@example.com" })).toBeVisible();
  await page.getByLabel("Search profiles").fill("no-such-person-anywhere");
  await expect(page.getByText("No profiles match")).toBeVisible();
});

test("import a CSV with bad rows: the good rows land, the report names the bad ones", async () => {
  await page.goto("/profiles");
  await page.getByRole("button", { name: "Import CSV" }).click();
  await page.getByLabel("CSV file").setInputFiles(path.join(import.meta.dirname, "fixtures", "profiles.csv"));
  await expect(page.getByText("5 rows, 5 columns")).toBeVisible();
  await expect(page.getByLabel("Id column")).toHaveValue("user_id");
  await expect(page.getByLabel("Email column")).toHaveValue("email");
  await page.getByRole("button", { name: "Import 5 profiles" }).click();
  const report = page.getByTestId("import-report");
  await expect(report).toContainText("3 profiles imported, 2 rows failed");
  await expect(report.getByRole("row").filter({ hasText: "id is required" })).toContainText("4");
  await expect(report.getByRole("row").filter({ hasText: "email is not a valid address" })).toContainText("5");
  await expect(report.getByRole("link", { name: "Download the error report (CSV)" })).toBeVisible();
  await snap(page, "profiles-import-report");

  await page.getByLabel("Search profiles").fill("csv-ada");
  await expect(page.getByTestId("profiles-table")).toContainText("csv-ada");
  await page.getByTestId("profiles-table").getByRole("link", { name: "ada@import.test" }).click();
  await expect(page.getByTestId("traits")).toContainText("Berlin");
  await expect(page.getByTestId("traits")).toContainText("36");
});

test("a marketer cannot delete or export a person; an admin exports and deletes them", async ({ browser, request }) => {
  // Invite a marketer and let them join.
  await page.goto("/settings/members");
  await page.getByLabel("Email address").fill("mara@acme.test");
  await page.getByLabel("Role", { exact: true }).selectOption("marketer");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = await page.getByTestId("invite-link").inputValue();
  const marketer = await (await browser.newContext()).newPage();
  await marketer.goto(link);
  await marketer.getByLabel("Your name").fill("Mara Marketer");
  await marketer.getByLabel("Password").fill("marketer-password-1");
  await marketer.getByRole("button", { name: "Join workspace" }).click();
  await marketer.waitForURL("/");

  const auth = { authorization: `Bearer ${secretKey}` };
  const profile = await (await request.get("/api/v1/profiles/e2e-user", { headers: auth })).json();
  await marketer.goto(`/profiles/${profile.id}`);
  await expect(marketer.getByRole("heading", { name: "e2e@example.com" })).toBeVisible();
  await expect(marketer.getByRole("button", { name: "Delete person" })).toHaveCount(0);
  const refused = await marketer.request.post("/api/trpc/profiles.delete", { data: { json: { id: profile.id } } });
  expect(refused.status()).toBe(403);
  expect((await marketer.request.post(`/api/profiles/${profile.id}/export`, { data: {} })).status()).toBe(403);
  // The export is a same-origin JSON POST: a link another site could make a browser follow does nothing.
  expect((await page.request.get(`/api/profiles/${profile.id}/export`)).status()).toBe(405);
  const fromElsewhere = await page.request.post(`/api/profiles/${profile.id}/export`, { data: {}, headers: { origin: "https://evil.example" } });
  expect(fromElsewhere.status()).toBe(403);
  const asForm = await page.request.post(`/api/profiles/${profile.id}/export`, { form: { x: "1" } });
  expect(asForm.status()).toBe(415);

  // The admin exports, then deletes.
  await page.goto(`/profiles/${profile.id}`);
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export data" }).click();
  const file = await (await download).path();
  const exported = JSON.parse(await import("node:fs/promises").then((fs) => fs.readFile(file, "utf8")));
  expect(exported.profile.userId).toBe("e2e-user");
  expect(exported.events.length).toBeGreaterThanOrEqual(5);

  await page.getByRole("button", { name: "Delete person" }).click();
  await snap(page, "profile-delete");
  await page.getByRole("dialog").getByRole("button", { name: "Delete permanently" }).click();
  await page.waitForURL(/\/profiles$/);
  await expect(page.getByText(/Deleted e2e@example.com/)).toBeVisible();
  expect((await request.get("/api/v1/profiles/e2e-user", { headers: auth })).status()).toBe(404);

  // Later events for the deleted person are dropped.
  const after = await request.post("/api/v1/track", {
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` },
    data: { userId: "e2e-user", event: "came_back" },
  });
  expect(after.status()).toBe(200);
  expect((await request.get("/api/v1/profiles/e2e-user", { headers: auth })).status()).toBe(404);
});

test("a revoked write key is refused", async ({ request }) => {
  await page.goto("/settings/api-keys");
  await page.getByRole("button", { name: "Revoke Website" }).click();
  await page.getByRole("dialog", { name: "Revoke this key?" }).getByRole("button", { name: "Revoke key" }).click();
  await expect(page.getByText("Key revoked")).toBeVisible();
  const res = await request.post("/api/v1/track", {
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` },
    data: { userId: "e2e-user", event: "after_revoke" },
  });
  expect(res.status()).toBe(401);
});
