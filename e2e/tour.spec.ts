import { expect, test } from "@playwright/test";
import { ADMIN, signIn, snap } from "./helpers";

/**
 * Every page at 1440×900, as people see them once the other specs have filled the
 * workspace: e2e/.artifacts/screenshots/page-*.png, to be looked at. Each page must render
 * its heading without an error state.
 */
test.use({ viewport: { width: 1440, height: 900 } });

const PAGES: [name: string, path: string, heading: RegExp][] = [
  ["dashboard", "/", /^Good (morning|afternoon|evening)/],
  ["segments", "/segments", /^Segments$/],
  ["segment-new", "/segments/new", /New segment/],
  ["overlap", "/segments/overlap", /^Overlap$/],
  ["profiles", "/profiles", /^Profiles$/],
  ["events", "/events", /^Events$/],
  ["journeys", "/journeys", /^Journeys$/],
  ["messages", "/messages", /^Messages$/],
  ["messages-partials", "/messages/partials", /^Messages$/],
  ["messages-deliveries", "/messages/deliveries", /^Messages$/],
  ["settings", "/settings", /^Settings$/],
  ["settings-members", "/settings/members", /^Settings$/],
  ["settings-api-keys", "/settings/api-keys", /^Settings$/],
  ["settings-audit", "/settings/audit", /^Settings$/],
  ["settings-status", "/settings/status", /^Settings$/],
];

test("every page, as an admin sees it", async ({ page }) => {
  test.setTimeout(120_000);
  await signIn(page, ADMIN);
  for (const [name, path, heading] of PAGES) {
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1, name: heading }).first(), path).toBeVisible();
    await expect(page.getByText("Something went wrong"), path).toHaveCount(0);
    await snap(page, `page-${name}`);
  }
  // A saved segment and a profile, reached the way people reach them.
  await page.goto("/segments");
  await page.getByTestId("segments-table").getByRole("link").first().click();
  await expect(page).toHaveURL(/\/segments\/(?!new)/);
  await snap(page, "page-segment");
  await page.goto("/profiles");
  await page.getByTestId("profiles-table").getByRole("link").first().click();
  await expect(page).toHaveURL(/\/profiles\/.+/);
  await snap(page, "page-profile");
});

test("the sign-in page, signed out", async ({ page }) => {
  await page.goto("/login");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  await snap(page, "page-login");
});
