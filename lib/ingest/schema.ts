import { z } from "zod";
import { plainMessage } from "@/lib/messages";
import { MAX_JSON_DEPTH, describeProblem, findUnstorable } from "@/lib/storable";
import { parseDate } from "@/lib/time";
import { deviceChangeOf } from "@/lib/channels/devices";

/**
 * Messages of the Segment HTTP Tracking API spec (identify, track, page, screen, group,
 * alias, batch) as Junction accepts them. Unknown fields are ignored, like Segment does.
 */

export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
export const MESSAGE_TYPES = ["identify", "track", "page", "screen", "group", "alias"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** How far ahead of the server's clock an event may claim to be (clients' clocks run fast). */
export const MAX_AHEAD_MS = 86_400_000;
const MIN_TIME = Date.UTC(1970, 0, 1);

const ZId = z
  .union([z.string(), z.number().finite()])
  .transform((v) => String(v).trim())
  .pipe(z.string().max(256, { message: "must be at most 256 characters" }))
  .nullish()
  .transform((v) => (v ? v : undefined));

const ZRequiredId = z
  .union([z.string(), z.number().finite()])
  .transform((v) => String(v).trim())
  .pipe(z.string().min(1, { message: "is required" }).max(256, { message: "must be at most 256 characters" }));

/** ISO 8601 only (`2026-11-24T10:00:00.000Z`, `…+01:00`, `2026-11-24`; no offset means UTC), as everywhere in Junction. */
const ZTimestamp = z
  .string({ message: "must be an ISO 8601 date like 2026-11-24T10:00:00Z" })
  .max(64)
  .transform((value, ctx) => {
    const time = parseDate(value.trim());
    if (time === null) {
      ctx.addIssue({ code: "custom", message: "must be an ISO 8601 date like 2026-11-24T10:00:00Z, between 1970 and 2200" });
      return z.NEVER;
    }
    return new Date(time);
  })
  .nullish()
  .transform((v) => v ?? undefined);

const ZObject = z
  .record(z.string(), z.unknown())
  .nullish()
  .transform((v) => v ?? {});

const ZBase = z.object({
  messageId: z.string().trim().min(1).max(200).optional(),
  userId: ZId,
  anonymousId: ZId,
  timestamp: ZTimestamp,
  originalTimestamp: ZTimestamp,
  sentAt: ZTimestamp,
  context: ZObject,
});

const needsId = <T extends { userId?: string; anonymousId?: string }>(m: T, ctx: z.RefinementCtx) => {
  if (!m.userId && !m.anonymousId) {
    ctx.addIssue({ code: "custom", path: ["userId"], message: "userId or anonymousId is required" });
  }
};

/** "Device Registered" / "Device Unregistered" carry a device (lib/channels/devices.ts); anything else in them is refused per message. */
const deviceEventShape = (m: { type: string; event: string; properties: Record<string, unknown>; context: Record<string, unknown> }, ctx: z.RefinementCtx) => {
  const device = deviceChangeOf(m);
  if (device && !device.ok) for (const issue of device.issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
};

const ZName = z.string().trim().max(200, { message: "must be at most 200 characters" }).nullish().transform((v) => v || undefined);

export const ZIdentify = ZBase.extend({ type: z.literal("identify"), traits: ZObject }).superRefine(needsId);
export const ZTrack = ZBase.extend({
  type: z.literal("track"),
  event: z.string().trim().min(1, { message: "is required" }).max(200, { message: "must be at most 200 characters" }),
  properties: ZObject,
})
  .superRefine(needsId)
  .superRefine(deviceEventShape);
export const ZPage = ZBase.extend({ type: z.literal("page"), name: ZName, category: ZName, properties: ZObject }).superRefine(needsId);
export const ZScreen = ZBase.extend({ type: z.literal("screen"), name: ZName, category: ZName, properties: ZObject }).superRefine(needsId);
export const ZGroup = ZBase.extend({ type: z.literal("group"), groupId: ZRequiredId, traits: ZObject }).superRefine(needsId);
export const ZAlias = ZBase.extend({ type: z.literal("alias"), previousId: ZRequiredId, userId: ZRequiredId });

export const ZMessage = z.discriminatedUnion("type", [ZIdentify, ZTrack, ZPage, ZScreen, ZGroup, ZAlias]);
export type Message = z.infer<typeof ZMessage>;

export interface MessageError {
  index: number;
  messageId?: string;
  error: string;
}

/** `userId: userId or anonymousId is required; timestamp: must be …` */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      if (issue.code === "invalid_union" && issue.path.length === 0) return "type: must be one of " + MESSAGE_TYPES.join(", ");
      return path ? `${path}: ${plainMessage(issue)}` : plainMessage(issue);
    })
    .join("; ");
}

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Validate one message (of a batch, or the body of a single-type endpoint).
 * `type` forces the type of single-type endpoints; batch-level sentAt/context are defaults.
 * With `receivedAt`, the event time must also make sense on the server's clock (eventTimeProblem).
 */
export function parseMessage(
  raw: unknown,
  options: { type?: MessageType; defaults?: { sentAt?: unknown; context?: unknown }; receivedAt?: Date } = {},
): { ok: true; message: Message } | { ok: false; error: string } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, error: "message must be a JSON object" };
  }
  const record = raw as Record<string, unknown>;
  const defaults = options.defaults ?? {};
  const context =
    defaults.context && typeof defaults.context === "object" && !Array.isArray(defaults.context)
      ? { ...(defaults.context as object), ...((record.context as object | undefined) ?? {}) }
      : record.context;
  const candidate = { ...record, type: options.type ?? record.type, sentAt: record.sentAt ?? defaults.sentAt, context };
  // Before anything else walks it: NUL, lone surrogates and deep nesting, anywhere.
  const problem = findUnstorable(candidate, MAX_JSON_DEPTH);
  if (problem) return { ok: false, error: describeProblem(problem) };
  const json = JSON.stringify(record);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: encode only when it could be too big.
  if (json.length * 3 > MAX_MESSAGE_BYTES && byteLength(json) > MAX_MESSAGE_BYTES) {
    return { ok: false, error: `message is larger than ${MAX_MESSAGE_BYTES / 1024} KB` };
  }
  if (typeof candidate.type !== "string" || !(MESSAGE_TYPES as readonly string[]).includes(candidate.type)) {
    return { ok: false, error: `type: must be one of ${MESSAGE_TYPES.join(", ")}` };
  }
  const parsed = ZMessage.safeParse(candidate);
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  if (options.receivedAt) {
    const timeProblem = eventTimeProblem(parsed.data, options.receivedAt);
    if (timeProblem) return { ok: false, error: timeProblem };
  }
  return { ok: true, message: parsed.data };
}

type Timed = { timestamp?: Date; originalTimestamp?: Date; sentAt?: Date };

/**
 * The client's timestamp corrected for the client's clock skew, as the spec does:
 * receivedAt − (sentAt − timestamp). A negative age (it "happened" after it was sent) is a
 * clock glitch, not a future event: it happened when we received it.
 */
function correctedTime(message: Timed, receivedAt: Date): number {
  const timestamp = message.timestamp ?? message.originalTimestamp;
  if (!timestamp) return receivedAt.getTime();
  if (!message.sentAt) return timestamp.getTime();
  return receivedAt.getTime() - Math.max(0, message.sentAt.getTime() - timestamp.getTime());
}

/** Why this message's time cannot be right (a per-message error), or null. */
export function eventTimeProblem(message: Timed, receivedAt: Date): string | null {
  const time = correctedTime(message, receivedAt);
  if (time > receivedAt.getTime() + MAX_AHEAD_MS) return "timestamp: is more than a day ahead of the server's clock";
  if (time < MIN_TIME) return "timestamp: lies before 1970 once corrected for the client's clock (sentAt)";
  return null;
}

/**
 * When it happened, on the server's clock: the corrected timestamp (see correctedTime), or
 * when we received it. Always within the window eventTimeProblem accepts.
 */
export function eventTime(message: Timed, receivedAt: Date): Date {
  const time = correctedTime(message, receivedAt);
  return new Date(Math.min(Math.max(time, MIN_TIME), receivedAt.getTime() + MAX_AHEAD_MS));
}
