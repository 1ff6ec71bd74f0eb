import "server-only";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { rejectUnsafeRequest } from "./csrf";
import { appRouter } from "./root";
import { createContext, type Context } from "./trpc";

/** The tRPC HTTP endpoint: CSRF guard, then tRPC. The route file only re-exports this. */
export function handleTrpcRequest(
  req: Request,
  makeContext: () => Promise<Context> = () => createContext({ headers: req.headers }),
): Promise<Response> | Response {
  const refused = rejectUnsafeRequest(req);
  if (refused) return refused;
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: makeContext,
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        console.error(`tRPC ${path ?? "?"} failed:`, error.cause ?? error);
      }
    },
  });
}
