import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, type Page } from "@playwright/test";

export const SCREENSHOTS = path.join(import.meta.dirname, ".artifacts", "screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

/** Full-page screenshot for people to look at (e2e/.artifacts/screenshots); `busy`: a request is meant to be pending. */
export async function snap(page: Page, name: string, options: { busy?: boolean } = {}) {
  if (!options.busy) await page.waitForLoadState("networkidle");
  // From the top: a full-page shot of a scrolled page draws the sticky header mid-page.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

export const ADMIN = { name: "Ada Admin", email: "ada@acme.test", password: "correct-horse-battery", workspace: "Acme Fitness" };
export const VIEWER = { name: "Victor Viewer", email: "victor@acme.test", password: "viewer-password-123" };

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("/");
}

/** Settings → API keys: creates a key (the page must be open) and returns it as shown once. */
export async function createKey(page: Page, name: string, kind: "write" | "secret") {
  await page.getByLabel("Name").fill(name);
  await page.getByLabel("Type").selectOption(kind);
  await page.getByRole("button", { name: "Create key" }).click();
  const field = page.getByTestId("new-key");
  await expect(field).toHaveValue(kind === "write" ? /^jw_/ : /^js_/);
  return field.inputValue();
}
