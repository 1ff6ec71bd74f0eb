import { afterAll, beforeAll, inject } from "vitest";
import { createDb, type Db } from "@/server/db/client";
import { createTestDatabase } from "@/server/db/test-database";

/**
 * A fresh, migrated database for one test file, dropped afterwards.
 * Also points the app's env at it, so code that calls `db()` uses it too.
 */
export function useTestDatabase() {
  const state = {} as { db: Db; url: string };
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const created = await createTestDatabase(inject("testAdminUrl"));
    drop = created.drop;
    state.url = created.url;
    state.db = createDb(created.url);
    process.env.DATABASE_URL = created.url;
  });
  afterAll(async () => {
    await state.db?.$disconnect();
    await drop?.();
  });
  return state;
}
