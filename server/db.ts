import "server-only";
import { createDb, type Db } from "./db/client";
import { env } from "./env";

export type { Db, DbTx } from "./db/client";

const globalForDb = globalThis as unknown as { junctionDb?: Db };

/** The one Prisma client of this process (kept across hot reloads in development). */
export function db(): Db {
  globalForDb.junctionDb ??= createDb(env().DATABASE_URL);
  return globalForDb.junctionDb;
}
