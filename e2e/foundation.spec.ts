import { expect, test, type Browser, type Page } from "@playwright/test";
import pg from "pg";
import { ADMIN, VIEWER, requestFrom, signIn, snap } from "./helpers";

/**
 * One instance, from empty: the first sign-up becomes admin, invites a viewer, the viewer
 * joins and is refused admin pages and procedures on the server, people sign out, wrong
 * passwords and bad input get clear answers. Steps build on each other, so they run in order.
 */
test.describe.configure({ mode: "serial" });

let adminPage: Page;
let inviteLink: string;

async function newPage(browser: Browser) {
  const context = await browser.newContext();
  return context.newPage();
}

test("an empty instance sends people to set-up; the first sign-up becomes admin of a new workspace", async ({ browser }) => {
  adminPage = await newPage(browser);
  const page = adminPage;
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "Set up Junction" })).toBeVisible();
  await snap(page, "setup");

  // Client-side validation first: nothing is sent with a short password.
  await page.getByLabel("Workspace name").fill(ADMIN.workspace);
  await page.getByLabel("Your name").fill(ADMIN.name);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("short");
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page.getByText("Use at least 10 characters")).toBeVisible();

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await page.waitForURL("/");
  await expect(page.getByRole("heading", { name: /Ada$/ })).toBeVisible();
  await expect(page.getByTestId("workspace-name")).toHaveText(ADMIN.workspace);
  const session = (await page.context().cookies()).find((c) => c.name.endsWith("session_token"));
  expect(session).toMatchObject({ httpOnly: true, sameSite: "Lax" });
  await expect(page.getByText("Recent activity")).toBeVisible();
  await expect(page.getByText("Workspace created")).toBeVisible();
  await page.getByRole("button", { name: ADMIN.name }).click();
  await expect(page.getByRole("menu").getByText("Admin", { exact: true })).toBeVisible();
  await page.keyboard.press("Escape");
  await snap(page, "dashboard");
});

test("once someone exists, set-up is closed and sign-up without an invitation is refused", async ({ browser, request }) => {
  const page = await newPage(browser);
  await page.goto("/setup");
  await expect(page).toHaveURL(/\/login$/);
  const res = await request.post("/api/auth/sign-up/email", {
    data: { name: "Mallory", email: "mallory@evil.test", password: "mallory-password" },
  });
  expect(res.status()).toBe(403);
  expect(await res.text()).toContain("invitation only");
});

test("a wrong password shows a clear message", async ({ browser }) => {
  const page = await newPage(browser);
  await page.goto("/login");
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.locator("form").getByRole("alert")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/login$/);
  await snap(page, "login-wrong-password");
});

test("an admin invites a viewer with a link", async () => {
  const page = adminPage;
  await page.getByRole("link", { name: "Settings" }).click();
  await page.getByRole("link", { name: "Members" }).click();
  await expect(page).toHaveURL(/\/settings\/members$/);

  await page.getByLabel("Email address").fill("not an email");
  await page.getByRole("button", { name: "Create invite link" }).click();
  await expect(page.getByText("Enter a valid email address")).toBeVisible();

  await page.getByLabel("Email address").fill(VIEWER.email);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = page.getByTestId("invite-link");
  await expect(link).toHaveValue(/\/invite\/[\w-]{20,}$/);
  inviteLink = await link.inputValue();
  await expect(page.getByTestId("pending-invitation").filter({ hasText: VIEWER.email })).toContainText("Viewer");
  await snap(page, "settings-members");
});

test("the viewer joins through the link and lands on the dashboard", async ({ browser }) => {
  const page = await newPage(browser);
  await page.goto(inviteLink);
  await expect(page.getByRole("heading", { name: `Join ${ADMIN.workspace}` })).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveValue(VIEWER.email);
  await page.getByLabel("Your name").fill(VIEWER.name);
  await page.getByLabel("Password").fill(VIEWER.password);
  await page.getByRole("button", { name: "Join workspace" }).click();
  await page.waitForURL("/");
  await expect(page.getByTestId("workspace-name")).toHaveText(ADMIN.workspace);
  await page.context().close();

  // The link is single-use.
  const again = await newPage(browser);
  await again.goto(inviteLink);
  await expect(again.getByRole("heading", { name: "This invitation can’t be used" })).toBeVisible();
});

test("the viewer is refused admin pages and admin procedures by the server", async ({ browser }) => {
  const page = await newPage(browser);
  await signIn(page, VIEWER);

  await page.getByRole("link", { name: "Settings" }).click();
  await expect(page.getByRole("link", { name: "General" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Members" })).toHaveCount(0);
  await expect(page.getByText("Only admins can change workspace settings.")).toBeVisible();

  for (const path of ["/settings/members", "/settings/audit", "/settings/status"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(403);
    await expect(page.getByRole("heading", { name: "You don’t have access to this page" })).toBeVisible();
  }
  await snap(page, "viewer-forbidden");

  // Straight at the API with the viewer's session cookie: FORBIDDEN, not just hidden links.
  const query = await page.request.get("/api/trpc/members.invitations");
  expect(query.status()).toBe(403);
  expect((await query.json()).error.json.data.code).toBe("FORBIDDEN");
  const mutation = await page.request.post("/api/trpc/members.invite", {
    data: { json: { email: "sneaky@acme.test", role: "admin" } },
  });
  expect(mutation.status()).toBe(403);
  const audit = await page.request.get("/api/trpc/audit.list?input=" + encodeURIComponent(JSON.stringify({ json: {} })));
  expect(audit.status()).toBe(403);
  // Reading is allowed.
  const current = await page.request.get("/api/trpc/workspace.current");
  expect(current.status()).toBe(200);
});

test("sign-out ends the session", async ({ browser }) => {
  const page = await newPage(browser);
  await signIn(page, VIEWER);
  // The session's cookies, used once just before signing out (the server remembers a viewer for a few seconds).
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join("; ");
  expect((await page.request.get("/api/trpc/workspace.current", { headers: { cookie } })).status()).toBe(200);
  await page.getByRole("button", { name: VIEWER.name }).click();
  await page.getByRole("menuitem", { name: "Sign out" }).click();
  await page.waitForURL(/\/login$/);
  await page.goto("/settings");
  await expect(page).toHaveURL(/\/login$/);
  expect((await page.request.get("/api/trpc/workspace.current")).status()).toBe(401);
  // The old cookies no longer work either: signing out forgot the remembered viewer at once.
  expect((await page.request.get("/api/trpc/workspace.current", { headers: { cookie } })).status()).toBe(401);
});

test("malformed tRPC input gets a 400 naming the field; forms from other sites are refused", async () => {
  const page = adminPage;
  const bad = await page.request.post("/api/trpc/workspace.update", {
    data: { json: { name: "", defaultTimezone: "Mars/Olympus" } },
  });
  expect(bad.status()).toBe(400);
  const body = await bad.json();
  expect(body.error.json.data.fieldErrors).toEqual({
    name: ["Give the workspace a name"],
    defaultTimezone: ["Not a known time zone"],
  });
  // Nothing half-written: the name is unchanged.
  const current = await (await page.request.get("/api/trpc/workspace.current")).json();
  expect(current.result.data.json.name).toBe(ADMIN.workspace);

  const form = await page.request.post("/api/trpc/members.invite", {
    headers: { "content-type": "text/plain" },
    data: JSON.stringify({ json: { email: "x@y.z", role: "admin" } }),
  });
  expect(form.status()).toBe(415);
});

test("an admin edits workspace settings and sees the change in the audit log", async () => {
  const page = adminPage;
  await page.goto("/settings");
  // A new workspace runs on UTC, and the picker says so (not the first zone of the list).
  await expect(page.getByLabel("Default time zone")).toHaveValue("UTC");
  await page.getByLabel("Default time zone").selectOption("Europe/Berlin");
  await page.getByLabel("Workspace name").fill("Acme Fitness HQ");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByText("Workspace settings saved")).toBeVisible();
  // The sidebar follows the rename without a reload.
  await expect(page.getByTestId("workspace-name")).toHaveText("Acme Fitness HQ");
  await snap(page, "settings-general");
  await page.getByLabel("Workspace name").fill(ADMIN.workspace);
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByTestId("workspace-name")).toHaveText(ADMIN.workspace);

  await page.getByRole("link", { name: "Audit log" }).click();
  const table = page.getByTestId("audit-table");
  for (const action of ["Workspace created", "Member invited", "Member joined", "Workspace updated"]) {
    await expect(table.getByText(action, { exact: true }).first()).toBeVisible();
  }
  // The older of the two updates changed the time zone (the newer only renamed it back).
  await table.getByRole("row").filter({ hasText: "Workspace updated" }).last().getByRole("button", { name: "Show changes" }).click();
  await expect(table.getByText("Europe/Berlin")).toBeVisible();
  await snap(page, "settings-audit");

  await page.getByLabel("Action").selectOption("member.joined");
  await expect(table.getByRole("row")).toHaveCount(2); // header + one entry
  await expect(table).toContainText(VIEWER.email);
});

test("an admin changes a role and removes a member after confirming", async ({ browser }) => {
  const page = adminPage;
  await page.goto("/settings/members");
  const row = page.getByTestId(`member-${VIEWER.email}`);
  await row.getByLabel(`Role of ${VIEWER.email}`).selectOption("marketer");
  await expect(page.getByText("Role updated")).toBeVisible();

  await row.getByRole("button", { name: `Remove ${VIEWER.email}` }).click();
  const dialog = page.getByRole("dialog", { name: "Remove member?" });
  await expect(dialog).toBeVisible();
  await snap(page, "settings-members-remove");
  await dialog.getByRole("button", { name: "Cancel" }).click();
  await expect(dialog).toBeHidden();
  await expect(row).toBeVisible();

  await row.getByRole("button", { name: `Remove ${VIEWER.email}` }).click();
  await dialog.getByRole("button", { name: "Remove" }).click();
  await expect(row).toHaveCount(0);

  // The removed person is still signed in somewhere, but has access to nothing.
  const removed = await newPage(browser);
  await signIn(removed, VIEWER);
  await expect(removed.getByRole("heading", { name: "No workspace access" })).toBeVisible();
  expect((await removed.request.get("/api/trpc/workspace.current")).status()).toBe(403);
  await removed.context().close();
});

test("a removed member is invited again and accepts by signing in with their account", async ({ browser }) => {
  const page = adminPage;
  await page.goto("/settings/members");
  await page.getByLabel("Email address").fill(VIEWER.email);
  await page.getByLabel("Role", { exact: true }).selectOption("viewer");
  await page.getByRole("button", { name: "Create invite link" }).click();
  const link = await page.getByTestId("invite-link").inputValue();

  const again = await newPage(browser);
  await again.goto(link);
  await expect(again.getByRole("heading", { name: `Join ${ADMIN.workspace}` })).toBeVisible();
  await expect(again.getByText("You already have a Junction account")).toBeVisible();
  await expect(again.getByLabel("Email")).toHaveValue(VIEWER.email);
  await again.getByLabel("Password").fill("not-the-password");
  await again.getByRole("button", { name: "Sign in and join" }).click();
  await expect(again.locator("form").getByRole("alert")).toHaveText("Wrong email or password.");
  await snap(again, "invite-existing-account");
  await again.getByLabel("Password").fill(VIEWER.password);
  await again.getByRole("button", { name: "Sign in and join" }).click();
  await again.waitForURL("/");
  await expect(again.getByTestId("workspace-name")).toHaveText(ADMIN.workspace);
  await again.context().close();
});

test("repeated failed sign-ins are rate-limited per client address, and X-Forwarded-For cannot dodge the limit", async () => {
  const attempt = (from: string, password: string, forwardedFor: string) =>
    requestFrom(from, {
      method: "POST",
      path: "/api/auth/sign-in/email",
      headers: { "content-type": "application/json", "x-forwarded-for": forwardedFor },
      body: JSON.stringify({ email: ADMIN.email, password }),
    });
  // A new made-up address in every request: the server believes the connection, not the header.
  let last = 0;
  for (let i = 0; i < 25 && last !== 429; i++) last = (await attempt("127.0.0.2", `wrong-${i}`, `203.0.113.${i}`)).status;
  expect(last).toBe(429);
  expect((await attempt("127.0.0.2", ADMIN.password, "198.51.100.7")).status).toBe(429);
  // Someone else (another address) can still sign in; their session records their real address.
  const other = await attempt("127.0.0.3", ADMIN.password, "198.51.100.7");
  expect(other.status).toBe(200);
  const db = new pg.Client({ connectionString: process.env.E2E_DATABASE_URL });
  await db.connect();
  const { rows } = await db.query<{ ip_address: string }>("SELECT ip_address FROM sessions ORDER BY created_at DESC LIMIT 1");
  await db.end();
  expect(rows[0]?.ip_address).toBe("127.0.0.3");
});

test("health reports the database and the change feed's lag", async ({ request }) => {
  const res = await request.get("/api/v1/health");
  expect(res.status()).toBe(200);
  expect(await res.json()).toMatchObject({ status: "ok", database: { status: "up" }, feed: expect.arrayContaining([expect.objectContaining({ consumer: "segments", lagging: false }), expect.objectContaining({ consumer: "journeys", lagging: false })]) });
});

test("an admin sees on Settings → Status that the change feed keeps up", async ({ browser }) => {
  const page = await newPage(browser);
  await signIn(page, ADMIN);
  await page.goto("/settings");
  await page.getByRole("link", { name: "Status" }).click();
  await expect(page).toHaveURL(/\/settings\/status$/);
  const card = (title: string) => page.locator("section").filter({ has: page.getByRole("heading", { name: title, exact: true }) });
  const feed = card("Change feed");
  await expect(feed.getByText("Keeping up")).toBeVisible();
  await expect(feed.getByRole("row", { name: /segments/ })).toContainText("caught up");
  await expect(card("Time-based re-checks")).toContainText("Scheduled");
  await snap(page, "settings-status");
});
