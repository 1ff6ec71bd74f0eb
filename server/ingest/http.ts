import "server-only";
import { db } from "@/server/db";
import { env } from "@/server/env";
import { authenticateKey } from "@/server/keys/service";
import { ingestBatch, isRefused } from "./service";
import { isDatabaseUnavailable } from "@/server/db/errors";
import { readText } from "@/server/http/body";
import { isStorableText } from "@/lib/storable";
import { RateLimiter } from "@/lib/ingest/rate-limit";
import {
  MAX_BATCH_BYTES,
  MAX_MESSAGE_BYTES,
  parseMessage,
  type Message,
  type MessageError,
  type MessageType,
} from "@/lib/ingest/schema";

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

const unauthorized = (error: string) => reply(401, { success: false, error }, { "www-authenticate": 'Basic realm="junction"' });
const retryLater = () => reply(503, { success: false, error: "could not be stored, retry later" }, { "retry-after": "1" });

export async function handleIngest(req: Request, endpoint: MessageType | "batch"): Promise<Response> {
  try {
    return await ingest(req, endpoint);
  } catch (error) {
    // Not the client's fault (the database is down, or a bug of ours): a Segment client
    // retries after Retry-After, and messages stored meanwhile are deduplicated by messageId.
    console.error(isDatabaseUnavailable(error) ? "ingest: database unavailable:" : "ingest failed:", error instanceof Error ? error.message : error);
    return retryLater();
  }
}

async function ingest(req: Request, endpoint: MessageType | "batch"): Promise<Response> {
  const receivedAt = new Date();
  const limit = endpoint === "batch" ? MAX_BATCH_BYTES : MAX_MESSAGE_BYTES;

  // The key first, when the header carries it: nobody without one gets a byte read.
  const headerKey = writeKeyFrom(req.headers.get("authorization"));
  let auth = headerKey ? await authenticateKey(db(), headerKey, "write") : null;
  if (headerKey && !auth) return unauthorized("invalid or revoked write key");

  const body = await readText(req, limit);
  if (!body.ok) return badRequest(body.reason === "too-large" ? `payload is larger than ${limit / 1024} KB` : "the request body was cut off");

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

  if (!auth) {
    const bodyKey = typeof record.writeKey === "string" ? record.writeKey : null;
    if (!bodyKey) return unauthorized("missing write key (HTTP Basic username)");
    auth = await authenticateKey(db(), bodyKey, "write");
    if (!auth) return unauthorized("invalid or revoked write key");
  }

  const raws: unknown[] = endpoint === "batch" ? (Array.isArray(record.batch) ? record.batch : []) : [record];
  if (endpoint === "batch" && !Array.isArray(record.batch)) return badRequest("batch: must be an array of messages");
  if (raws.length === 0) return badRequest("batch: must contain at least one message");

  const rate = limiter().take(auth.keyId, raws.length, receivedAt.getTime());
  if (!rate.ok) {
    return reply(429, { success: false, error: "rate limit exceeded for this write key" }, { "retry-after": String(rate.retryAfterSeconds) });
  }

  const valid: { index: number; message: Message }[] = [];
  const errors: MessageError[] = [];
  const refuse = (index: number, raw: unknown, error: string) => {
    const messageId = raw && typeof raw === "object" ? (raw as { messageId?: unknown }).messageId : undefined;
    errors.push({ index, ...(typeof messageId === "string" && isStorableText(messageId) ? { messageId } : {}), error });
  };
  raws.forEach((raw, index) => {
    const parsed = parseMessage(raw, {
      type: endpoint === "batch" ? undefined : endpoint,
      defaults: endpoint === "batch" ? { sentAt: record.sentAt, context: record.context } : undefined,
      receivedAt,
    });
    if (parsed.ok) valid.push({ index, message: parsed.message });
    else refuse(index, raw, parsed.error);
  });

  if (valid.length > 0) {
    const outcomes = await ingestBatch(db(), { workspaceId: auth.workspaceId, items: valid.map(({ message }) => ({ message, receivedAt })) });
    outcomes.forEach((outcome, i) => {
      if (isRefused(outcome)) refuse(valid[i]!.index, raws[valid[i]!.index], outcome.refused);
    });
  }
  if (errors.length === raws.length) {
    return badRequest(endpoint === "batch" ? "no valid messages in batch" : errors[0]!.error, endpoint === "batch" ? { errors } : {});
  }
  return reply(200, errors.length ? { success: true, errors: errors.sort((a, b) => a.index - b.index) } : { success: true });
}
