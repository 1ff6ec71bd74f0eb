import { spawn, type ChildProcess } from "node:child_process";
import http from "node:http";
import path from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { ADMIN, PORT, listeningPid, rssOf, signIn, snap } from "./helpers";

/**
 * The production server as an attacker and a careless client meet it: huge bodies without
 * a key, pages under a strict Content-Security-Policy, ids with percent signs, and a
 * database that goes away.
 */
test.describe.configure({ mode: "serial" });

const MiB = 1024 * 1024;
let page: Page;

test.beforeAll(async ({ browser }) => {
  page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN);
});

/** POSTs `mib` MiB of chunked body (no Content-Length) and stops as soon as the server answers. */
function streamBody(urlPath: string, mib: number, headers: Record<string, string> = {}): Promise<{ status: number; sentMiB: number }> {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(MiB, 0x61);
    let sent = 0;
    let answered = false;
    const req = http.request({ host: "127.0.0.1", port: PORT, method: "POST", path: urlPath, headers: { "content-type": "application/json", ...headers } });
    req.on("response", (res) => {
      answered = true;
      res.resume();
      res.on("end", () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, sentMiB: sent });
      });
    });
    req.on("error", (error) => (answered ? undefined : reject(error)));
    const pump = () => {
      while (!answered && sent < mib) {
        sent += 1;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    req.write('{"batch":"');
    pump();
  });
}

test("a 512 MiB chunked body without a key leaves the server's memory where it was, on every public route", async () => {
  test.setTimeout(120_000);
  const pid = listeningPid(PORT);
  expect(pid, "the app's process").not.toBeNull();
  const routes = ["/api/v1/batch", "/api/v1/track", "/api/auth/sign-in/email", "/api/trpc/segments.create", "/api/v1/segments/count"];
  for (const route of routes) await streamBody(route, 1); // warm up: every handler loaded once
  const before = rssOf(pid!);
  for (const route of routes) {
    const { status, sentMiB } = await streamBody(route, 512);
    expect([400, 401, 413], route).toContain(status);
    expect(sentMiB, `${route}: the server stopped reading early`).toBeLessThan(64);
  }
  const after = rssOf(pid!);
  expect(after - before).toBeLessThan(50 * MiB);
});

test("every response carries the security headers; pages run under a nonce CSP without console errors", async ({ browser }) => {
  const problems: string[] = [];
  const watch = (p: Page) => {
    p.on("console", (m) => {
      // The one expected failure: /no-such-page itself answers 404.
      if (m.type() === "error" && !(p.url().endsWith("/no-such-page") && /status of 404/.test(m.text()))) problems.push(`${p.url()}: ${m.text()}`);
    });
    p.on("pageerror", (e) => problems.push(`${p.url()}: ${e.message}`));
  };
  watch(page);
  // The segment builder is watched the same way in segments.spec.ts (visiting it here would
  // count the population of a still empty workspace, which previews then reuse for a minute).
  const paths = ["/", "/segments", "/segments/overlap", "/profiles", "/events", "/settings", "/settings/members", "/settings/api-keys", "/settings/audit", "/no-such-page"];
  const nonces = new Set<string>();
  for (const p of paths) {
    const res = await page.goto(p);
    const headers = res!.headers();
    const nonce = /script-src 'self' 'nonce-([^']+)' 'strict-dynamic'/.exec(headers["content-security-policy"] ?? "")?.[1];
    expect(nonce, `${p} has a nonce policy`).toBeTruthy();
    nonces.add(nonce!);
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    await page.waitForLoadState("networkidle");
  }
  expect(nonces.size, "a fresh nonce per response").toBe(paths.length);
  // The pages work (client-side navigation, React running) under the policy.
  await page.goto("/");
  await page.getByRole("link", { name: "Profiles", exact: true }).click();
  await expect(page).toHaveURL(/\/profiles$/);
  await expect(page.getByRole("heading", { name: "Profiles", exact: true })).toBeVisible();
  // Signed out, too.
  const visitor = await (await browser.newContext()).newPage();
  watch(visitor);
  await visitor.goto("/login");
  await expect(visitor.getByRole("button", { name: "Sign in" })).toBeVisible();
  await visitor.waitForLoadState("networkidle");
  expect(problems).toEqual([]);

  const api = await page.request.get("/api/v1/health");
  expect(api.headers()["x-content-type-options"]).toBe("nosniff");
  expect(api.headers()["x-frame-options"]).toBe("DENY");
});

test("the profile API takes an id as it is in the path, decoded once", async ({ request }) => {
  const create = async (kind: "write" | "secret") => {
    const res = await page.request.post("/api/trpc/keys.create", { data: { json: { name: `Hardening ${kind}`, kind } } });
    expect(res.status()).toBe(200);
    return ((await res.json()) as { result: { data: { json: { key: string } } } }).result.data.json.key;
  };
  const [writeKey, secretKey] = [await create("write"), await create("secret")];
  const batch = await request.post("/api/v1/batch", {
    headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString("base64")}` },
    data: { batch: ["ddA", "dd%41", "50%off"].map((userId) => ({ type: "identify", userId, traits: { who: userId } })) },
  });
  expect(batch.status()).toBe(200);
  const auth = { authorization: `Bearer ${secretKey}` };
  for (const [raw, userId] of [
    ["dd%2541", "dd%41"],
    ["ddA", "ddA"],
    ["50%25off", "50%off"],
  ]) {
    for (const suffix of ["", "/events", "/segments"]) {
      const res = await request.get(`/api/v1/profiles/${raw}${suffix}`, { headers: auth });
      expect(res.status(), `${raw}${suffix}`).toBe(200);
    }
    expect(((await (await request.get(`/api/v1/profiles/${raw}`, { headers: auth })).json()) as { userId: string }).userId).toBe(userId);
  }
  expect((await request.get("/api/v1/profiles/a%00b", { headers: auth })).status()).toBe(404);
});

test("when the database goes away while a list is open, the list says so and recovers with Try again", async () => {
  // What the server answers while its database is unreachable (server/api/trpc.ts), for every call of a batch.
  await page.route("**/api/trpc/**", async (route) => {
    const calls = new URL(route.request().url()).pathname.split("/api/trpc/")[1]!.split(",");
    const error = { error: { json: { message: "The database is unavailable right now. Try again in a moment.", code: -32603, data: { code: "SERVICE_UNAVAILABLE", httpStatus: 503 } } } };
    await route.fulfill({ status: 503, contentType: "application/json", body: JSON.stringify(calls.map(() => error)) });
  });
  await page.goto("/segments");
  await expect(page.getByRole("heading", { name: "Junction can’t reach its database" })).toBeVisible({ timeout: 15_000 });
  await snap(page, "segments-database-unavailable");
  await page.unrouteAll();
  await page.getByRole("button", { name: "Try again" }).click();
  await expect(page.getByRole("heading", { name: "Junction can’t reach its database" })).toHaveCount(0);
  await expect(page.getByText(/No segments yet|Segment/).first()).toBeVisible();
});

test("while the database is down, pages say so and the APIs ask clients to retry", async ({ browser }) => {
  test.setTimeout(120_000);
  // A second app process on the same build, pointed at a port where no database listens.
  const port = PORT + 50;
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", path.join(import.meta.dirname, "..", "scripts", "serve.ts"), "start"], {
    env: {
      ...process.env,
      PORT: String(port),
      NODE_ENV: "production",
      DATABASE_URL: "postgresql://postgres:secret-password@127.0.0.1:9/junction",
      BETTER_AUTH_SECRET: "e2e-down-secret-e2e-down-secret-0000",
      APP_URL: `http://localhost:${port}`,
      JUNCTION_WORKER: "off",
    },
    stdio: "ignore",
  });
  try {
    const base = `http://localhost:${port}`;
    await expect(async () => expect((await fetch(`${base}/api/v1/health`)).status).toBe(503)).toPass({ timeout: 60_000 });

    const track = await fetch(`${base}/api/v1/track`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Basic ${Buffer.from("jw_key:").toString("base64")}` },
      body: JSON.stringify({ userId: "u", event: "e" }),
    });
    expect(track.status).toBe(503);
    expect(Number(track.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await track.text()).not.toMatch(/secret-password|ECONNREFUSED/);

    const visitor = await (await browser.newContext()).newPage();
    await visitor.goto(`${base}/segments`);
    await expect(visitor.getByRole("heading", { name: "Junction can’t reach its database" })).toBeVisible();
    await expect(visitor.getByRole("button", { name: "Try again" })).toBeVisible();
    await snap(visitor, "database-unavailable");
  } finally {
    child.kill("SIGTERM");
  }
});
