import { expect, test, type Page } from "@playwright/test";
import pg from "pg";
import { parseKeyring } from "../server/channels/credentials";
import { linksFor, signLinkToken } from "../server/consent/links";
import { ADMIN, createKey, signIn, snap } from "./helpers";

/**
 * Consent, end to end: an admin sets up subscription groups; a person's signed link opens
 * the hosted preference page without signing in, where they unsubscribe; the profile shows
 * the new state and where it came from; a segment counts them; one-click works; a forged
 * link is a friendly 404. (Named to run after foundation.spec.ts, which creates the admin:
 * Playwright runs the files in name order.)
 */
test.describe.configure({ mode: "serial" });

// The master key playwright.config.ts gives the app (links are signed with it).
const MASTER_KEY = process.env.E2E_SECRET_KEY ?? "ZTJlLW1hc3Rlci1rZXktZTJlLW1hc3Rlci1rZXktMDA=";
const NEWS = "Weekly tips (e2e)";
const SMS = "SMS deals (e2e)";

let page: Page;
let secretKey: string;
let profileId: string;
let workspaceId: string;

async function ids(userId: string) {
  const db = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await db.connect();
  try {
    const { rows } = await db.query<{ id: string; workspace_id: string }>("SELECT id, workspace_id FROM profiles WHERE user_id = $1", [userId]);
    return rows[0]!;
  } finally {
    await db.end();
  }
}

const link = (groupId: string | null) => linksFor(signLinkToken(parseKeyring(MASTER_KEY), { workspaceId, profileId, groupId, channel: "email" }), "");

test("an admin sets up subscription groups in Settings → Subscriptions, with clear errors", async ({ browser, request }) => {
  page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN);
  await page.goto("/settings/api-keys");
  const writeKey = await createKey(page, "Consent site", "write");
  secretKey = await createKey(page, "Consent backend", "secret");
  const identify = await request.post("/api/v1/identify", {
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` },
    data: { userId: "consent-e2e", traits: { email: "grace@example.com", name: "Grace Hopper" } },
  });
  expect(identify.status()).toBe(200);
  ({ id: profileId, workspace_id: workspaceId } = await ids("consent-e2e"));

  await page.goto("/settings/subscriptions");
  await expect(page.getByRole("link", { name: "Subscriptions" })).toHaveAttribute("aria-current", "page");
  await page.getByRole("button", { name: /^New (subscription )?group$/ }).click();
  // Nothing typed: the form says what is missing before anything is sent.
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByText("is required")).toBeVisible();
  await page.getByLabel("Name").fill(NEWS);
  await page.getByLabel("Description (optional)").fill("One short tip a week.");
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByText(`Saved “${NEWS}”`)).toBeVisible();

  await page.getByRole("button", { name: "New group" }).click();
  await page.getByLabel("Name").fill(NEWS);
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "already exists" })).toBeVisible();
  await page.getByLabel("Name").fill(SMS);
  await page.getByLabel("Channel").selectOption("sms");
  await page.getByLabel(/^Opt-in/).check();
  await page.getByRole("button", { name: "Create group" }).click();
  await expect(page.getByText(`Saved “${SMS}”`)).toBeVisible();

  const rows = page.getByTestId("subscription-group");
  await expect(rows.filter({ hasText: NEWS })).toContainText("Opt-out");
  await expect(rows.filter({ hasText: SMS })).toContainText("Opt-in");
  // Editing: the channel and mode are fixed.
  await rows.filter({ hasText: SMS }).getByRole("button", { name: "Edit" }).click();
  await expect(page.getByLabel("Channel")).toBeDisabled();
  await page.getByRole("button", { name: "Cancel" }).click();
  await page.setViewportSize({ width: 1440, height: 900 });
  await snap(page, "page-settings-subscriptions");
});

test("the profile's Consent tab shows each group's state and that it is the default", async () => {
  await page.goto(`/profiles/${profileId}`);
  await page.getByRole("tab", { name: "Consent" }).click();
  const news = page.getByTestId("consent-state").filter({ hasText: NEWS });
  await expect(news).toHaveAttribute("data-subscribed", "true");
  await expect(news).toContainText("default: never answered");
  await expect(page.getByTestId("consent-state").filter({ hasText: SMS })).toHaveAttribute("data-subscribed", "false");
});

test("the preference page, opened from a signed link without signing in, unsubscribes", async ({ browser }) => {
  const groups = await (await page.request.get("/api/v1/profiles/consent-e2e/subscriptions", { headers: { authorization: `Bearer ${secretKey}` } })).json();
  const newsId = (groups.subscriptions as { groupId: string; name: string }[]).find((g) => g.name === NEWS)!.groupId;
  const person = await (await browser.newContext()).newPage();
  const { unsubscribeUrl } = link(newsId);
  await person.goto(unsubscribeUrl);
  await expect(person.getByRole("heading", { name: "Your email preferences" })).toBeVisible();
  await expect(person.getByText(ADMIN.workspace, { exact: true })).toBeVisible();
  // The email address is not on the page: the link is all it takes to open it.
  await expect(person.locator("body")).not.toContainText("grace@example.com");
  await expect(person.getByText(`Unsubscribe from ${NEWS}?`)).toBeVisible();
  // Only the email channel's groups are listed.
  await expect(person.getByText(SMS)).toHaveCount(0);
  await snap(person, "preferences-confirm");
  await person.getByRole("button", { name: "Unsubscribe", exact: true }).click();
  await expect(person.getByTestId("preferences-notice")).toHaveText(`You are unsubscribed from “${NEWS}”.`);
  await expect(person.getByRole("checkbox", { name: new RegExp(NEWS.replace(/[()]/g, "\\$&")) })).not.toBeChecked();
  await snap(person, "preferences-unsubscribed");
  // No session was needed, and none was made.
  expect(await person.context().cookies()).toEqual([]);
});

test("the profile shows the new state, where and when it came from", async () => {
  await page.reload();
  await page.getByRole("tab", { name: "Consent" }).click();
  const news = page.getByTestId("consent-state").filter({ hasText: NEWS });
  await expect(news).toHaveAttribute("data-subscribed", "false");
  await expect(news).toContainText("their answer");
  const record = page.getByTestId("consent-record").first();
  await expect(record).toContainText(`Unsubscribed from ${NEWS}`);
  await expect(record).toContainText("Preference page · wording preference-page-v1");
  await snap(page, "profile-consent");
});

test("a segment of the people who left the group counts them", async ({ browser }) => {
  // A page of its own: the builder asks before leaving an unsaved draft.
  const builder = await (await browser.newContext()).newPage();
  await signIn(builder, ADMIN);
  await builder.goto("/segments/new");
  await builder.getByRole("button", { name: "Add condition" }).click();
  await builder.getByRole("menuitem", { name: "Subscribed to a group (consent)" }).click();
  const condition = builder.getByTestId("condition").first();
  await condition.getByLabel("Subscription", { exact: true }).selectOption("unsubscribed");
  await condition.getByLabel("Subscription group").selectOption({ label: `${NEWS} (Email · Opt-out)` });
  await expect(builder.getByTestId("exact-count")).toHaveText("1");
  await snap(builder, "segment-builder-subscription");
  await builder.context().close();
});

test("a marketer's change on the profile, one-click unsubscribe, and a forged link", async ({ browser, request }) => {
  // An admin subscribes them again from the profile (recorded as changed in Junction).
  await page.goto(`/profiles/${profileId}`);
  await page.getByRole("tab", { name: "Consent" }).click();
  await page.getByRole("button", { name: `Subscribe to ${NEWS}` }).click();
  await expect(page.getByTestId("consent-state").filter({ hasText: NEWS })).toHaveAttribute("data-subscribed", "true");
  await expect(page.getByTestId("consent-record").first()).toContainText("Changed in Junction");

  // RFC 8058: the mail app POSTs to the List-Unsubscribe address.
  const groups = await (await request.get("/api/v1/profiles/consent-e2e/subscriptions", { headers: { authorization: `Bearer ${secretKey}` } })).json();
  const newsId = (groups.subscriptions as { groupId: string; name: string }[]).find((g) => g.name === NEWS)!.groupId;
  const oneClick = await request.post(link(newsId).oneClickUrl, { form: { "List-Unsubscribe": "One-Click" } });
  expect(oneClick.status()).toBe(200);
  await page.reload();
  await page.getByRole("tab", { name: "Consent" }).click();
  await expect(page.getByTestId("consent-state").filter({ hasText: NEWS })).toHaveAttribute("data-subscribed", "false");
  await expect(page.getByTestId("consent-record").first()).toContainText("One-click unsubscribe");

  // A link someone changed: a friendly page, a 404, never an error page.
  const person = await (await browser.newContext()).newPage();
  // A character in the middle of the signature changed (the last one's spare bits alone would not change its bytes).
  const url = link(newsId).preferencesUrl;
  const at = url.length - 10;
  const forged = url.slice(0, at) + (url[at] === "A" ? "B" : "A") + url.slice(at + 1);
  const res = await person.goto(forged);
  expect(res?.status()).toBe(404);
  await expect(person.getByRole("heading", { name: "This link doesn’t work" })).toBeVisible();
  expect((await request.post(`/api/v1/unsubscribe/not-a-token`, { form: { "List-Unsubscribe": "One-Click" } })).status()).toBe(404);
});
