import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { startEmbeddedPostgres, type RunningPostgres } from "./embedded";
import { migrate } from "./migrate";

/**
 * Test databases: every run (and every integration test file) creates its own database
 * and drops it afterwards. The server is, in order: TEST_DATABASE_URL or DATABASE_URL,
 * the local server on 127.0.0.1:5432, or an embedded Postgres under .data/test-postgres.
 */

const LOCAL_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres";

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface TestServer {
  adminUrl: string;
  source: "env" | "local" | "embedded";
  stop: () => Promise<void>;
}

export async function acquireTestServer(root: string): Promise<TestServer> {
  const fromEnv = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (fromEnv) {
    const url = new URL(fromEnv);
    url.pathname = "/postgres";
    return { adminUrl: url.toString(), source: "env", stop: async () => {} };
  }
  if (await reachable(LOCAL_SERVER)) return { adminUrl: LOCAL_SERVER, source: "local", stop: async () => {} };
  const running: RunningPostgres = await startEmbeddedPostgres({ dir: path.join(root, ".data", "test-postgres") });
  return { adminUrl: running.adminUrl, source: "embedded", stop: running.stop };
}

function withDatabase(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Creates and migrates a fresh database; returns its URL and a function that drops it. */
export async function createTestDatabase(adminUrl: string, prefix = "junction_test") {
  const name = `${prefix}_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  await migrate(url);
  return {
    name,
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
