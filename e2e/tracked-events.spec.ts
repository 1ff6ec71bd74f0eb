import { expect, test, type Page } from "@playwright/test";
import { ADMIN, signIn, snap } from "./helpers";

/**
 * The Events explorer, with its own data: an admin creates a write key in Settings → API
 * keys, events go in through /api/v1/batch, and /events shows names, counts, a daily chart
 * and property types. Runs after foundation.spec.ts (the admin exists) and after
 * ingestion.spec.ts (which counts the rows of the keys table), so it must sort after both.
 * Other specs' events may be listed too; these names are its own.
 */
test.describe.configure({ mode: "serial" });

const DAY = 24 * 60 * 60 * 1000;
let page: Page;
let writeKey: string;

test("an admin creates a write key for the explorer's events", async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN);
  await page.goto("/settings/api-keys");
  await page.getByLabel("Name").fill("Events explorer");
  await page.getByLabel("Type").selectOption("write");
  await page.getByRole("button", { name: "Create key" }).click();
  const field = page.getByTestId("new-key");
  await expect(field).toHaveValue(/^jw_/);
  writeKey = await field.inputValue();
});

test("a batch of track and screen calls is accepted", async ({ request }) => {
  const now = Date.now();
  const at = (daysAgo: number, minutes = 1) => new Date(now - daysAgo * DAY - minutes * 60_000).toISOString();
  const sports = ["run", "run", "ride", "run", "swim", "ride"];
  const batch: Record<string, unknown>[] = [];
  // 24 workouts over the last 12 days: run ×12, ride ×8, swim ×4; durations are numbers…
  for (let i = 0; i < 24; i++) {
    batch.push({
      type: "track",
      userId: `athlete-${i % 4}`,
      event: "workout_completed",
      timestamp: at(Math.floor(i / 2), 5 + i),
      properties: { sport: sports[i % 6], duration_min: i % 3 === 0 ? 45 : 30, indoor: i % 4 === 0, heart_rate: { avg: 140 + i } },
    });
  }
  // …but one sender stringifies them.
  batch.push({
    type: "track",
    userId: "athlete-0",
    event: "workout_completed",
    timestamp: at(0, 2),
    properties: { sport: "run", duration_min: "45", indoor: false, heart_rate: { avg: 150 } },
  });
  for (let i = 0; i < 3; i++) {
    batch.push({ type: "track", userId: `athlete-${i}`, event: "plan_upgraded", timestamp: at(i * 3), properties: { plan: "pro", from_plan: "basic", price: 9.99 } });
  }
  for (let i = 0; i < 5; i++) {
    batch.push({ type: "screen", userId: `athlete-${i % 4}`, name: "Workouts", timestamp: at(i), properties: { tab: i % 2 ? "history" : "plan" } });
  }
  const res = await request.post("/api/v1/batch", {
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` },
    data: { batch },
  });
  expect(res.status()).toBe(200);
  expect(await res.json()).toEqual({ success: true });
});

test("the explorer lists event names with their 30-day counts", async () => {
  await page.goto("/events");
  await expect(page.getByRole("heading", { name: "Events", exact: true })).toBeVisible();
  const table = page.getByTestId("events-table");
  const row = (name: string) => table.getByRole("row").filter({ has: page.getByRole("link", { name, exact: true }) });
  await expect(row("workout_completed").getByTestId("recent-count")).toHaveText("25");
  await expect(row("plan_upgraded").getByTestId("recent-count")).toHaveText("3");
  await expect(row("Workouts").getByTestId("recent-count")).toHaveText("5");
  await expect(row("Workouts")).toContainText("screen");
  await expect(row("workout_completed")).toContainText(/min ago|just now/);

  // The busiest first.
  const names = await table.getByRole("link").allTextContents();
  expect(names.indexOf("workout_completed")).toBeLessThan(names.indexOf("Workouts"));
  expect(names.indexOf("Workouts")).toBeLessThan(names.indexOf("plan_upgraded"));

  await page.getByLabel("Filter event names").fill("WORKOUT");
  await expect(table.getByRole("link")).toHaveText(["workout_completed", "Workouts"]);
  await page.getByLabel("Filter event names").fill("");
  await snap(page, "events");
});

test("an event opens with its daily chart, property types and top values", async () => {
  await page.getByTestId("events-table").getByRole("link", { name: "workout_completed", exact: true }).click();
  await expect(page).toHaveURL(/\/events\?event=workout_completed$/);
  await expect(page.getByRole("heading", { name: "workout_completed" })).toBeVisible();

  const chart = page.getByRole("figure", { name: /workout_completed per day/ });
  await expect(chart).toBeVisible();
  const bars = await chart
    .locator("[data-date]")
    .evaluateAll((nodes) => nodes.map((n) => ({ count: Number(n.getAttribute("data-count")), title: n.getAttribute("title") ?? "" })));
  // A bar per calendar day overlapping the 30-day window (the first and the last partial).
  expect(bars.length).toBeGreaterThanOrEqual(31);
  expect(bars.reduce((sum, b) => sum + b.count, 0)).toBe(25);
  // Hovering a bar tells its date and count.
  for (const bar of bars) expect(bar.title).toMatch(new RegExp(`\\d{4}: ${bar.count} events?( |$)`));
  expect(bars.at(-1)?.title).toContain("today so far");

  const properties = page.getByTestId("properties-table");
  await expect(page.getByText("From all 25 events in the last 30 days.")).toBeVisible();
  const property = (key: string) => properties.getByRole("row").filter({ has: page.getByText(key, { exact: true }) });
  await expect(property("sport")).toContainText("string");
  await expect(property("sport").getByRole("list", { name: "Top values of sport" }).getByRole("listitem")).toHaveText([
    /^run\s*13$/,
    /^ride\s*8$/,
    /^swim\s*4$/,
  ]);
  // Numbers and the one stringified value are told apart.
  await expect(property("duration_min")).toContainText("number");
  await expect(property("duration_min")).toContainText("string");
  await expect(property("duration_min")).toContainText("Mixed types");
  await expect(property("duration_min").getByRole("listitem")).toHaveText([/^30\s*16$/, /^45\s*8$/, /^"45"\s*1$/]);
  await expect(property("indoor")).toContainText("boolean");
  await expect(property("heart_rate")).toContainText("object");
  await snap(page, "event-detail");

  await page.getByRole("link", { name: "Events", exact: true }).first().click();
  await expect(page).toHaveURL(/\/events$/);
});

test("an unknown event name gets a clear answer", async () => {
  await page.goto(`/events?event=${encodeURIComponent("no such event")}`);
  await expect(page.getByRole("heading", { name: "No events named “no such event”" })).toBeVisible();
});
