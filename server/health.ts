import "server-only";
import { db, type Db } from "./db";

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

/** GET /api/v1/health: 200 "ok" while the database answers, 503 "degraded" otherwise; never cached. */
export async function handleHealth(): Promise<Response> {
  const database = await checkDatabase();
  const ok = database.status === "up";
  return Response.json(
    { status: ok ? "ok" : "degraded", database },
    { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
