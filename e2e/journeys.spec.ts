import { expect, test, type Page } from "@playwright/test";
import { MARKETER, VIEWER, signIn, snap } from "./helpers";

/**
 * The feature nudge, built on a blank canvas by mouse and keyboard: the trigger with a count,
 * a wait, a branch composed with the segment builder's editor, two sends, exits. Undo/redo,
 * copy/paste and inserting on a connection along the way; publish version 1, reload it
 * intact, simulate a person along both branches, edit the live journey into version 2 with a
 * readable diff. A broken journey is refused with its steps marked; a viewer reads and
 * simulates but cannot change it. Runs after ingestion.spec.ts (the marketer exists).
 */
test.describe.configure({ mode: "serial" });
test.setTimeout(120_000);

let page: Page;
const NAME = "Tariff calculator nudge";

/** The palette's buttons: a step is added after the selected one, through its first free exit. */
const palette = (name: string) => page.getByRole("navigation", { name: "Add a step" }).getByRole("button", { name, exact: true });

test("a marketer builds the feature nudge on a blank canvas by mouse and keyboard, and publishes version 1", async ({ browser }) => {
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signIn(page, MARKETER);
  // The two messages the sends use.
  for (const [name, channel] of [
    ["Analysis offer", "inapp"],
    ["Live call invite", "push"],
  ]) {
    const created = await page.request.post("/api/trpc/messages.create", { data: { json: { name, channel } } });
    expect(created.status()).toBe(200);
  }

  await page.goto("/journeys");
  await page.getByRole("button", { name: "New journey" }).click();
  const dialog = page.getByRole("dialog", { name: "New journey" });
  await expect(dialog.getByRole("radio", { name: "Blank" })).toBeChecked();
  await dialog.getByLabel("Name").fill(NAME);
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(page).toHaveURL(/\/journeys\/[^/]+$/);

  const issues = page.getByTestId("journey-issues");
  await expect(issues).toContainText("Choose the event that starts the journey.");
  await page.getByTestId("node-trigger").click();
  await page.getByLabel("Event", { exact: true }).fill("tariff_calculator_opened");
  await page.getByLabel("At least (times, optional)").fill("3");
  await expect(page.getByLabel("Within", { exact: true })).toHaveValue("1");

  await palette("Wait").click();
  await page.getByLabel("How long", { exact: true }).fill("24");
  await page.getByLabel("How long unit").selectOption("hours");

  // The branch: "saw the result" composed with the segment builder's own condition editor.
  await palette("Branch").click();
  await page.getByLabel("Case 1 name").fill("Saw the result");
  await expect(issues).toContainText("Case “Saw the result” needs a condition.");
  await page.getByRole("button", { name: "Add a condition" }).click();
  const condition = page.getByRole("dialog", { name: "Who goes this way" });
  await condition.getByRole("button", { name: "Add condition" }).click();
  await page.getByRole("menuitem", { name: "Performed an event" }).click();
  await condition.getByLabel("Event name").fill("tariff_result_viewed");
  await snap(page, "journey-condition", { busy: true });
  await condition.getByRole("button", { name: "Apply" }).click();
  await expect(page.getByTestId("condition-summary")).toContainText("tariff_result_viewed at least 1 time");
  await expect(issues).not.toContainText("needs a condition");

  // Branch selected: "Saw the result" → exit, then "Everyone else" → the in-app message.
  await palette("Exit").click();
  await page.getByTestId("node-branch1").click();
  await palette("Send").click();
  await page.getByLabel("Channel").selectOption("inapp");
  await page.getByLabel("Message").selectOption({ label: "Analysis offer" });
  await expect(page.getByTestId("send-preview")).toBeVisible();
  await palette("Wait").click();
  await page.getByLabel("Wait", { exact: true }).selectOption("event");
  await page.getByLabel("Event", { exact: true }).fill("tariff_result_viewed");
  await page.getByLabel("At most", { exact: true }).fill("2");
  await page.getByLabel("At most unit").selectOption("days");
  await palette("Exit").click(); // "Event happened" → out
  await page.getByTestId("node-wait2").click();
  await palette("Send").click(); // "Timed out" → the push
  await page.getByLabel("Channel").selectOption("push");
  await page.getByLabel("Message").selectOption({ label: "Live call invite" });
  await palette("Exit").click();
  await expect(page.getByRole("heading", { name: "Ready to publish" })).toBeVisible();

  // Undo and redo, by keyboard and by button.
  await page.getByTestId("journey-canvas").click({ position: { x: 12, y: 12 } });
  await page.keyboard.press("Control+z");
  await expect(page.getByTestId("node-exit3")).toHaveCount(0);
  await expect(issues).toContainText("“Next” leads nowhere");
  await page.keyboard.press("Control+Shift+z");
  await expect(page.getByTestId("node-exit3")).toBeVisible();
  await page.getByRole("button", { name: "Undo (Ctrl+Z)" }).click();
  await expect(page.getByTestId("node-exit3")).toHaveCount(0);
  await page.getByRole("button", { name: "Redo (Ctrl+Shift+Z)" }).click();
  await expect(page.getByTestId("node-exit3")).toBeVisible();

  // Copy and paste a step: the copy is unconnected (and says so) until removed with Delete.
  await page.getByTestId("node-send2").click();
  await page.keyboard.press("Control+c");
  await expect(page.getByText("Copied 1 step")).toBeVisible();
  await page.keyboard.press("Control+v");
  await expect(page.getByTestId("node-send3")).toBeVisible();
  await expect(page.getByTestId("node-send3")).toContainText("Live call invite");
  await expect(page.getByTestId("node-send3")).toHaveAttribute("aria-invalid", "true");
  await expect(issues).toContainText("Nobody can reach this step");
  await page.keyboard.press("Delete");
  await expect(page.getByTestId("node-send3")).toHaveCount(0);

  // "+" on a connection inserts a step there (opened in the inspector); undo takes it out again.
  await page.getByRole("button", { name: /fit view/i }).click();
  await page.getByTestId("edge-e1").getByRole("button", { name: "Insert a step here" }).click();
  await page.getByRole("menuitem", { name: "Update trait" }).click();
  await expect(page.getByTestId("node-update1")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Step: update" })).toBeVisible();
  await page.keyboard.press("Control+z");
  await expect(page.getByTestId("node-update1")).toHaveCount(0);

  // Dragging a step moves it (one undo step); undo puts it back. Measured against the trigger,
  // so the canvas panning along is no move.
  const offset = async () => {
    const [a, b] = [(await page.getByTestId("node-wait1").boundingBox())!, (await page.getByTestId("node-trigger").boundingBox())!];
    return Math.round(a.x - b.x);
  };
  const start = await offset();
  const grip = (await page.getByTestId("node-wait1").boundingBox())!;
  await page.mouse.move(grip.x + grip.width / 2, grip.y + 12);
  await page.mouse.down();
  for (let i = 1; i <= 10; i++) await page.mouse.move(grip.x + grip.width / 2 + i * 8, grip.y + 12);
  await page.mouse.up();
  await expect.poll(offset).toBeGreaterThan(start + 40);
  await page.getByRole("button", { name: "Undo (Ctrl+Z)" }).click();
  await expect.poll(offset).toBe(start);

  // A step dragged from the toolbar lands where it is dropped, opened in the inspector.
  await palette("Webhook").dragTo(page.getByTestId("journey-canvas"), { targetPosition: { x: 120, y: 160 } });
  await expect(page.getByTestId("node-webhook1")).toBeVisible();
  await expect(page.getByRole("heading", { name: "Step: webhook" })).toBeVisible();
  await page.getByRole("button", { name: "Undo (Ctrl+Z)" }).click();
  await expect(page.getByTestId("node-webhook1")).toHaveCount(0);

  // The journey's own settings, with no step selected.
  await page.getByTestId("journey-canvas").click({ position: { x: 12, y: 12 } });
  await page.getByLabel("Goal", { exact: true }).selectOption("event");
  await expect(issues).toContainText("The goal: choose the event.");
  await page.getByLabel("Goal: event").fill("purchase");
  await page.getByLabel("Lifecycle phase").selectOption("consideration");
  await expect(page.getByRole("heading", { name: "Ready to publish" })).toBeVisible();
  await page.getByRole("button", { name: "Tidy up" }).click();
  await expect(page.getByTestId("journey-status")).toContainText("All changes saved");

  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("Published version 1")).toBeVisible();
  await expect(page.getByTestId("journey-status")).toContainText("live");

  await page.reload();
  for (const id of ["trigger", "wait1", "branch1", "exit1", "send1", "wait2", "exit2", "send2", "exit3"]) await expect(page.getByTestId(`node-${id}`)).toBeVisible();
  await expect(page.getByTestId("node-wait1")).toContainText("24 hours");
  await expect(page.getByTestId("node-send2")).toContainText("Live call invite");
  await expect(page.getByTestId("journey-status")).toContainText("Version 1 published");
  await snap(page, "journey-canvas", { busy: true });

  // The branch's inspector, as a marketer sees it.
  await page.getByTestId("node-branch1").click();
  await expect(page.getByTestId("condition-summary")).toContainText("tariff_result_viewed");
  await snap(page, "journey-inspector", { busy: true });
});

test("reach: who would enter now, and how they divide", async () => {
  await page.getByRole("tab", { name: "Reach" }).click();
  await expect(page.getByRole("tabpanel")).toContainText(/performed tariff_calculator_opened in the last 7 days/);
  // The connections carry numbers (a wait for an event cannot be known in advance: "?").
  await expect(page.getByTestId("edge-count-e1")).toBeVisible();
  await snap(page, "journey-reach", { busy: true });
});

test("simulate a described person along both branches: nothing is sent", async () => {
  await page.getByRole("tab", { name: "Simulate" }).click();
  const panel = page.getByRole("tabpanel");
  await panel.getByRole("button", { name: "Describe one" }).click();
  await panel.getByLabel("Traits (JSON)").fill('{ "first_name": "Grace", "email": "grace@sim.test" }');
  await panel.getByRole("button", { name: "Start" }).click();
  const where = page.getByTestId("simulation-where");
  await expect(where).toContainText("Waiting at");
  await expect(page.getByTestId("node-wait1")).toHaveAttribute("data-highlight", "current");

  // Never looked at the result: everyone else → the in-app message, then waiting for the event.
  await panel.getByRole("button", { name: "24 h", exact: true }).click();
  await expect(page.getByTestId("simulation-timeline")).toContainText(/everyone else/i);
  await expect(page.getByTestId("simulation-timeline")).toContainText("Analysis offer");
  await expect(page.getByTestId("node-wait2")).toHaveAttribute("data-highlight", "current");
  await expect(page.getByTestId("node-send1")).toHaveAttribute("data-highlight", "visited");
  await snap(page, "journey-simulation", { busy: true });

  // Start again; this time they look at the result first: “Saw the result” → out.
  await panel.getByRole("button", { name: "Reset" }).click();
  await panel.getByRole("button", { name: "Start" }).click();
  await expect(where).toContainText("Waiting at");
  await panel.getByLabel("They perform…").fill("tariff_result_viewed");
  await panel.getByRole("button", { name: "They perform it now" }).click();
  await panel.getByRole("button", { name: "24 h", exact: true }).click();
  await expect(page.getByTestId("simulation-timeline")).toContainText("Saw the result");
  await expect(where).toContainText("Out of the journey");
  await expect(page.getByTestId("node-exit1")).toHaveAttribute("data-highlight", "current");
  await expect(page.getByTestId("node-send1")).not.toHaveAttribute("data-highlight", /.+/);
});

test("editing the live journey and publishing version 2 shows what changed", async () => {
  await page.getByRole("tab", { name: "Step" }).or(page.getByRole("tab", { name: "Journey" })).click();
  await page.getByTestId("node-wait1").click();
  await page.getByLabel("How long", { exact: true }).fill("20");
  await expect(page.getByTestId("journey-status")).toContainText("All changes saved");
  await page.getByRole("button", { name: "Publish" }).click();
  const confirm = page.getByRole("dialog", { name: "Publish a new version?" });
  await expect(confirm.getByLabel(/finish on the version they entered/)).toBeChecked();
  await confirm.getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("Published version 2")).toBeVisible();
  await page.getByRole("tab", { name: "History" }).click();
  const history = page.getByTestId("journey-history");
  await expect(history).toContainText("v2");
  await expect(history).toContainText("v1");
  await expect(history.locator("li").first()).toContainText("Wait: 24 hours → 20 hours");
  await snap(page, "journey-diff", { busy: true });

  await page.goto("/journeys");
  await expect(page.getByTestId("journeys-table")).toContainText("When tariff_calculator_opened happens (3× in 1 day)");
  await expect(page.getByTestId("journeys-table")).toContainText("consideration");
  await snap(page, "page-journeys");
});

test("a broken journey cannot be published, and its steps are marked", async () => {
  await page.getByRole("link", { name: NAME, exact: true }).click();
  await page.getByTestId("node-send1").click();
  await page.getByRole("button", { name: "Remove this step" }).click();
  await expect(page.getByTestId("journey-issues")).toContainText("“Everyone else” leads nowhere");
  await expect(page.getByTestId("node-branch1")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("button", { name: "Publish" })).toBeDisabled();
  await page.keyboard.press("Control+z");
  await expect(page.getByRole("heading", { name: "Ready to publish" })).toBeVisible();
  await expect(page.getByTestId("journey-status")).toContainText("All changes saved");
  await page.context().close();
});

test("a viewer reads and simulates the journey but cannot change it", async ({ browser }) => {
  const viewer = await (await browser.newContext()).newPage();
  await signIn(viewer, VIEWER);
  await viewer.goto("/journeys");
  await expect(viewer.getByRole("button", { name: "New journey" })).toHaveCount(0);
  await viewer.getByRole("link", { name: NAME, exact: true }).click();
  await expect(viewer.getByTestId("node-trigger")).toBeVisible();
  await expect(viewer.getByRole("button", { name: "Publish" })).toHaveCount(0);
  await expect(viewer.getByRole("button", { name: "Wait", exact: true })).toBeDisabled();
  await expect(viewer.getByRole("button", { name: "Insert a step here" })).toHaveCount(0);
  await viewer.getByRole("tab", { name: "Simulate" }).click();
  await viewer.getByRole("button", { name: "Describe one" }).click();
  await viewer.getByRole("button", { name: "Start" }).click();
  await expect(viewer.getByTestId("simulation-where")).toContainText("Waiting at");
  const refused = await viewer.request.post("/api/trpc/journeys.create", { data: { json: { name: "x" } } });
  expect(refused.status()).toBe(403);
  await viewer.context().close();
});
