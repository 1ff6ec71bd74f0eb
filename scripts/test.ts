/**
 * `npm test`: every check, in order — typecheck, lint, unit tests, integration tests
 * against a real Postgres, then Playwright e2e in Debian's Chromium against a production
 * build. Each run creates its own databases and drops them afterwards.
 *
 *   npm test                 everything
 *   npm test -- unit e2e     only these steps (typecheck, lint, unit, integration, e2e)
 *
 * Postgres: TEST_DATABASE_URL or DATABASE_URL, else the local server on 127.0.0.1:5432,
 * else an embedded one under .data/test-postgres. Chromium: CHROMIUM_PATH or /usr/bin/chromium.
 */
import { ensureProductionBuild } from "./build-stamp";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { acquireTestServer, createTestDatabase, type TestServer } from "../server/db/test-database";
import { freePort } from "../server/db/embedded";

const root = path.resolve(import.meta.dirname, "..");
const bin = (name: string) => path.join(root, "node_modules", ".bin", name);
const STEPS = ["typecheck", "lint", "unit", "integration", "e2e"] as const;
type Step = (typeof STEPS)[number];

const requested = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const unknown = requested.filter((a) => !STEPS.includes(a as Step));
if (unknown.length) {
  console.error(`Unknown step(s): ${unknown.join(", ")}. Steps: ${STEPS.join(", ")}`);
  process.exit(2);
}
const selected: Step[] = requested.length ? (requested as Step[]) : [...STEPS];

function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: "inherit", cwd: root, env });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
    child.on("error", (error) => {
      console.error(error.message);
      resolve(1);
    });
  });
}

const results: { step: string; ok: boolean; seconds: number }[] = [];
let server: TestServer | null = null;

async function step(name: string, body: () => Promise<number>): Promise<boolean> {
  console.log(`\n━━ ${name} ━━`);
  const started = performance.now();
  let code: number;
  try {
    code = await body();
  } catch (error) {
    console.error(error instanceof Error ? error.stack ?? error.message : error);
    code = 1;
  }
  const seconds = (performance.now() - started) / 1000;
  results.push({ step: name, ok: code === 0, seconds });
  return code === 0;
}

async function testServer(): Promise<TestServer> {
  if (!server) {
    server = await acquireTestServer(root);
    console.log(`Postgres for tests: ${server.source === "embedded" ? "embedded (.data/test-postgres)" : server.source === "local" ? "local server on 127.0.0.1:5432" : "from TEST_DATABASE_URL / DATABASE_URL"}`);
  }
  return server;
}

async function main() {
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: "1" };
  if (selected.includes("typecheck")) await step("typecheck", () => run(bin("tsc"), ["--noEmit"], env));
  if (selected.includes("lint")) await step("lint", () => run(bin("eslint"), ["--max-warnings", "0", "."], env));
  if (selected.includes("unit")) await step("unit tests", () => run(bin("vitest"), ["run", "--project", "unit"], env));
  if (selected.includes("integration")) {
    await step("integration tests", async () => {
      const { adminUrl } = await testServer();
      return run(bin("vitest"), ["run", "--project", "integration"], { ...env, TEST_DATABASE_URL: adminUrl });
    });
  }
  if (selected.includes("e2e")) {
    const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
    if (!existsSync(chromium)) {
      console.error(`\nChromium not found at ${chromium}. Install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH.`);
      results.push({ step: "e2e tests", ok: false, seconds: 0 });
    } else {
      const built = await step("production build", () => ensureProductionBuild(root, (command, args) => run(command, args, env), (line) => console.log(line)));
      if (built) {
        await step("e2e tests", async () => {
          const { adminUrl } = await testServer();
          const database = await createTestDatabase(adminUrl, "junction_e2e");
          const port = await freePort(3100);
          try {
            return await run(bin("playwright"), ["test"], {
              ...env,
              CHROMIUM_PATH: chromium,
              E2E_DATABASE_URL: database.url,
              E2E_PORT: String(port),
              E2E_AUTH_SECRET: randomBytes(32).toString("base64url"),
            });
          } finally {
            await database.drop();
          }
        });
      }
    }
  }
}

async function finish(code: number) {
  await server?.stop().catch(() => {});
  console.log("\n━━ summary ━━");
  for (const r of results) console.log(`${r.ok ? "✔" : "✘"} ${r.step.padEnd(20)} ${r.seconds.toFixed(1)} s`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(failed ? `\n${failed} of ${results.length} steps failed.` : `\nAll ${results.length} steps passed.`);
  process.exit(failed || code ? 1 : 0);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void finish(130));

main().then(
  () => finish(0),
  async (error) => {
    console.error(error);
    await finish(1);
  },
);
