import { expect, test, type Page } from "@playwright/test";
import { MARKETER, VIEWER, signIn, snap } from "./helpers";

/**
 * A marketer builds a short journey on the canvas by clicking — trigger, wait, send, exit —
 * configures each step in the inspector, sees what is missing, publishes version 1, and
 * finds it intact after a reload. A viewer reads it but cannot change it. Runs after
 * ingestion.spec.ts (the marketer exists).
 */
test.describe.configure({ mode: "serial" });
test.setTimeout(90_000);

let page: Page;

test("a marketer builds the feature nudge by clicking and publishes version 1", async ({ browser }) => {
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signIn(page, MARKETER);
  // The message the send step uses.
  const created = await page.request.post("/api/trpc/messages.create", { data: { json: { name: "Analysis offer", channel: "inapp" } } });
  expect(created.status()).toBe(200);

  await page.goto("/journeys");
  await expect(page.getByRole("heading", { name: "No journeys yet" })).toBeVisible();
  await page.getByRole("button", { name: "Start a journey" }).click();
  await page.getByLabel("Name").fill("Tariff calculator nudge");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(/\/journeys\/[^/]+$/);

  const issues = page.getByTestId("journey-issues");
  await expect(issues).toContainText("Choose the event that starts the journey.");
  await page.getByTestId("node-trigger").click();
  await page.getByLabel("Event", { exact: true }).fill("feature_used");
  await page.getByLabel("At least (times, optional)").fill("3");

  // Each step is added after the selected one, and connected to it.
  await page.getByRole("button", { name: "Wait", exact: true }).click();
  await page.getByLabel("How long", { exact: true }).fill("24");
  await page.getByLabel("How long unit").selectOption("hours");
  await page.getByRole("button", { name: "Send", exact: true }).click();
  await expect(issues).toContainText("Choose the channel to send through.");
  await page.getByLabel("Channel").selectOption("inapp");
  await page.getByLabel("Message").selectOption({ label: "Analysis offer" });
  await page.getByRole("button", { name: "Exit", exact: true }).click();

  // The journey's own settings, with no step selected.
  await page.getByTestId("journey-canvas").click({ position: { x: 12, y: 12 } });
  await page.getByLabel("Goal", { exact: true }).selectOption("event");
  await expect(page.getByTestId("journey-issues")).toContainText("The goal: choose the event.");
  await page.getByLabel("Goal: event").fill("purchase");
  await page.getByLabel("Lifecycle phase").selectOption("consideration");
  await expect(page.getByRole("heading", { name: "Ready to publish" })).toBeVisible();
  await expect(page.getByTestId("journey-status")).toContainText("All changes saved");
  await snap(page, "journey-canvas", { busy: true });
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("Published version 1")).toBeVisible();
  await expect(page.getByTestId("journey-status")).toContainText("live");

  await page.reload();
  for (const id of ["trigger", "wait1", "send1", "exit1"]) await expect(page.getByTestId(`node-${id}`)).toBeVisible();
  await expect(page.getByTestId("node-wait1")).toContainText("24 hours");
  await expect(page.getByTestId("journey-status")).toContainText("Version 1 published");

  await page.goto("/journeys");
  await expect(page.getByTestId("journeys-table")).toContainText("When feature_used happens (3× in 1 day)");
  await expect(page.getByTestId("journeys-table")).toContainText("consideration");
  await snap(page, "page-journeys");
});

test("removing a connection makes the journey unpublishable, with the step named", async () => {
  await page.getByRole("link", { name: "Tariff calculator nudge" }).click();
  await page.getByTestId("node-send1").click();
  await page.getByRole("button", { name: "Remove this step" }).click();
  await expect(page.getByTestId("journey-issues")).toContainText("leads nowhere");
  await expect(page.getByRole("button", { name: "Publish" })).toBeDisabled();
  await page.context().close();
});

test("a viewer reads the journey but cannot change it", async ({ browser }) => {
  const viewer = await (await browser.newContext()).newPage();
  await signIn(viewer, VIEWER);
  await viewer.goto("/journeys");
  await expect(viewer.getByRole("button", { name: "New journey" })).toHaveCount(0);
  await viewer.getByRole("link", { name: "Tariff calculator nudge" }).click();
  await expect(viewer.getByTestId("node-trigger")).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Publish" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Wait", exact: true })).toBeDisabled();
  const refused = await viewer.request.post("/api/trpc/journeys.create", { data: { json: { name: "x" } } });
  expect(refused.status()).toBe(403);
  await viewer.context().close();
});
