import "server-only";
import { z } from "zod";
import { db } from "@/server/db";
import { ZTextCursor } from "@/server/db/keyset";
import { apiHandler, json, parseInput, Refusal } from "@/server/http/api";
import { BODY_LIMITS, readText } from "@/server/http/body";
import { requireSecretKey } from "@/server/keys/secret-key";
import { profileFromPath } from "@/server/profiles/http";
import { listInAppMessages, markInAppMessage, type InAppMessageView } from "./service";

/**
 * The in-app messages API (secret key, `Authorization: Bearer …`), for the customer's own
 * app or site — from their server, since the key is secret:
 * - `GET /api/v1/profiles/{userId}/messages?limit=&cursor=&unseen=1` → `{ messages, next }`;
 * - `POST /api/v1/profiles/{userId}/messages/{messageId}/seen` and `…/dismissed` → the message.
 * `userId` is a user id or anonymous id, as in the other profile endpoints. An id that no
 * person or message could have (NUL, too long, odd characters) is simply not found.
 */

function messageJson(m: InAppMessageView) {
  return {
    id: m.id,
    title: m.title,
    body: m.body,
    buttonLabel: m.buttonLabel,
    buttonUrl: m.buttonUrl,
    createdAt: m.createdAt.toISOString(),
    seenAt: m.seenAt?.toISOString() ?? null,
    dismissedAt: m.dismissedAt?.toISOString() ?? null,
    expiresAt: m.expiresAt?.toISOString() ?? null,
  };
}

const noProfile = () => new Refusal(404, "no profile with this id");
const noMessage = () => new Refusal(404, "This person has no message with this id.");

const ZFlag = z
  .enum(["1", "0", "true", "false"], { error: 'must be 1 or 0 (or true or false)' })
  .optional()
  .transform((v) => v === "1" || v === "true");

const ZMessagesQuery = z.object({
  limit: z.coerce.number({ error: "must be a whole number from 1 to 100" }).int().min(1).max(100).default(20),
  cursor: ZTextCursor.optional(),
  unseen: ZFlag,
});

async function personOf(workspaceId: string, userId: string): Promise<string> {
  const profile = await profileFromPath(workspaceId, userId);
  if (!profile) throw noProfile();
  return profile.id;
}

/** GET /api/v1/profiles/{userId}/messages: what to show now, newest first. */
export function handleListMessages(req: Request, userId: string): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireSecretKey(req);
    const query = parseInput(ZMessagesQuery, Object.fromEntries(new URL(req.url).searchParams));
    const profileId = await personOf(workspaceId, userId);
    const page = await listInAppMessages(db(), { workspaceId, profileId, limit: query.limit, cursor: query.cursor, unseen: query.unseen });
    return json(200, { messages: page.messages.map(messageJson), next: page.nextCursor });
  });
}

/** The path segments of …/messages/{messageId}/…, as Next.js hands them over (decoded once). */
export interface MessagePath {
  userId: string;
  messageId: string;
}

/** Ids Junction gives messages: letters, digits, - and _. Anything else is no message of ours. */
const MESSAGE_ID = /^[A-Za-z0-9_-]{1,100}$/;

function handleMark(req: Request, userId: string, messageId: string, as: "seen" | "dismissed"): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireSecretKey(req);
    // No body is needed; one that is sent anyway is read within a small limit and ignored.
    const body = await readText(req, BODY_LIMITS.inApp);
    if (!body.ok) throw body.reason === "too-large" ? new Refusal(413, `This request needs no body (at most ${BODY_LIMITS.inApp / 1024} KB is read).`) : new Refusal(400, "the request body was cut off");
    const profileId = await personOf(workspaceId, userId);
    if (!MESSAGE_ID.test(messageId)) throw noMessage();
    const message = await markInAppMessage(db(), { workspaceId, profileId, messageId, as });
    return json(200, messageJson(message));
  });
}

/** POST …/messages/{messageId}/seen: shown to the person (the first time is kept). */
export const handleMessageSeen = (req: Request, path: MessagePath) => handleMark(req, path.userId, path.messageId, "seen");

/** POST …/messages/{messageId}/dismissed: closed by the person; no longer listed. Also marks it seen. */
export const handleMessageDismissed = (req: Request, path: MessagePath) => handleMark(req, path.userId, path.messageId, "dismissed");
