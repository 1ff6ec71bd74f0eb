import "server-only";
import { createDb, type Db } from "./db/client";
import { env } from "./env";
import { onShutdown } from "./shutdown";

export type { Db, DbTx } from "./db/client";

const globalForDb = globalThis as unknown as { junctionDb?: Db };

/** The one Prisma client of this process (kept across hot reloads in development). */
export function db(): Db {
  if (!globalForDb.junctionDb) {
    const client = createDb(env().DATABASE_URL);
    globalForDb.junctionDb = client;
    onShutdown("the database pool", () => client.$disconnect());
  }
  return globalForDb.junctionDb;
}
