/**
 * Request bodies read with a limit: whatever the client declares (or leaves out, with
 * chunked encoding), reading stops at `limit` bytes and the rest is never buffered. Every
 * route that reads a body goes through here, after it checked what it can check without
 * the body (keys, session).
 */

/** How much a route reads at most (the tracking API's limits are in lib/ingest/schema.ts). */
export const BODY_LIMITS = {
  /** tRPC from the app: the biggest inputs are a CSV chunk and a segment definition (256 KB). */
  trpc: 2 * 1024 * 1024,
  /** Sign-in, sign-up and the rest of better-auth: a few fields. */
  auth: 64 * 1024,
  /** The segments HTTP API: one definition. */
  segmentsApi: 256 * 1024,
  /** A person's subscriptions (HTTP API), the preference page's form, a one-click unsubscribe. */
  consent: 64 * 1024,
  /** Marking an in-app message seen or dismissed: no body is needed; a stray one is read up to this. */
  inApp: 4 * 1024,
} as const;

export function payloadTooLarge(limit: number): Response {
  return Response.json({ error: `The request body is larger than ${Math.round(limit / 1024)} KB.` }, { status: 413, headers: { "cache-control": "no-store" } });
}

export type BodyResult = { ok: true; bytes: Uint8Array } | { ok: false; reason: "too-large" | "aborted" };

export async function readBody(req: Request, limit: number): Promise<BodyResult> {
  // Past the limit, reading just stops: the rest is never pulled off the connection. (Not
  // cancelled: that destroys the socket under the answer, and the client sees a reset
  // instead of its 4xx. scripts/serve.ts closes such a connection shortly after answering.)
  const declared = req.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) return { ok: false, reason: "too-large" };
  if (!req.body) return { ok: true, bytes: new Uint8Array(0) };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        reader.releaseLock();
        return { ok: false, reason: "too-large" };
      }
      chunks.push(value);
    }
  } catch {
    return { ok: false, reason: "aborted" }; // the client went away mid-body
  }
  if (chunks.length === 1) return { ok: true, bytes: chunks[0]! };
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

/** The body as text (UTF-8; invalid bytes become U+FFFD, never lone surrogates). */
export async function readText(req: Request, limit: number): Promise<{ ok: true; text: string } | { ok: false; reason: "too-large" | "aborted" }> {
  const body = await readBody(req, limit);
  return body.ok ? { ok: true, text: new TextDecoder().decode(body.bytes) } : body;
}

/**
 * The same request with its body read (within `limit`), for handlers that read the body
 * themselves (better-auth, tRPC): they get a buffered copy and can never read past it.
 */
export async function withBoundedBody(req: Request, limit: number): Promise<Request | { tooLarge: true } | { aborted: true }> {
  if (req.method === "GET" || req.method === "HEAD") return req;
  const body = await readBody(req, limit);
  if (!body.ok) return body.reason === "too-large" ? { tooLarge: true } : { aborted: true };
  const headers = new Headers(req.headers);
  headers.delete("transfer-encoding");
  headers.set("content-length", String(body.bytes.byteLength));
  return new Request(req.url, { method: req.method, headers, body: body.bytes as BodyInit, signal: req.signal });
}
