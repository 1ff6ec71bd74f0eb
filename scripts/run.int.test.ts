import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort } from "../server/db/embedded";
import { createTestDatabase } from "../server/db/test-database";

const exec = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");

/** The database half of `npm run dev` / `npm start` (`scripts/run.ts prepare`). */
async function prepare(env: Record<string, string>) {
  const base = { ...process.env };
  delete base.DATABASE_URL;
  const result = await exec(process.execPath, ["--import", "tsx", "scripts/run.ts", "prepare"], {
    cwd: root,
    env: { ...base, ...env },
    timeout: 90_000,
  });
  return result.stdout;
}

async function postgresRunningIn(dir: string): Promise<boolean> {
  const { stdout } = await exec("ps", ["-eo", "args"]);
  return stdout.split("\n").some((line) => line.includes("postgres") && line.includes(dir));
}

describe("the start command's database handling", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it("without DATABASE_URL: starts embedded Postgres, migrates, seeds once, reuses the data, leaves nothing running", async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), "junction-run-"));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = { JUNCTION_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()) };

    const first = await prepare(env);
    expect(first).toContain("starting the embedded Postgres");
    expect(first).toContain("applied 20261124000000_init");
    expect(first).toContain("seeded demo workspace");
    expect(await postgresRunningIn(dataDir)).toBe(false);

    const second = await prepare(env);
    expect(second).toContain("database is up to date (0 new migrations)");
    expect(second).not.toContain("creating a new Postgres cluster");
    expect(second).not.toContain("seeded demo workspace");
    expect(await postgresRunningIn(dataDir)).toBe(false);
  }, 120_000);

  it("with DATABASE_URL: uses that server, migrates it, never starts an embedded one and never seeds", async () => {
    const database = await createTestDatabase(inject("testAdminUrl"), "junction_run");
    cleanups.push(database.drop);
    const output = await prepare({ DATABASE_URL: database.url, JUNCTION_DATA_DIR: path.join(os.tmpdir(), "junction-never-used") });
    expect(output).not.toContain("embedded");
    expect(output).toContain("database is up to date");
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      expect((await client.query("SELECT count(*)::int AS n FROM users")).rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
  }, 60_000);

  it("with DATABASE_URL, `start` refuses to run without a master key for channel credentials, or with a malformed one, and says why", async () => {
    const base: Record<string, string | undefined> = { ...process.env, DATABASE_URL: "postgresql://nobody@127.0.0.1:1/never", BETTER_AUTH_SECRET: "x".repeat(40) };
    delete base.JUNCTION_SECRET_KEY;
    const start = (env: Record<string, string | undefined>) =>
      exec(process.execPath, ["--import", "tsx", "scripts/run.ts", "start"], { cwd: root, env: env as NodeJS.ProcessEnv, timeout: 30_000 }).then(
        () => ({ code: 0, stderr: "" }),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      );
    const missing = await start(base);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("JUNCTION_SECRET_KEY must be set");
    const malformed = await start({ ...base, JUNCTION_SECRET_KEY: "dG9vLXNob3J0" });
    expect(malformed.code).toBe(1);
    expect(malformed.stderr).toMatch(/must be 32/);
    expect(malformed.stderr).not.toContain("dG9vLXNob3J0");
  }, 60_000);
});
