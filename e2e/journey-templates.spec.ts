import { expect, test, type Page } from "@playwright/test";
import { MARKETER, signIn, snap } from "./helpers";

/**
 * A marketer starts the abandoned-cart journey from its template (the messages it needs are
 * created with it), finds it on the canvas complete, then duplicates, searches and archives
 * from the list. Runs after ingestion.spec.ts (the marketer exists) and before
 * journeys.spec.ts, which expects an empty list: everything made here ends archived.
 */
test.describe.configure({ mode: "serial" });
test.setTimeout(90_000);

let page: Page;

test("the abandoned-cart template opens on the canvas with its steps and nothing to fix", async ({ browser }) => {
  page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
  await signIn(page, MARKETER);
  await page.goto("/journeys");
  await page.getByRole("button", { name: "New journey" }).click();
  const dialog = page.getByRole("dialog", { name: "New journey" });
  await expect(dialog.getByRole("radio", { name: "Blank" })).toBeChecked();

  // By keyboard: the templates are a radio group.
  await expect(dialog.getByRole("radio")).toHaveCount(7);
  await dialog.getByRole("radio", { name: "Blank" }).focus();
  await page.keyboard.press("ArrowDown");
  await expect(dialog.getByRole("radio", { name: "Feature nudge" })).toBeChecked();
  await dialog.getByRole("radio", { name: "Abandoned cart" }).check();
  await expect(dialog.getByLabel("Name")).toHaveValue("Abandoned cart");
  await expect(dialog.getByRole("list", { name: "Steps of Abandoned cart" })).toContainText("Checkout started");
  // Each message it needs: created by default (nothing of that name exists yet).
  await expect(dialog.getByLabel("Cart reminder (Email message)")).toHaveValue("create");
  await expect(dialog.getByLabel("Cart last call (SMS message)")).toHaveValue("create");
  await dialog.getByLabel("Name").fill("Cart rescue");
  await snap(page, "journeys-templates");
  await dialog.getByRole("button", { name: "Create" }).click();

  await expect(page).toHaveURL(/\/journeys\/[^/]+$/);
  for (const id of ["trigger", "wait_order", "ordered", "reminder", "wait_day", "last_call", "done"]) await expect(page.getByTestId(`node-${id}`)).toBeVisible();
  await expect(page.getByTestId("node-trigger")).toContainText("When checkout_started happens");
  await expect(page.getByTestId("node-reminder")).toContainText("Cart reminder");
  await expect(page.getByRole("heading", { name: "Ready to publish" })).toBeVisible();
  await snap(page, "journeys-template-canvas");

  // The messages exist, ready to edit.
  await page.goto("/messages");
  await expect(page.getByRole("link", { name: "Cart reminder", exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "Cart last call", exact: true })).toBeVisible();
});

test("the next journey from the same template reuses its messages; a name in use is refused", async () => {
  await page.goto("/journeys");
  await page.getByRole("button", { name: "New journey" }).click();
  const dialog = page.getByRole("dialog", { name: "New journey" });
  await dialog.getByRole("radio", { name: "Abandoned cart" }).check();
  const email = dialog.getByLabel("Cart reminder (Email message)");
  await expect(email.locator("option:checked")).toHaveText("Cart reminder");
  await expect(dialog.getByText("Already in this workspace: used as it is.").first()).toBeVisible();
  await dialog.getByLabel("Name").fill("Cart rescue");
  await dialog.getByRole("button", { name: "Create" }).click();
  await expect(dialog.getByText("A journey named “Cart rescue” already exists")).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
});

test("duplicate, search and archive from the list", async () => {
  const table = page.getByTestId("journeys-table");
  await expect(table.getByRole("columnheader", { name: "In it now" })).toBeVisible();
  await page.getByRole("button", { name: "Duplicate Cart rescue" }).click();
  await expect(table.getByRole("link", { name: "Cart rescue (copy)" })).toBeVisible();
  await snap(page, "journeys-list-actions");

  await page.getByLabel("Search journeys").fill("rescue (copy");
  await expect(table.getByRole("link")).toHaveText(["Cart rescue (copy)"]);
  await page.getByLabel("Search journeys").fill("cart RESCUE");
  await expect(table.getByRole("link")).toHaveCount(2);

  // A draft has nobody inside: archiving asks nothing about people.
  await page.getByRole("button", { name: "Archive Cart rescue (copy)" }).click();
  const confirm = page.getByRole("dialog", { name: "Archive “Cart rescue (copy)”?" });
  await expect(confirm.getByText("People already in it")).toHaveCount(0);
  await confirm.getByRole("button", { name: "Archive" }).click();
  await expect(table.getByRole("link")).toHaveText(["Cart rescue"]);

  // A published one asks what happens to the people inside.
  await table.getByRole("link", { name: "Cart rescue" }).click();
  await page.getByRole("button", { name: "Publish" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Publish" }).click();
  await expect(page.getByText("Published version 1")).toBeVisible();
  await page.goto("/journeys");
  await page.getByRole("button", { name: "Archive Cart rescue" }).click();
  const live = page.getByRole("dialog", { name: "Archive “Cart rescue”?" });
  await expect(live.getByRole("radio", { name: /Let them finish/ })).toBeChecked();
  await live.getByRole("radio", { name: /Exit everyone now/ }).check();
  await live.getByRole("button", { name: "Archive and exit everyone" }).click();
  await expect(page.getByRole("heading", { name: "No journeys yet" })).toBeVisible();

  await page.getByLabel("Show archived").check();
  await expect(page.getByTestId("journeys-table").getByRole("link")).toHaveCount(2);
  await expect(page.getByTestId("journeys-table")).toContainText("archived");
  await page.context().close();
});
