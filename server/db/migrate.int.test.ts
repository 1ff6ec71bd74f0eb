import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { checksum, migrate, readMigrations } from "./migrate";

async function freshDatabase(adminUrl: string) {
  const name = `junction_migrate_${Math.random().toString(16).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("migration runner", () => {
  const drops: (() => Promise<void>)[] = [];
  let adminUrl: string;
  beforeAll(() => {
    adminUrl = inject("testAdminUrl");
  });
  afterAll(async () => {
    for (const drop of drops) await drop();
  });

  it("applies every migration once and records it the way prisma migrate deploy does", async () => {
    const db = await freshDatabase(adminUrl);
    drops.push(db.drop);
    const files = await readMigrations();
    const first = await migrate(db.url);
    expect(first.applied).toEqual(files.map((f) => f.name));
    const second = await migrate(db.url);
    expect(second).toEqual({ applied: [], alreadyApplied: files.map((f) => f.name) });

    const rows = await query<{
      id: string;
      checksum: string;
      migration_name: string;
      finished_at: Date | null;
      rolled_back_at: Date | null;
      applied_steps_count: number;
    }>(db.url, `SELECT * FROM "_prisma_migrations" ORDER BY started_at`);
    expect(rows).toHaveLength(files.length);
    for (const [i, row] of rows.entries()) {
      expect(row.migration_name).toBe(files[i]!.name);
      expect(row.checksum).toBe(files[i]!.checksum);
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
    }
  });

  it("rolls a failing migration back completely, records the failure, and applies it once fixed", async () => {
    const db = await freshDatabase(adminUrl);
    drops.push(db.drop);
    const dir = await mkdtemp(path.join(os.tmpdir(), "junction-migrations-"));
    await mkdir(path.join(dir, "001_ok"));
    await writeFile(path.join(dir, "001_ok", "migration.sql"), "CREATE TABLE a (id int);");
    await mkdir(path.join(dir, "002_broken"));
    await writeFile(path.join(dir, "002_broken", "migration.sql"), "CREATE TABLE b (id int);\nSELECT no_such_function();");

    await expect(migrate(db.url, { dir })).rejects.toThrow(/002_broken failed/);
    const tables = await query<{ table_name: string }>(
      db.url,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(["_prisma_migrations", "a"]);
    const failed = await query<{ logs: string; rolled_back_at: Date | null; finished_at: Date | null }>(
      db.url,
      `SELECT logs, rolled_back_at, finished_at FROM "_prisma_migrations" WHERE migration_name = '002_broken'`,
    );
    expect(failed[0]?.finished_at).toBeNull();
    expect(failed[0]?.rolled_back_at).toBeInstanceOf(Date);
    expect(failed[0]?.logs).toMatch(/no_such_function/);

    const fixed = "CREATE TABLE b (id int);";
    await writeFile(path.join(dir, "002_broken", "migration.sql"), fixed);
    const result = await migrate(db.url, { dir });
    expect(result.applied).toEqual(["002_broken"]);
    const ok = await query<{ checksum: string }>(
      db.url,
      `SELECT checksum FROM "_prisma_migrations" WHERE migration_name = '002_broken' AND finished_at IS NOT NULL`,
    );
    expect(ok[0]?.checksum).toBe(checksum(fixed));
  });
});
