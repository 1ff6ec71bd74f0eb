import "server-only";
import { toNextJsHandler } from "better-auth/next-js";
import { BODY_LIMITS, payloadTooLarge, withBoundedBody } from "@/server/http/body";
import { auth } from "./auth";

/** better-auth's endpoints (sign-in, sign-up, sign-out, session), with bodies read within BODY_LIMITS.auth. */
export async function handleAuthRequest(req: Request): Promise<Response> {
  const handler = toNextJsHandler(auth());
  if (req.method === "GET") return handler.GET(req);
  const bounded = await withBoundedBody(req, BODY_LIMITS.auth);
  if (!(bounded instanceof Request)) {
    return "tooLarge" in bounded ? payloadTooLarge(BODY_LIMITS.auth) : Response.json({ error: "The request body was cut off." }, { status: 400 });
  }
  return handler.POST(bounded);
}
