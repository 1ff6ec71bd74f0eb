import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { expect, test, type Browser } from "@playwright/test";
import { freePort } from "../server/db/embedded";

/**
 * The README's first command, as a new user meets it: demo mode (no DATABASE_URL) on the
 * production build, signed in at localhost and at 127.0.0.1, stopped with Ctrl-C, started
 * again. (The build itself is the one `npm test` made for all e2e tests: same sources.)
 */
test.describe.configure({ mode: "serial" });
test.setTimeout(120_000);

const root = path.resolve(import.meta.dirname, "..");
let dataDir: string;
let port: number;

interface Running {
  child: ChildProcess;
  output: () => string;
}

async function start(): Promise<Running> {
  const env: NodeJS.ProcessEnv = { ...process.env, JUNCTION_DATA_DIR: dataDir, PORT: String(port), EMBEDDED_PG_PORT: String(await freePort()) };
  for (const name of ["DATABASE_URL", "APP_URL", "BETTER_AUTH_SECRET", "npm_lifecycle_event"]) delete env[name];
  // Its own process group, as a terminal would have it: Ctrl-C goes to the whole group.
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/run.ts", "start"], { cwd: root, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  await expect.poll(() => output, { timeout: 90_000, intervals: [250] }).toContain("ready: open");
  return { child, output: () => output };
}

async function ctrlC(running: Running): Promise<string> {
  const before = running.output().length;
  const exited = new Promise((resolve) => running.child.once("exit", resolve));
  process.kill(-running.child.pid!, "SIGINT");
  await exited;
  return running.output().slice(before);
}

async function signInAt(browser: Browser, origin: string) {
  const page = await (await browser.newContext({ baseURL: origin })).newPage();
  const started = Date.now();
  await page.goto("/login");
  const firstPageMs = Date.now() - started;
  await page.getByLabel("Email").fill("demo@junction.local");
  await page.getByLabel("Password").fill("junction-demo");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${origin}/`);
  await expect(page.getByTestId("workspace-name")).toHaveText("Acme Fitness (demo)");
  await page.context().close();
  return firstPageMs;
}

test.beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), "junction-first-hour-"));
  port = await freePort();
});
test.afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

test("the README's command serves the app at localhost and 127.0.0.1, stops quietly and starts again", async ({ browser }) => {
  const first = await start();
  expect(first.output()).toContain(`ready: open http://localhost:${port} (or http://127.0.0.1:${port})`);
  expect(first.output()).toContain("seeded demo workspace");
  // Demo mode makes its own master key for channel credentials, kept for the next start.
  expect(existsSync(path.join(dataDir, "secret-key"))).toBe(true);
  await signInAt(browser, `http://localhost:${port}`);
  await signInAt(browser, `http://127.0.0.1:${port}`);

  const stopping = await ctrlC(first);
  expect(stopping).not.toMatch(/error|exception|at .*\(.*:\d+:\d+\)/i);
  expect(stopping.trim().split("\n").length).toBeLessThanOrEqual(3);

  const second = await start();
  expect(second.output()).toContain("reusing the production build");
  expect(second.output()).not.toContain("seeded demo workspace");
  const firstPageMs = await signInAt(browser, `http://127.0.0.1:${port}`);
  console.log(`second start: first page in ${firstPageMs} ms`);
  expect(firstPageMs).toBeLessThan(3_000); // measured well under 1 s; generous for a loaded CI machine
  await ctrlC(second);
});
