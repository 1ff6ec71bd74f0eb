import "server-only";
import { db } from "../db";
import { env } from "../env";
import { authenticateKey } from "../keys/service";
import { ingestBatch } from "./service";
import { queueReevaluation } from "../segments/realtime";
import { RateLimiter } from "../../lib/ingest/rate-limit";
import {
  MAX_BATCH_BYTES,
  MAX_MESSAGE_BYTES,
  parseMessage,
  type Message,
  type MessageError,
  type MessageType,
} from "../../lib/ingest/schema";

/**
 * The Segment-compatible tracking endpoints (/api/v1/identify, /track, /page, /screen,
 * /group, /alias, /batch): write key as HTTP Basic username, answers like Segment
 * (`200 {"success": true}`), a clear 4xx for anything wrong with the request, never a 500
 * for bad input.
 */

const globalForLimiter = globalThis as unknown as { junctionIngestLimiter?: RateLimiter };
function limiter(): RateLimiter {
  const rate = env().INGEST_RATE_LIMIT;
  globalForLimiter.junctionIngestLimiter ??= new RateLimiter(rate, rate);
  return globalForLimiter.junctionIngestLimiter;
}

// no-transform: answers are a few bytes; compressing them cost more CPU than anything else here.
function reply(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): Response {
  return Response.json(body, { status, headers: { "cache-control": "no-store, no-transform", ...headers } });
}

function badRequest(error: string, extra: Record<string, unknown> = {}) {
  return reply(400, { success: false, error, ...extra });
}

/** The write key from `Authorization: Basic base64(key:)` (Segment's way) or a `writeKey` in the body. */
export function writeKeyFrom(header: string | null): string | null {
  if (!header) return null;
  const [scheme, value] = header.trim().split(/\s+/, 2);
  if (!scheme || !value || scheme.toLowerCase() !== "basic") return null;
  let decoded: string;
  try {
    decoded = Buffer.from(value, "base64").toString("utf8");
  } catch {
    return null;
  }
  const user = decoded.includes(":") ? decoded.slice(0, decoded.indexOf(":")) : decoded;
  return user || null;
}

async function readBody(req: Request, limit: number): Promise<{ text: string } | { error: Response }> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > limit) return { error: badRequest(`payload is larger than ${limit / 1024} KB`) };
  const buffer = await req.arrayBuffer();
  if (buffer.byteLength > limit) return { error: badRequest(`payload is larger than ${limit / 1024} KB`) };
  return { text: new TextDecoder().decode(buffer) };
}

export async function handleIngest(req: Request, endpoint: MessageType | "batch"): Promise<Response> {
  const receivedAt = new Date();
  const limit = endpoint === "batch" ? MAX_BATCH_BYTES : MAX_MESSAGE_BYTES;
  const body = await readBody(req, limit);
  if ("error" in body) return body.error;

  let payload: unknown;
  try {
    payload = JSON.parse(body.text);
  } catch {
    return badRequest("invalid JSON");
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) {
    return badRequest("body must be a JSON object");
  }
  const record = payload as Record<string, unknown>;

  const key = writeKeyFrom(req.headers.get("authorization")) ?? (typeof record.writeKey === "string" ? record.writeKey : null);
  if (!key) return reply(401, { success: false, error: "missing write key (HTTP Basic username)" }, { "www-authenticate": 'Basic realm="junction"' });
  const auth = await authenticateKey(db(), key, "write");
  if (!auth) return reply(401, { success: false, error: "invalid or revoked write key" }, { "www-authenticate": 'Basic realm="junction"' });

  const raws: unknown[] = endpoint === "batch" ? (Array.isArray(record.batch) ? record.batch : []) : [record];
  if (endpoint === "batch" && !Array.isArray(record.batch)) return badRequest("batch: must be an array of messages");
  if (raws.length === 0) return badRequest("batch: must contain at least one message");

  const rate = limiter().take(auth.keyId, raws.length, receivedAt.getTime());
  if (!rate.ok) {
    return reply(429, { success: false, error: "rate limit exceeded for this write key" }, { "retry-after": String(rate.retryAfterSeconds) });
  }

  const valid: { index: number; message: Message }[] = [];
  const errors: MessageError[] = [];
  raws.forEach((raw, index) => {
    const parsed = parseMessage(raw, {
      type: endpoint === "batch" ? undefined : endpoint,
      defaults: endpoint === "batch" ? { sentAt: record.sentAt, context: record.context } : undefined,
    });
    const messageId = raw && typeof raw === "object" && typeof (raw as { messageId?: unknown }).messageId === "string" ? (raw as { messageId: string }).messageId : undefined;
    if (parsed.ok) valid.push({ index, message: parsed.message });
    else errors.push({ index, ...(messageId ? { messageId } : {}), error: parsed.error });
  });
  if (valid.length === 0) {
    return badRequest(endpoint === "batch" ? "no valid messages in batch" : errors[0]!.error, endpoint === "batch" ? { errors } : {});
  }

  try {
    await ingestBatch(db(), { workspaceId: auth.workspaceId, items: valid.map(({ message }) => ({ message, receivedAt })) });
    // Saved segments follow within a fraction of a second (not on the request's time).
    void queueReevaluation(db(), auth.workspaceId, valid.map(({ message }) => message)).catch((e) => console.error("segment re-evaluation failed:", e));
  } catch (error) {
    console.error("ingest failed:", error);
    for (const { index, message } of valid) {
      errors.push({ index, ...(message.messageId ? { messageId: message.messageId } : {}), error: "could not be stored, retry later" });
    }
  }
  // Storing failed (not the client's fault): ask for a retry of the whole request.
  // Messages already stored are deduplicated by messageId when it comes back.
  if (errors.some((e) => e.error === "could not be stored, retry later")) {
    return reply(503, { success: false, error: "could not be stored, retry later" }, { "retry-after": "1" });
  }
  return reply(200, errors.length ? { success: true, errors: errors.sort((a, b) => a.index - b.index) } : { success: true });
}


