import { isDatabaseUnavailable } from "../db/errors";

/**
 * The public JSON API's answers (/api/v1 read and segment endpoints): never cached, and a
 * failure that is not the client's fault is a 503 with Retry-After while the database is
 * unreachable, or a plain 500 — never a stack or the database's words.
 */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store", ...headers } });
}

export async function apiHandler(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (error) {
    if (isDatabaseUnavailable(error)) {
      console.error("API: database unavailable:", error instanceof Error ? error.message : error);
      return json(503, { error: "The database is unavailable right now. Retry later." }, { "retry-after": "5" });
    }
    console.error("API request failed:", error);
    return json(500, { error: "Something went wrong on our side." });
  }
}
