/**
 * CSRF guard for cookie-authenticated state changes (tRPC mutations, the GDPR export):
 * they only arrive as POST with a JSON body. A browser cannot send `application/json`
 * cross-site without a CORS preflight (which we never grant), so forms and simple requests
 * from other sites are refused. When the browser sends an Origin, it must be exactly ours —
 * scheme, host and port: `http://app.example` is not `https://app.example`.
 *
 * "Ours" is the origin the request was addressed to: the scheme from X-Forwarded-Proto and
 * the host from X-Forwarded-Host or Host. scripts/serve.ts only lets trusted proxies set the
 * forwarded headers (server/http/forwarded.ts), so they can be believed here.
 */
export function rejectUnsafeRequest(req: Request): Response | null {
  const problem = unsafeRequestProblem(req);
  return problem && Response.json({ error: { message: problem.message, code: problem.code } }, { status: problem.status });
}

/** Why a request may not change anything with the session cookie, or null when it may. */
export function unsafeRequestProblem(req: Request): { status: number; code: string; message: string } | null {
  if (req.method === "GET" || req.method === "HEAD") return null;
  if (req.method !== "POST") return { status: 405, code: "METHOD_NOT_SUPPORTED", message: "Use GET for queries and POST for mutations." };
  const contentType = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(contentType)) {
    return { status: 415, code: "UNSUPPORTED_MEDIA_TYPE", message: "Mutations must be sent as application/json." };
  }
  const origin = req.headers.get("origin");
  if (origin !== null && origin !== ownOrigin(req)) return { status: 403, code: "FORBIDDEN", message: "Cross-site request refused." };
  return null;
}

/** `https://app.example:8443`: the origin this request was sent to. */
export function ownOrigin(req: Request): string | null {
  const url = new URL(req.url);
  const proto = req.headers.get("x-forwarded-proto")?.split(",")[0]?.trim() || url.protocol.replace(/:$/, "");
  const host = req.headers.get("x-forwarded-host")?.split(",")[0]?.trim() || req.headers.get("host") || url.host;
  try {
    return new URL(`${proto}://${host}`).origin;
  } catch {
    return null;
  }
}
