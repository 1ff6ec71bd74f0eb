import "server-only";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { BODY_LIMITS, payloadTooLarge, withBoundedBody } from "../http/body";
import { rejectUnsafeRequest } from "./csrf";
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
  let context: Promise<Context> | undefined;
  if (req.method === "POST") {
    const resolved = await makeContext();
    if (!resolved.viewer) return Response.json({ error: { message: "Please sign in.", code: "UNAUTHORIZED" } }, { status: 401 });
    const bounded = await withBoundedBody(req, BODY_LIMITS.trpc);
    if (!(bounded instanceof Request)) {
      return "tooLarge" in bounded ? payloadTooLarge(BODY_LIMITS.trpc) : Response.json({ error: { message: "The request body was cut off.", code: "BAD_REQUEST" } }, { status: 400 });
    }
    request = bounded;
    context = Promise.resolve(resolved);
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req: request,
    router: appRouter,
    createContext: () => context ?? makeContext(),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
      }
    },
  });
}
