import "server-only";
import { db, type Db } from "./db";
import { feedLag } from "./feed/feed";
import { LAGGING_SECONDS } from "./system/status";

export type DatabaseHealth =
  | { status: "up"; latencyMs: number }
  | { status: "down"; error: string };

const TIMEOUT_MS = 2_000;

/** `SELECT 1` against the database, bounded so a hung server reads as down, not as a hang. */
export async function checkDatabase(client: Pick<Db, "$queryRaw"> = db()): Promise<DatabaseHealth> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      client.$queryRaw`SELECT 1`,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return { status: "up", latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    // Only a short reason: connection strings and credentials stay out of the response.
    const message = error instanceof Error ? error.message : String(error);
    return { status: "down", error: message.includes("no answer within") ? "timeout" : "unreachable" };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The change feed's consumers: how far behind each is (rows, seconds), `lagging` past a
 * minute. Null when it cannot be read (the database is down).
 */
async function feedDetails(client: Db) {
  try {
    return (await feedLag(client)).map((c) => ({ consumer: c.consumer, behind: c.behind, seconds: Math.round(c.seconds * 10) / 10, lagging: c.seconds > LAGGING_SECONDS }));
  } catch {
    return null;
  }
}

/**
 * GET /api/v1/health: 200 "ok" while the database answers, 503 "degraded" otherwise; never
 * cached. Details: the database's latency and the change feed's lag per consumer (a
 * lagging consumer does not make the app unhealthy: it still takes events, and catches up).
 */
export async function handleHealth(): Promise<Response> {
  const database = await checkDatabase();
  const ok = database.status === "up";
  const feed = ok ? await feedDetails(db()) : null;
  return Response.json(
    { status: ok ? "ok" : "degraded", database, feed },
    { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
