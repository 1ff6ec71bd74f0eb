import { defineConfig, devices } from "@playwright/test";

/**
 * Run through `npm test` (or `npm test -- e2e`), which builds the app, creates a fresh
 * database and sets the E2E_* variables below.
 */
const databaseUrl = process.env.E2E_DATABASE_URL;
if (!databaseUrl) {
  throw new Error("E2E_DATABASE_URL is not set. Run the e2e tests with `npm test -- e2e`.");
}
const port = Number(process.env.E2E_PORT ?? 3100);
const baseURL = `http://localhost:${port}`;

export default defineConfig({
  testDir: "e2e",
  outputDir: "e2e/.artifacts/results",
  // One instance, one database, flows that build on each other: run in order.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  reporter: [["list"]],
  use: {
    baseURL,
    viewport: { width: 1280, height: 720 },
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 720 } } }],
  webServer: {
    // The real start command with DATABASE_URL set: migrates, never seeds, `next start`.
    command: "node --import tsx scripts/run.ts start",
    url: `${baseURL}/api/v1/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: "ignore",
    stderr: "pipe",
    env: {
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      APP_URL: baseURL,
      BETTER_AUTH_SECRET: process.env.E2E_AUTH_SECRET ?? "e2e-secret-e2e-secret-e2e-secret-0000",
      // A test-only master key for channel credentials (never used outside the e2e database).
      JUNCTION_SECRET_KEY: process.env.E2E_SECRET_KEY ?? "ZTJlLW1hc3Rlci1rZXktZTJlLW1hc3Rlci1rZXktMDA=",
      // The channels spec connects to an SMTP server on this machine.
      JUNCTION_ALLOW_PRIVATE_NETWORK: "1",
      SIGN_IN_RATE_LIMIT: "20",
      // Previews of the e2e workspace (a few dozen people) go the way of a big workspace: an
      // in-memory estimate first, then an exact count from per-condition sets.
      PREVIEW_EXACT_BELOW: "0",
      NEXT_TELEMETRY_DISABLED: "1",
    },
  },
});
