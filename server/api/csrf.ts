/**
 * CSRF guard for the tRPC endpoint: state changes only arrive as POST with a JSON body.
 * A browser cannot send `application/json` cross-site without a CORS preflight (which we
 * never grant), so forms and simple requests from other sites are refused. When the
 * browser sends an Origin, it must be ours.
 */
export function rejectUnsafeRequest(req: Request): Response | null {
  if (req.method === "GET" || req.method === "HEAD") return null;
  if (req.method !== "POST") return jsonError(405, "METHOD_NOT_SUPPORTED", "Use GET for queries and POST for mutations.");
  const contentType = req.headers.get("content-type") ?? "";
  if (!/^application\/json\b/i.test(contentType)) {
    return jsonError(415, "UNSUPPORTED_MEDIA_TYPE", "Mutations must be sent as application/json.");
  }
  const origin = req.headers.get("origin");
  if (origin && origin !== "null") {
    const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
    let originHost: string | null = null;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = null;
    }
    if (!host || originHost !== host) {
      return jsonError(403, "FORBIDDEN", "Cross-site request refused.");
    }
  } else if (origin === "null") {
    return jsonError(403, "FORBIDDEN", "Cross-site request refused.");
  }
  return null;
}

function jsonError(status: number, code: string, message: string): Response {
  return Response.json({ error: { message, code } }, { status });
}
