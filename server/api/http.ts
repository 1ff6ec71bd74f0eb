import "server-only";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { BODY_LIMITS, payloadTooLarge, withBoundedBody } from "@/server/http/body";
import { rejectUnsafeRequest } from "@/server/http/csrf";
import { appRouter } from "./root";
import { createContext, type Context } from "./trpc";

/**
 * The tRPC HTTP endpoint: CSRF guard; for mutations the session first (every procedure
 * needs one, so nobody without it gets a byte read) and a body read within
 * BODY_LIMITS.trpc; then tRPC. The route file only re-exports this.
 */
export async function handleTrpcRequest(
  req: Request,
  makeContext: () => Promise<Context> = () => createContext({ headers: req.headers }),
): Promise<Response> {
  const refused = rejectUnsafeRequest(req);
  if (refused) return refused;
  let request = req;
  const context: Promise<Context> = makeContext();
  if (req.method === "POST") {
    const resolved = await context.catch(() => null);
    if (!resolved?.viewer) {
      // No session (or no database to ask): tRPC answers with its own error (UNAUTHORIZED,
      // SERVICE_UNAVAILABLE) before any input is parsed, and the body is never read.
      request = new Request(req.url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    } else {
      const bounded = await withBoundedBody(req, BODY_LIMITS.trpc);
      if (!(bounded instanceof Request)) {
        return "tooLarge" in bounded ? payloadTooLarge(BODY_LIMITS.trpc) : Response.json({ error: { message: "The request body was cut off.", code: "BAD_REQUEST" } }, { status: 400 });
      }
      request = bounded;
    }
  }
  context.catch(() => {}); // awaited by tRPC below; not an unhandled rejection meanwhile
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => context,
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
      }
    },
  });
}
