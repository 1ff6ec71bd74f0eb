import { z } from "zod";

/**
 * Messages of the Segment HTTP Tracking API spec (identify, track, page, screen, group,
 * alias, batch) as Junction accepts them. Unknown fields are ignored, like Segment does.
 */

export const MAX_MESSAGE_BYTES = 32 * 1024;
export const MAX_BATCH_BYTES = 500 * 1024;
export const MESSAGE_TYPES = ["identify", "track", "page", "screen", "group", "alias"] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

const MIN_TIME = Date.UTC(1970, 0, 1);
const MAX_TIME = Date.UTC(2200, 0, 1);

/** Postgres JSON cannot hold U+0000; reject it with the field's path instead of failing later. */
function hasNul(value: unknown, depth = 0): boolean {
  if (depth > 64) return true;
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some((v) => hasNul(v, depth + 1));
  if (value && typeof value === "object") {
    return Object.entries(value).some(([k, v]) => k.includes("\u0000") || hasNul(v, depth + 1));
  }
  return false;
}

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

const ZTimestamp = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const time = Date.parse(value);
    if (Number.isNaN(time) || time < MIN_TIME || time > MAX_TIME) {
      ctx.addIssue({ code: "custom", message: "must be an ISO-8601 date between 1970 and 2200" });
      return z.NEVER;
    }
    return new Date(time);
  })
  .nullish()
  .transform((v) => v ?? undefined);

const ZObject = z
  .record(z.string(), z.unknown())
  .refine((v) => !hasNul(v), { message: "must not contain NUL characters or nest deeper than 64 levels" })
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

const ZName = z.string().trim().max(200, { message: "must be at most 200 characters" }).nullish().transform((v) => v || undefined);

export const ZIdentify = ZBase.extend({ type: z.literal("identify"), traits: ZObject }).superRefine(needsId);
export const ZTrack = ZBase.extend({
  type: z.literal("track"),
  event: z.string().trim().min(1, { message: "is required" }).max(200, { message: "must be at most 200 characters" }),
  properties: ZObject,
}).superRefine(needsId);
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
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/**
 * Validate one message (of a batch, or the body of a single-type endpoint).
 * `type` forces the type of single-type endpoints; batch-level sentAt/context are defaults.
 */
export function parseMessage(
  raw: unknown,
  options: { type?: MessageType; defaults?: { sentAt?: unknown; context?: unknown } } = {},
): { ok: true; message: Message } | { ok: false; error: string } {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, error: "message must be a JSON object" };
  }
  const record = raw as Record<string, unknown>;
  const json = JSON.stringify(record);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: encode only when it could be too big.
  if (json.length * 3 > MAX_MESSAGE_BYTES && byteLength(json) > MAX_MESSAGE_BYTES) {
    return { ok: false, error: `message is larger than ${MAX_MESSAGE_BYTES / 1024} KB` };
  }
  const type = options.type ?? record.type;
  if (typeof type !== "string" || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    return { ok: false, error: `type: must be one of ${MESSAGE_TYPES.join(", ")}` };
  }
  const defaults = options.defaults ?? {};
  const context =
    defaults.context && typeof defaults.context === "object" && !Array.isArray(defaults.context)
      ? { ...(defaults.context as object), ...((record.context as object | undefined) ?? {}) }
      : record.context;
  const parsed = ZMessage.safeParse({ ...record, type, sentAt: record.sentAt ?? defaults.sentAt, context });
  if (!parsed.success) return { ok: false, error: describeIssues(parsed.error) };
  return { ok: true, message: parsed.data };
}

/**
 * When it happened: the client's timestamp corrected for the client's clock skew, as the
 * spec does — receivedAt − (sentAt − timestamp). Without a timestamp, when we received it.
 */
export function eventTime(
  message: { timestamp?: Date; originalTimestamp?: Date; sentAt?: Date },
  receivedAt: Date,
): Date {
  const timestamp = message.timestamp ?? message.originalTimestamp;
  if (!timestamp) return receivedAt;
  if (!message.sentAt) return timestamp;
  return new Date(receivedAt.getTime() - (message.sentAt.getTime() - timestamp.getTime()));
}
