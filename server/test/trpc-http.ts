import { handleTrpcRequest } from "@/server/api/http";
import type { Context } from "@/server/api/trpc";
import type { Db } from "@/server/db/client";
import type { Viewer } from "@/server/auth/viewer-cache";

/**
 * A tRPC mutation over HTTP, as the app's client sends it (same-origin JSON POST, superjson
 * envelope), signed in as `viewer`. Returns the status and the parsed body.
 */
export async function postTrpc(db: Db, viewer: Viewer | null, path: string, input: unknown, init: { rawBody?: string | ReadableStream<Uint8Array> } = {}) {
  const res = await handleTrpcRequest(
    new Request(`http://localhost:3000/api/trpc/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", host: "localhost:3000", origin: "http://localhost:3000" },
      body: init.rawBody ?? JSON.stringify({ json: input }),
      duplex: "half",
    } as RequestInit),
    async (): Promise<Context> => ({ db, viewer, headers: new Headers() }),
  );
  const text = await res.text();
  return { status: res.status, text, body: text ? (JSON.parse(text) as { result?: { data?: { json?: unknown } }; error?: { json?: { message: string; code: string; data?: unknown } } }) : null };
}

/** A tRPC query over HTTP (GET with the superjson envelope in `input`). */
export async function getTrpc(db: Db, viewer: Viewer | null, path: string, input: unknown) {
  const res = await handleTrpcRequest(
    new Request(`http://localhost:3000/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers: { host: "localhost:3000" } }),
    async (): Promise<Context> => ({ db, viewer, headers: new Headers() }),
  );
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text) as { result?: { data?: { json?: unknown } }; error?: { json?: { message: string; code: string; data?: unknown } } } };
}
