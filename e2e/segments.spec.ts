import { expect, test, type Browser, type Page } from "@playwright/test";
import { readFile } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { ADMIN, createKey, SCREENSHOTS, signIn, snap } from "./helpers";

/**
 * The segment builder, by clicking: a marketer (here the admin) builds
 * "country = DE AND purchase ≥ 3 in the last 30 days AND did not app_open in the last 7 days",
 * sees the engine's exact count, undoes and redoes, is stopped by an unfinished condition,
 * saves, reloads; a viewer can open and preview it but not save.
 */
test.describe.configure({ mode: "serial" });

const DAY = 86_400_000;
const SEG_VIEWER = { name: "Sam Segments", email: "sam@acme.test", password: "viewer-password-456" };

let page: Page;
/** Errors the builder's page logged (a CSP violation among them): none, checked at the end. */
const consoleErrors: string[] = [];
let writeKey: string;
let secretKey: string;
let segmentUrl: string;

const definition = {
  schemaVersion: 1,
  root: {
    type: "group",
    op: "and",
    children: [
      { type: "trait", field: "country", valueType: "string", operator: { op: "equals", value: "DE" } },
      { type: "event", event: "purchase", where: [], count: { op: "gte", value: 3 }, window: { kind: "last", amount: 30, unit: "days" } },
      { type: "event", event: "app_open", where: [], count: { op: "eq", value: 0 }, window: { kind: "last", amount: 7, unit: "days" } },
    ],
  },
};

async function newPage(browser: Browser) {
  return (await browser.newContext()).newPage();
}

test("shoppers in Germany and elsewhere send their events", async ({ browser, request }) => {
  page = await newPage(browser);
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  await signIn(page, ADMIN);
  await page.goto("/settings/api-keys");
  writeKey = await createKey(page, "Segments e2e", "write");
  await page.reload();
  secretKey = await createKey(page, "Segments e2e read", "secret");

  const now = Date.now();
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const batch: Record<string, unknown>[] = [];
  const person = (userId: string, country: string, purchases: number[], appOpens: number[]) => {
    batch.push({ type: "identify", userId, traits: { country, email: `${userId}@shop.test`, plan: "free" } });
    for (const d of purchases) batch.push({ type: "track", userId, event: "purchase", timestamp: at(d), properties: { amount: 129, product: "Pulse 3" } });
    for (const d of appOpens) batch.push({ type: "track", userId, event: "app_open", timestamp: at(d) });
  };
  person("seg-de-1", "DE", [1, 5, 20], []); // in
  person("seg-de-2", "DE", [2, 3, 4, 25], [12]); // in: app opened, but 12 days ago
  person("seg-de-3", "DE", [1, 2, 3], [2]); // out: opened the app 2 days ago
  person("seg-de-4", "DE", [1, 2, 45], []); // out: only 2 purchases in 30 days
  person("seg-fr-1", "FR", [1, 2, 3], []); // out: France
  batch.push({ type: "identify", userId: "seg-uk-1", traits: { country: "UK" } }); // no plan at all
  const res = await request.post("/api/v1/batch", { headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` }, data: { batch } });
  expect(res.status()).toBe(200);
});

test("the segments page starts empty, with starter segments", async () => {
  await page.goto("/segments");
  await expect(page.getByRole("heading", { name: "No segments yet" })).toBeVisible();
  for (const name of ["Cart abandoners", "Lapsed buyers", "Feature explorers who never finish"]) await expect(page.getByRole("link", { name: new RegExp(name) })).toBeVisible();
  await snap(page, "segments-empty");
  await page.getByRole("link", { name: "New segment" }).click();
  await expect(page).toHaveURL(/\/segments\/new$/);
  await expect(page.getByText("No conditions yet: this segment is everyone.")).toBeVisible();
  await snap(page, "segment-builder-empty");
});

test("a marketer builds DE + purchase ≥ 3 in 30 days + no app_open in 7 days by clicking; the exact count is the engine's", async ({ request }) => {
  await page.getByLabel("Segment name").fill("German buyers gone quiet");

  // country = DE
  await page.getByRole("button", { name: "Add condition" }).click();
  await page.getByRole("menuitem", { name: "Trait or profile field" }).click();
  const trait = page.getByTestId("condition").nth(0);
  await expect(trait.getByLabel("Trait", { exact: true })).toHaveValue("country");
  await trait.getByLabel("Trait operator").selectOption("equals");
  await trait.getByLabel("Trait value").fill("DE");

  // purchase ≥ 3 in the last 30 days
  await page.getByRole("button", { name: "Add condition" }).click();
  await page.getByRole("menuitem", { name: "Performed an event" }).click();
  const bought = page.getByTestId("condition").nth(1);
  await bought.getByLabel("How often").selectOption("gte");
  await bought.getByLabel("Times", { exact: true }).fill("3");
  await bought.getByLabel("Event name").fill("purchase");
  await bought.getByLabel("Time window").selectOption("last");
  await bought.getByLabel("Window length").fill("30");

  // did not app_open in the last 7 days
  await page.getByRole("button", { name: "Add condition" }).click();
  await page.getByRole("menuitem", { name: "Performed an event" }).click();
  const quiet = page.getByTestId("condition").nth(2);
  await quiet.getByLabel("How often").selectOption("none");
  await quiet.getByLabel("Event name").fill("app_open");
  await quiet.getByLabel("Window length").fill("7");

  // The AND between them is labelled; ALL/ANY is a radio group the arrow keys switch (and undo puts back).
  await expect(page.getByText("AND", { exact: true })).toHaveCount(2);
  const all = page.getByRole("radio", { name: "ALL" });
  await all.focus();
  await page.keyboard.press("ArrowRight");
  await expect(page.getByRole("radio", { name: "ANY" })).toHaveAttribute("aria-checked", "true");
  await expect(page.getByText("OR", { exact: true })).toHaveCount(2);
  await page.keyboard.press("Control+z");
  await expect(all).toHaveAttribute("aria-checked", "true");

  const engine = await request.post("/api/v1/segments/count", { headers: { authorization: `Bearer ${secretKey}` }, data: { definition } });
  expect(engine.status()).toBe(200);
  const { exact } = (await engine.json()) as { exact: number };
  expect(exact).toBe(2);
  await expect(page.getByTestId("exact-count")).toHaveText(exact.toLocaleString("en"));
  // Per-condition counts beside each top-level condition.
  await expect(page.getByTestId("condition-count")).toHaveCount(3);
  await expect(page.getByTestId("sample-members")).toContainText("seg-de-1");
  await expect(page.getByTestId("sample-members")).toContainText("seg-de-2");
  await expect(page.getByTestId("dirty")).toBeVisible();
  await snap(page, "segment-builder-preview");
});

test("undo and redo restore edits", async () => {
  const quiet = page.getByTestId("condition").nth(2);
  await page.getByLabel("Segment name").focus(); // the marketer comes back to the window later
  await quiet.getByLabel("Window length").fill("14");
  await quiet.getByLabel("Window length").blur();
  await page.keyboard.press("Control+z");
  await expect(quiet.getByLabel("Window length")).toHaveValue("7");
  await page.keyboard.press("Control+Shift+z");
  await expect(quiet.getByLabel("Window length")).toHaveValue("14");
  await page.getByRole("button", { name: "Undo (Ctrl+Z)" }).click();
  await expect(quiet.getByLabel("Window length")).toHaveValue("7");
  await expect(page.getByTestId("exact-count")).toHaveText("2");

  // Drag to reorder (the arrows do the same by keyboard); undo puts it back.
  const conditions = page.getByTestId("condition");
  await conditions.nth(2).getByTestId("drag-handle").dragTo(conditions.nth(0));
  await expect(conditions.nth(0).getByLabel("Event name")).toHaveValue("app_open");
  await expect(conditions.nth(1).getByLabel("Trait value")).toHaveValue("DE");
  await page.keyboard.press("Control+z");
  await expect(conditions.nth(0).getByLabel("Trait value")).toHaveValue("DE");
  await conditions.nth(0).getByRole("button", { name: "Move condition 1 down" }).click();
  await expect(conditions.nth(1).getByLabel("Trait value")).toHaveValue("DE");
  await page.keyboard.press("Control+z");
  await expect(conditions.nth(0).getByLabel("Trait value")).toHaveValue("DE");
});

test("an unfinished condition is left out of the count and marked; focus follows adding and removing; the save is refused", async () => {
  await page.getByRole("button", { name: "Add condition" }).click();
  await page.getByRole("menuitem", { name: "Trait or profile field" }).click();
  const added = page.getByTestId("condition").nth(3);
  // Keyboard users land in the new condition, not on the page body.
  await expect(added.locator("[data-node-body] :is(input, select)").first()).toBeFocused();
  // The finished conditions are still counted, each with its own count; the new one is marked as left out.
  await expect(added.getByTestId("condition-unfinished")).toHaveText("Unfinished · not counted");
  await expect(page.getByTestId("left-out")).toHaveText("Without the unfinished condition (marked)");
  await expect(page.getByTestId("exact-count")).toHaveText("2");
  await expect(page.getByTestId("condition-count")).toHaveCount(3);
  await snap(page, "segment-builder-unfinished");
  await page.getByRole("button", { name: "Save segment" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "Fix the marked condition first." })).toBeVisible();
  const unfinished = page.getByTestId("condition").nth(3);
  await expect(unfinished).toHaveAttribute("data-invalid", "true");
  await expect(unfinished.getByLabel("Trait value")).toHaveAttribute("aria-invalid", "true");
  await expect(unfinished).toContainText("Value is required");
  await expect(page).toHaveURL(/\/segments\/new$/);
  await snap(page, "segment-builder-invalid");
  await unfinished.getByRole("button", { name: /^Remove condition/ }).click();
  await expect(page.getByTestId("condition")).toHaveCount(3);
  // Removing the last condition moves focus to the one before it.
  await expect(page.getByTestId("condition").nth(2).locator("[data-node-body] :is(input, select)").first()).toBeFocused();
  await expect(page.getByTestId("left-out")).toHaveCount(0);
});

test("save, reload: the definition is intact", async () => {
  await page.getByRole("button", { name: "Save segment" }).click();
  await expect(page).toHaveURL(/\/segments\/(?!new)[\w-]+$/);
  segmentUrl = page.url();
  await expect(page.getByTestId("dirty")).toHaveCount(0);
  await page.reload();
  await expect(page.getByLabel("Segment name")).toHaveValue("German buyers gone quiet");
  const conditions = page.getByTestId("condition");
  await expect(conditions).toHaveCount(3);
  await expect(conditions.nth(0).getByLabel("Trait value")).toHaveValue("DE");
  await expect(conditions.nth(1).getByLabel("Event name")).toHaveValue("purchase");
  await expect(conditions.nth(1).getByLabel("Times", { exact: true })).toHaveValue("3");
  await expect(conditions.nth(2).getByLabel("How often")).toHaveValue("none");
  await expect(conditions.nth(2).getByLabel("Window length")).toHaveValue("7");
  await expect(page.getByTestId("exact-count")).toHaveText("2");

  await page.goto("/segments");
  const row = page.getByTestId("segments-table").getByRole("row").filter({ hasText: "German buyers gone quiet" });
  await expect(row).toContainText(ADMIN.email);
  await expect(row).toContainText("2");
  await snap(page, "segments-list");
});

test("export the segment's members as CSV: one row per person of the exact count", async () => {
  await page.goto(segmentUrl);
  await expect(page.getByTestId("exact-count")).toHaveText("2");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export members (CSV)" }).click();
  const text = await readFile((await (await download).path())!, "utf8");
  const rows = text.trim().split("\r\n");
  expect(rows[0]).toBe("profile_id,user_id,email,phone,country,timezone,locale,first_seen_at,last_seen_at,traits");
  expect(rows.length - 1).toBe(2);
  expect(rows.slice(1).map((r) => r.split(",")[1]).sort()).toEqual(["seg-de-1", "seg-de-2"]);
  await expect(page.getByTestId("export-result")).toHaveText("Exported 2 people.");
});

test("a negated trait says whether people without the trait count, and counting them in changes the number like the engine says", async ({ request }) => {
  await page.goto("/segments/new");
  await page.getByRole("button", { name: "Add condition" }).click();
  await page.getByRole("menuitem", { name: "Trait or profile field" }).click();
  const trait = page.getByTestId("condition").nth(0);
  await trait.getByLabel("Trait", { exact: true }).fill("plan");
  await trait.getByLabel("Trait operator").selectOption("notEquals");
  await trait.getByLabel("Trait value").fill("PRO");
  await trait.getByText("any case").click();
  const without = trait.getByLabel("Trait: people without a value");
  await expect(without).toHaveValue("out");
  const count = async (includeMissing: boolean) => {
    const definition = { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "traits.plan", valueType: "string", operator: { op: "notEquals", value: "PRO", ignoreCase: true, ...(includeMissing ? { includeMissing } : {}) } }] } };
    const res = await request.post("/api/v1/segments/count", { headers: { authorization: `Bearer ${secretKey}` }, data: { definition } });
    return ((await res.json()) as { exact: number }).exact;
  };
  const [leftOut, countedIn] = [await count(false), await count(true)];
  expect(countedIn).toBeGreaterThan(leftOut);
  await expect(page.getByTestId("exact-count")).toHaveText(leftOut.toLocaleString("en"));
  await without.selectOption("in");
  await expect(page.getByTestId("exact-count")).toHaveText(countedIn.toLocaleString("en"));
  await snap(page, "segment-builder-negation");
});

test("test a profile in the builder; the profile's Segments tab says why they are in", async () => {
  await page.goto(segmentUrl);
  await page.getByLabel("Find a profile to test").fill("seg-de-3");
  await page.getByRole("button", { name: /^seg-de-3/ }).click();
  const tested = page.getByTestId("test-profile");
  await expect(tested).toContainText("Not in this segment");
  const holds = tested.getByTestId("explained-condition");
  await expect(holds).toHaveCount(3);
  await expect(holds.nth(0)).toHaveAttribute("data-holds", "true");
  await expect(holds.nth(1)).toHaveAttribute("data-holds", "true");
  await expect(holds.nth(2)).toHaveAttribute("data-holds", "false");
  await expect(holds.nth(2)).toContainText("app_open not at all in the last 7 days — 1 matching event");
  await expect(page.getByTestId("size-history")).toBeVisible();

  // A member, from the sample: their profile's Segments tab (membership is materialised after the save).
  await page.getByTestId("sample-members").getByRole("link", { name: /seg-de-1/ }).click();
  await expect(page).toHaveURL(/\/profiles\//);
  await expect(async () => {
    await page.reload();
    await page.getByRole("tab", { name: "Segments" }).click();
    await expect(page.getByTestId("profile-segments")).toContainText("German buyers gone quiet", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  const why = page.getByTestId("profile-segments").getByTestId("explained-condition");
  await expect(why).toHaveCount(3);
  for (const i of [0, 1, 2]) await expect(why.nth(i)).toHaveAttribute("data-holds", "true");
  await expect(why.nth(0)).toContainText("country is “DE” — has “DE”");
  await snap(page, "profile-segments");
});

test("the threshold helper shows how many people bought 0, 1, 2, … times", async () => {
  await page.goto(segmentUrl);
  const bought = page.getByTestId("condition").nth(1);
  await bought.getByRole("button", { name: "How often do people do this?" }).click();
  const helper = bought.getByTestId("threshold-helper");
  // In the last 30 days: seg-de-1, seg-de-3 and seg-fr-1 bought 3 times, seg-de-2 4 times, seg-de-4 twice.
  await expect(helper.locator("[data-k='3']")).toHaveAttribute("data-count", "3");
  await expect(helper.locator("[data-k='4']")).toHaveAttribute("data-count", "1");
  await expect(helper.locator("[data-k='2']")).toHaveAttribute("data-count", "1");
  await expect(helper.locator("[data-k='3']")).toHaveAttribute("data-selected", "true");
  await expect(helper.locator("[data-k='2']")).not.toHaveAttribute("data-selected", "true");
  await expect(helper).toContainText("Cut at ≥ 3: 4 of");
  // This workspace is previewed like a big one: a sampled estimate first, then the exact bins, each labelled.
  await expect(helper).not.toContainText("estimated");
  await expect(helper.locator("[data-k='4']")).toContainText("1");
  await snap(page, "segment-threshold-helper");
  // Moving the cut by clicking a bar is an edit like any other: undo puts it back.
  await helper.locator("[data-k='4']").click();
  await expect(bought.getByLabel("Times", { exact: true })).toHaveValue("4");
  await page.keyboard.press("Control+z");
  await expect(bought.getByLabel("Times", { exact: true })).toHaveValue("3");
  await expect(page.getByTestId("dirty")).toHaveCount(0);
});

test("the overlap view of two saved segments shows the engine's intersection count", async ({ request }) => {
  // A second segment, by clicking: everyone in Germany.
  await page.goto("/segments/new");
  await page.getByLabel("Segment name").fill("German shoppers");
  await page.getByRole("button", { name: "Add condition" }).click();
  await page.getByRole("menuitem", { name: "Trait or profile field" }).click();
  await page.getByTestId("condition").nth(0).getByLabel("Trait value").fill("DE");
  await page.getByRole("button", { name: "Save segment" }).click();
  await expect(page).toHaveURL(/\/segments\/(?!new)[\w-]+$/);

  const both = { schemaVersion: 1, root: { type: "group", op: "and", children: [...definition.root.children, definition.root.children[0]] } };
  const engine = await request.post("/api/v1/segments/count", { headers: { authorization: `Bearer ${secretKey}` }, data: { definition: both } });
  const { exact } = (await engine.json()) as { exact: number };
  expect(exact).toBe(2);

  await page.goto("/segments");
  await page.getByRole("link", { name: "Compare overlap" }).click();
  await expect(page).toHaveURL(/\/segments\/overlap$/);
  await page.getByRole("checkbox", { name: /German buyers gone quiet/ }).check();
  await page.getByRole("checkbox", { name: /German shoppers/ }).check();
  // Membership is materialised by the refresh job after each save: wait for it.
  await expect(async () => {
    await page.reload();
    await page.getByRole("checkbox", { name: /German buyers gone quiet/ }).check();
    await page.getByRole("checkbox", { name: /German shoppers/ }).check();
    await expect(page.getByTestId("overlap-0-1")).toContainText(String(exact), { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.getByTestId("overlap-warning")).toContainText("Not mutually exclusive");
  await expect(page.getByTestId("overlap-none")).toContainText("In none of them");
  await page.getByTestId("overlap-0-1").click();
  await expect(page.getByTestId("overlap-members")).toContainText("seg-de-1");
  await expect(page.getByTestId("overlap-members")).toContainText("seg-de-2");
  await snap(page, "segment-overlap");
});

test("archiving asks first, refuses while another segment uses it (naming it), and the row leaves at once, with an undo", async () => {
  const listed = await page.request.get("/api/trpc/segments.list?input=" + encodeURIComponent(JSON.stringify({ json: { search: "German shoppers" } })));
  const shoppersId = ((await listed.json()) as { result: { data: { json: { items: { id: string }[] } } } }).result.data.json.items[0]!.id;
  const created = await page.request.post("/api/trpc/segments.create", {
    data: { json: { name: "Shoppers, refined", description: "", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "segment", op: "in", segmentId: shoppersId }] } } } },
  });
  expect(created.status()).toBe(200);

  await page.goto("/segments");
  await page.getByRole("button", { name: "Archive German shoppers" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Other segments are built on it");
  await expect(dialog.getByRole("link", { name: "Shoppers, refined" })).toBeVisible();
  await expect(dialog.getByRole("button", { name: "Archive" })).toBeDisabled();
  await snap(page, "segment-archive-blocked");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();

  await page.getByRole("button", { name: "Archive Shoppers, refined" }).click();
  await expect(dialog).toContainText("It stops updating and leaves the list");
  await dialog.getByRole("button", { name: "Archive" }).click();
  await expect(page.getByText("Archived “Shoppers, refined”")).toBeVisible();
  await expect(page.getByTestId("segments-table").getByRole("link", { name: "Shoppers, refined" })).toHaveCount(0);

  // "Include archived" adds archived segments to the list, marked, beside the live ones.
  await page.getByLabel("Include archived").check();
  await expect(page.getByTestId("segments-table").getByRole("link", { name: "German shoppers" })).toBeVisible();
  await expect(page.getByRole("row", { name: /Shoppers, refined/ })).toContainText("Archived");
  await page.getByLabel("Include archived").uncheck();

  // Undo from the toast brings it back.
  await page.getByRole("button", { name: "Undo" }).click();
  await expect(page.getByTestId("segments-table").getByRole("link", { name: "Shoppers, refined" })).toBeVisible();
});

test("a viewer opens and previews the segment but cannot save it", async ({ browser }) => {
  await page.goto("/settings/members");
  await page.getByLabel("Email address").fill(SEG_VIEWER.email);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const inviteLink = await page.getByTestId("invite-link").inputValue();

  const viewer = await newPage(browser);
  await viewer.goto(inviteLink);
  await viewer.getByLabel("Your name").fill(SEG_VIEWER.name);
  await viewer.getByLabel("Password").fill(SEG_VIEWER.password);
  await viewer.getByRole("button", { name: "Join workspace" }).click();
  await viewer.waitForURL("/");

  await viewer.goto(segmentUrl);
  await expect(viewer.getByLabel("Segment name")).toHaveValue("German buyers gone quiet");
  await expect(viewer.getByTestId("exact-count")).toHaveText("2");
  await expect(viewer.getByTestId("read-only")).toBeVisible();
  await expect(viewer.getByRole("button", { name: /^Save/ })).toHaveCount(0);
  await viewer.goto("/segments");
  await expect(viewer.getByRole("link", { name: "New segment" })).toHaveCount(0);

  // The server refuses too.
  const id = segmentUrl.split("/").pop()!;
  const res = await viewer.request.post("/api/trpc/segments.update", {
    data: { json: { id, name: "Hijacked", description: "", definition } },
    headers: { "content-type": "application/json", origin: new URL(segmentUrl).origin },
  });
  expect(res.status()).toBe(403);
  await viewer.context().close();
});

test("a slow exact count shows its time and can be cancelled, which stops its query in Postgres", async ({ request }) => {
  await page.goto(segmentUrl);
  await expect(page.getByTestId("exact-count")).toHaveText("2");
  const db = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await db.connect();
  const counting = async () => {
    await db.query("SELECT pg_stat_clear_snapshot()");
    const { rows } = await db.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE 'SELECT array_send%'");
    return rows[0].n as number;
  };
  try {
    // Every count over the profiles waits behind this lock: the exact count is slow.
    await db.query("BEGIN");
    await db.query("LOCK TABLE profiles IN ACCESS EXCLUSIVE MODE");
    await page.getByTestId("condition").nth(1).getByLabel("Times", { exact: true }).fill("4");
    await expect(page.getByTestId("estimate")).toContainText("estimated");
    await expect(page.getByTestId("exact-progress")).toContainText(/Counting exactly… [1-9] s/);
    expect(await counting()).toBeGreaterThan(0);
    await snap(page, "segment-exact-progress", { busy: true });
    await page.getByRole("button", { name: "Cancel the exact count" }).click();
    await expect(page.getByText("Exact count cancelled.")).toBeVisible();
    await expect(page.getByTestId("exact-progress")).toHaveCount(0);
    await expect.poll(counting, { timeout: 10_000 }).toBe(0);
  } finally {
    await db.query("ROLLBACK").catch(() => {});
    await db.end();
  }
  // Asked again, it counts: the engine's number for purchase ≥ 4.
  await page.getByRole("button", { name: "Count exactly" }).click();
  const edited = structuredClone(definition);
  (edited.root.children[1] as { count: { value: number } }).count.value = 4;
  const engine = await request.post("/api/v1/segments/count", { headers: { authorization: `Bearer ${secretKey}` }, data: { definition: edited } });
  await expect(page.getByTestId("exact-count")).toHaveText(((await engine.json()) as { exact: number }).exact.toLocaleString("en"));
  await page.keyboard.press("Control+z");
  await expect(page.getByTestId("dirty")).toHaveCount(0);
});

test("an open segment page keeps its counts current: someone who joins shows up without a reload", async ({ request }) => {
  test.setTimeout(90_000);
  await page.goto(segmentUrl);
  await expect(page.getByText("2 members · saved")).toBeVisible();
  await expect(page.getByTestId("exact-count")).toHaveText("2");

  const now = Date.now();
  const at = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString();
  const batch = [
    { type: "identify", userId: "seg-de-5", traits: { country: "DE", email: "seg-de-5@shop.test" } },
    ...[1, 2, 3].map((d) => ({ type: "track", userId: "seg-de-5", event: "purchase", timestamp: at(d), properties: { amount: 49 } })),
  ];
  const res = await request.post("/api/v1/batch", { headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` }, data: { batch } });
  expect(res.status()).toBe(200);

  // Nobody reloads: the saved size and the preview catch up on their own (every 15 s, and on returning to the tab).
  await expect(page.getByText("3 members · saved")).toBeVisible({ timeout: 45_000 });
  await expect(page.getByTestId("exact-count")).toHaveText("3", { timeout: 45_000 });
});

test("recent entries and exits: people who enter and leave by their events show on the segment page and in their profiles' history", async ({ request }) => {
  test.setTimeout(150_000);
  const track = async (batch: Record<string, unknown>[]) => {
    const res = await request.post("/api/v1/batch", { headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` }, data: { batch } });
    expect(res.status()).toBe(200);
  };
  // A segment nobody is in yet: opened the newsletter, never unsubscribed.
  const readers = {
    schemaVersion: 1,
    root: {
      type: "group",
      op: "and",
      children: [
        { type: "event", event: "newsletter_open", where: [], count: { op: "gte", value: 1 }, window: { kind: "ever" } },
        { type: "event", event: "newsletter_unsubscribe", where: [], count: { op: "eq", value: 0 }, window: { kind: "ever" } },
      ],
    },
  };
  const created = await page.request.post("/api/trpc/segments.create", { data: { json: { name: "Newsletter readers", description: "", definition: readers } } });
  expect(created.status()).toBe(200);
  const readersId = ((await created.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id;
  // Its first refresh (cause "definition") is done before anyone qualifies: what follows is the events' doing.
  await expect
    .poll(async () => {
      const res = await page.request.get("/api/trpc/segments.get?input=" + encodeURIComponent(JSON.stringify({ json: { id: readersId } })));
      return ((await res.json()) as { result: { data: { json: { refreshedAt: string | null } } } }).result.data.json.refreshedAt;
    }, { timeout: 20_000 })
    .not.toBeNull();

  await page.goto(`/segments/${readersId}`);
  const panel = page.locator("section").filter({ has: page.getByRole("heading", { name: "Recent entries and exits" }) });
  await expect(panel.getByTestId("membership-changes-empty")).toContainText("No entries or exits yet");
  await expect(panel.getByTestId("membership-changes-empty")).toContainText("as their events arrive and as time passes");
  await panel.screenshot({ path: path.join(SCREENSHOTS, "segment-changes-empty.png") });

  await track([
    { type: "identify", userId: "news-rita", traits: { name: "Rita Reader", email: "rita@news.test" } },
    { type: "track", userId: "news-rita", event: "newsletter_open" },
    { type: "identify", userId: "news-dan", traits: { email: "dan@news.test" } },
    { type: "track", userId: "news-dan", event: "newsletter_open" },
  ]);
  // Decided in the server a moment after ingest; the open page refetches every 15 s.
  const table = panel.getByTestId("membership-changes");
  const rita = table.getByRole("row").filter({ has: page.getByRole("link", { name: /Rita Reader/ }) });
  await expect(rita).toBeVisible({ timeout: 45_000 });
  await expect(rita).toContainText("Entered");
  await expect(rita).toContainText("After an event");
  await expect(rita).toContainText("just now");
  await expect(rita.getByRole("link", { name: /Rita Reader/ })).toContainText("rita@news.test");
  await expect(table.getByRole("row").filter({ hasText: "dan@news.test" })).toContainText("Entered");

  await track([{ type: "track", userId: "news-rita", event: "newsletter_unsubscribe" }]);
  await expect(table.getByRole("row").filter({ hasText: "Rita Reader" }).filter({ hasText: "Left" })).toBeVisible({ timeout: 45_000 });
  await expect(table.locator("tbody tr")).toHaveCount(3);
  // Newest first.
  await expect(table.locator("tbody tr").first()).toContainText("Left");

  // All / Entered / Left is a radio group the arrow keys move through.
  await expect(panel.getByRole("radio", { name: "All" })).toHaveAttribute("aria-checked", "true");
  await panel.getByRole("radio", { name: "All" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect(panel.getByRole("radio", { name: "Entered" })).toBeFocused();
  await expect(table.locator("tbody tr")).toHaveCount(2);
  await expect(table.locator("tbody tr").filter({ hasText: "Left" })).toHaveCount(0);
  await page.keyboard.press("ArrowRight");
  await expect(panel.getByRole("radio", { name: "Left" })).toHaveAttribute("aria-checked", "true");
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await expect(table.locator("tbody tr")).toContainText("Rita Reader");
  await panel.getByRole("radio", { name: "All" }).click();
  await expect(table.locator("tbody tr")).toHaveCount(3);
  await panel.screenshot({ path: path.join(SCREENSHOTS, "segment-changes.png") });
  await snap(page, "segment-changes-page");

  // Rita's profile: in no segment now, and the history says when and why she came and went.
  await rita.first().getByRole("link", { name: /Rita Reader/ }).click();
  await expect(page).toHaveURL(/\/profiles\//);
  await page.getByRole("tab", { name: "Segments" }).click();
  const history = page.getByTestId("segment-history");
  await expect(history.getByRole("listitem")).toHaveCount(2);
  await expect(history.getByRole("listitem").nth(0)).toContainText("Left Newsletter readers");
  await expect(history.getByRole("listitem").nth(1)).toContainText("Entered Newsletter readers");
  await expect(history.getByRole("listitem").nth(1)).toContainText("After an event");
  await expect(history.getByRole("link", { name: "Newsletter readers" }).first()).toHaveAttribute("href", `/segments/${readersId}`);
  await expect(history.locator("time").first()).toHaveAttribute("title", /\d{4}/);
  await expect(page.getByRole("heading", { name: "In no segments" })).toBeVisible();
  await page.getByRole("tabpanel").screenshot({ path: path.join(SCREENSHOTS, "profile-segment-history.png") });
  await snap(page, "profile-segment-history-page");

  // Dan is deleted (GDPR): his history goes with him but for one exit, without a name or a link.
  // (In a tab of its own: the profile page refetches the deleted profile before it leaves, a 404 in the console.)
  await page.goto(`/segments/${readersId}`);
  const danHref = await table.getByRole("link", { name: /dan@news\.test/ }).getAttribute("href");
  const admin = await page.context().newPage();
  await admin.goto(danHref!);
  await admin.getByRole("tab", { name: "Segments" }).click();
  await expect(admin.getByTestId("profile-segments")).toContainText("Newsletter readers");
  await expect(admin.getByTestId("segment-history").getByRole("listitem")).toHaveCount(1);
  await admin.getByRole("button", { name: "Delete person" }).click();
  await admin.getByRole("dialog").getByRole("button", { name: "Delete permanently" }).click();
  await expect(admin).toHaveURL(/\/profiles$/);
  await admin.close();
  await page.reload();
  await expect(table.locator("tbody tr")).toHaveCount(3);
  const gone = table.locator("tbody tr").first();
  await expect(gone).toContainText("Deleted person");
  await expect(gone).toContainText("Left");
  await expect(gone).toContainText("Person deleted");
  await expect(gone.getByRole("link")).toHaveCount(0);
  await expect(table.locator("tbody tr").filter({ hasText: "Deleted person" })).toHaveCount(1);
  await expect(table.getByText("dan@news.test")).toHaveCount(0);
  await panel.screenshot({ path: path.join(SCREENSHOTS, "segment-changes-deleted.png") });

  // Twenty at a time: "Load more" brings the older ones and moves focus to the first of them.
  await track(Array.from({ length: 18 }, (_, i) => ({ type: "track", userId: `news-bulk-${i}`, event: "newsletter_open" })));
  await expect(panel.getByText("20 shown")).toBeVisible({ timeout: 45_000 });
  await expect(table.locator("tbody tr")).toHaveCount(20);
  await panel.getByRole("button", { name: "Load more" }).click();
  await expect(panel.getByText("21 shown")).toBeVisible();
  await expect(panel.getByText("That is everything.")).toBeVisible();
  const oldest = table.locator("tbody tr").nth(20);
  await expect(oldest).toBeFocused();
  await expect(oldest).toContainText("Rita Reader");
  await expect(oldest).toContainText("Entered");
});

test("the dashboard shows the workspace in numbers, each linking to its page", async () => {
  const db = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await db.connect();
  const { rows } = await db.query(`SELECT (SELECT count(*) FROM profiles)::int AS people, (SELECT count(*) FROM segments WHERE archived_at IS NULL)::int AS segments`);
  await db.end();
  await page.goto("/");
  await expect(page.getByTestId("stat-people")).toContainText(rows[0].people.toLocaleString("en"));
  await expect(page.getByTestId("stat-segments")).toContainText(String(rows[0].segments));
  await expect(page.getByTestId("stat-events-this-week")).toContainText(/[1-9]/);
  await expect(page.getByTestId("largest-segments")).toContainText("German buyers gone quiet");
  await expect(page.getByRole("link", { name: /Build a segment/ }).getByLabel("Done")).toBeVisible();
  await page.setViewportSize({ width: 1440, height: 900 });
  await snap(page, "dashboard");
  await page.getByTestId("stat-people").click();
  await expect(page).toHaveURL(/\/profiles$/);
  await page.setViewportSize({ width: 1280, height: 720 });
});

test("the builder ran under the Content-Security-Policy without console errors", () => {
  expect(consoleErrors).toEqual([]);
});
