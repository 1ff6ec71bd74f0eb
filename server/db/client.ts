import { createHash } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "@/server/generated/prisma/client";

export type Db = PrismaClient;
/** A client or the `tx` handed to `$transaction(async (tx) => …)`. */
export type DbTx = Omit<PrismaClient, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

/**
 * Where a client keeps its pool. A global symbol, not a module-level map: Next.js may load
 * this module once per bundle (instrumentation, each route), while the client itself is one
 * per process (server/db.ts keeps it on globalThis).
 */
const POOL = Symbol.for("junction.db.pool");
type WithPool = PrismaClient & { [POOL]?: pg.Pool };

/** A Prisma client over a `pg` pool of its own, which hot paths can use directly (see `sqlTransaction`). */
export function createDb(connectionString: string): PrismaClient {
  // Waiting longer than this for a free connection is an error (a 503 for the caller), not a hang.
  const pool = new pg.Pool({ connectionString, connectionTimeoutMillis: 15_000 });
  // An idle connection that dies (server restart) must not crash the process; the pool replaces it.
  pool.on("error", (error) => console.warn("database connection lost:", error.message));
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  (client as WithPool)[POOL] = pool;
  return client;
}

/**
 * Tagged-template SQL on the Prisma client's own `pg` pool, for hot paths (ingestion): a
 * fraction of the CPU of a Prisma round trip. Values only ever travel as parameters; give
 * those whose type Postgres cannot infer an explicit cast (`${x}::text`).
 */
export interface Sql {
  query<T>(strings: TemplateStringsArray, ...values: unknown[]): Promise<T[]>;
  execute(strings: TemplateStringsArray, ...values: unknown[]): Promise<number>;
  /** SQL built at run time (server/segments/compile-sql.ts): `$n` placeholders, never prepared by name. */
  raw<T>(query: { sql: string; params: unknown[] }): Promise<T[]>;
}

function text(strings: TemplateStringsArray): string {
  return strings.reduce((sql, part, i) => (i === 0 ? part : `${sql}$${i}${part}`), "");
}

/**
 * Each template is one statement, prepared once per connection under a name derived from its
 * text: Postgres parses and plans it once instead of on every call. Templates are constants
 * in code, so the number of names is bounded. The cached plan may date from when a table
 * was empty: write statements that have one sensible plan whatever the statistics say
 * (primary-key probes via LATERAL … LIMIT 1, unnest() joins) — see server/ingest/service.ts.
 */
const prepared = new WeakMap<TemplateStringsArray, { name: string; text: string }>();
function statement(strings: TemplateStringsArray) {
  let found = prepared.get(strings);
  if (!found) {
    const sqlText = text(strings);
    found = { name: `j_${createHash("sha1").update(sqlText).digest("hex").slice(0, 20)}`, text: sqlText };
    prepared.set(strings, found);
  }
  return found;
}

/** `Sql` over any node-postgres client or pool (the app's own pool: `sql(db)`, `sqlTransaction`). */
export function pgSql(client: pg.ClientBase | pg.Pool): Sql {
  return {
    query: async <T>(strings: TemplateStringsArray, ...values: unknown[]) =>
      (await client.query({ ...statement(strings), values })).rows as T[],
    execute: async (strings: TemplateStringsArray, ...values: unknown[]) =>
      (await client.query({ ...statement(strings), values })).rowCount ?? 0,
    raw: async <T>(query: { sql: string; params: unknown[] }) => (await client.query({ text: query.sql, values: query.params })).rows as T[],
  };
}

/** The client's own `pg` pool (for connections held across calls, like an exported snapshot). */
export function poolOf(db: Db): pg.Pool {
  const pool = (db as WithPool)[POOL];
  if (!pool) throw new Error("this Prisma client was not made by createDb");
  return pool;
}

/** One statement on the client's pool, outside any transaction. */
export function sql(db: Db): Sql {
  return pgSql(poolOf(db));
}

/**
 * `fn` in one transaction on a connection of the client's pool: committed if it returns,
 * rolled back if it throws. `advisoryLocks` are taken, in the order given, in the same round
 * trip as BEGIN (they are numbers our code computed, so they can be written into the text).
 */
export async function sqlTransaction<T>(db: Db, fn: (sql: Sql) => Promise<T>, options: { advisoryLocks?: bigint[] } = {}): Promise<T> {
  const locks = options.advisoryLocks ?? [];
  const client = await poolOf(db).connect();
  let broken = false;
  // A connection that dies while checked out (a server restart between two statements) reports
  // here, not to the pool: the next statement fails with the reason, and the pool drops it.
  const lost = () => (broken = true);
  client.on("error", lost);
  try {
    await client.query(
      locks.length === 0
        ? "BEGIN"
        : `BEGIN; SELECT pg_advisory_xact_lock(k) FROM unnest('{${locks.map((l) => BigInt.asIntN(64, l).toString()).join(",")}}'::bigint[]) WITH ORDINALITY AS u(k, i) ORDER BY i`,
    );
    try {
      const result = await fn(pgSql(client));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true; // the connection is unusable: the pool drops it
      });
      throw error;
    }
  } finally {
    client.off("error", lost);
    client.release(broken);
  }
}

/** A connection of the client's own pool for `fn` (dynamic SQL, session settings, cancellation). */
export async function withConnection<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await poolOf(db).connect();
  let broken = false;
  const lost = () => (broken = true);
  client.on("error", lost);
  try {
    return await fn(client);
  } catch (error) {
    broken ||= !(error instanceof Error && "code" in error); // not a Postgres error: the connection may be in any state
    throw error;
  } finally {
    client.off("error", lost);
    client.release(broken);
  }
}
