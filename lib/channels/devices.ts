import { z } from "zod";
import { plainMessage } from "@/lib/messages";
import { ZWebPushSubscription, type WebPushSubscription } from "./schema";

/**
 * Push devices arrive through the tracking API as two reserved track events (see
 * docs/devices-and-in-app.md):
 *
 *   track "Device Registered"   { kind: "fcm", token, platform? }
 *                               { kind: "webpush", subscription: { endpoint, keys: { p256dh, auth } }, platform? }
 *   track "Device Unregistered" { kind: "fcm", token }  |  { kind: "webpush", subscription: { endpoint } } (or token: endpoint)
 *
 * This file is the contract: what such a message must hold (`deviceChangeOf`), what of it
 * the event log keeps (`storedDeviceProperties`: never the credentials), and how a batch of
 * changes becomes one write per device (`planDeviceWrites`). Pure; server/devices writes it.
 */

export const DEVICE_KINDS = ["fcm", "webpush"] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

export const DEVICE_KIND_LABELS: Record<DeviceKind, string> = { fcm: "Firebase (FCM)", webpush: "Web Push" };

/** The reserved track event names (exact, case-sensitive, like Segment's spec events). */
export const DEVICE_REGISTERED = "Device Registered";
export const DEVICE_UNREGISTERED = "Device Unregistered";

export function isDeviceEvent(name: string | null | undefined): boolean {
  return name === DEVICE_REGISTERED || name === DEVICE_UNREGISTERED;
}

/** An FCM registration token: visible ASCII without spaces (real ones are ~150–250 characters). */
const ZFcmToken = z
  .string({ error: (issue) => (issue.input == null ? "is required" : "must be text") })
  .trim()
  .min(1, { message: "is required" })
  .max(4_096, { message: "must be at most 4,096 characters" })
  .regex(/^[\x21-\x7e]+$/, { message: "must be an FCM registration token (letters, digits and punctuation, no spaces)" });

const ZPlatform = z
  .string({ error: "must be text" })
  .trim()
  .max(50, { message: "must be at most 50 characters" })
  .regex(/^[^\u0000-\u001f\u007f]*$/, { message: "must be text on one line" })
  .nullish()
  .transform((v) => v || null);

const ZKind = z.enum(DEVICE_KINDS, {
  error: (issue) => (issue.input === undefined ? `is required: "fcm" (an app's FCM token) or "webpush" (a browser's push subscription)` : `must be "fcm" or "webpush"`),
});

const ZFcmRegistration = z.object({ kind: z.literal("fcm"), token: ZFcmToken, platform: ZPlatform });
/** `ZWebPushSubscription`, saying what is expected where something else came. */
const ZSubscription = z.object(
  {
    ...ZWebPushSubscription.shape,
    keys: z.object(ZWebPushSubscription.shape.keys.shape, {
      error: (issue) => `${issue.input == null ? "is required" : "must be an object"}: { p256dh, auth }, as in the browser's subscription.toJSON()`,
    }),
  },
  { error: (issue) => `${issue.input == null ? "is required" : "must be an object"}: the browser's push subscription, subscription.toJSON()` },
);

const ZWebPushRegistration = z.object({
  kind: z.literal("webpush"),
  subscription: ZSubscription,
  platform: ZPlatform,
});

/** To unregister, a browser names its subscription (its endpoint is the device); keys are not needed. */
const ZEndpoint = ZWebPushSubscription.shape.endpoint;
const ZWebPushUnregistration = z
  .object({
    kind: z.literal("webpush"),
    subscription: z.object({ endpoint: ZEndpoint }, { error: "must be the push subscription ({ endpoint, keys })" }).optional(),
    token: ZEndpoint.optional(),
  })
  .refine((v) => v.subscription !== undefined || v.token !== undefined, { message: "is required (the push subscription, or its endpoint as token)", path: ["subscription"] });

export interface DeviceRegistration {
  op: "register";
  kind: DeviceKind;
  /** The FCM token, or the Web Push endpoint. */
  token: string;
  /** Web Push: the subscription's keys; FCM: null. */
  keys: WebPushSubscription["keys"] | null;
  platform: string | null;
}
export interface DeviceUnregistration {
  op: "unregister";
  kind: DeviceKind;
  token: string;
}
export type DeviceChange = DeviceRegistration | DeviceUnregistration;

export type DeviceChangeResult = { ok: true; change: DeviceChange } | { ok: false; error: string; issues: { path: (string | number)[]; message: string }[] };

interface TrackLike {
  type: string;
  event?: string;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

function failure(issues: z.core.$ZodIssue[]): DeviceChangeResult {
  const list = issues.map((issue) => ({ path: ["properties", ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))], message: plainMessage(issue) }));
  return { ok: false, issues: list, error: list.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
}

/** Segment's mobile libraries send the operating system as `context.os.name` ("iOS", "Android"). */
function platformFromContext(context: Record<string, unknown> | undefined): string | null {
  const os = context?.os;
  const name = os && typeof os === "object" && !Array.isArray(os) ? (os as Record<string, unknown>).name : undefined;
  return typeof name === "string" && name.trim() && name.length <= 50 ? name.trim() : null;
}

/**
 * What a message does to the person's devices: null for every message but the two reserved
 * track events; for those, the change, or why the message is refused (field by field, under
 * `properties.`). The platform is `properties.platform`, else the context's OS name, else
 * "web" for a browser subscription.
 */
export function deviceChangeOf(message: TrackLike): DeviceChangeResult | null {
  if (message.type !== "track" || !isDeviceEvent(message.event)) return null;
  const properties = message.properties ?? {};
  const kind = ZKind.safeParse(properties.kind);
  if (!kind.success) return failure(kind.error.issues.map((i) => ({ ...i, path: ["kind"] })));

  if (message.event === DEVICE_REGISTERED) {
    if (kind.data === "fcm") {
      const parsed = ZFcmRegistration.safeParse(properties);
      if (!parsed.success) return failure(parsed.error.issues);
      const { token, platform } = parsed.data;
      return { ok: true, change: { op: "register", kind: "fcm", token, keys: null, platform: platform ?? platformFromContext(message.context) } };
    }
    const parsed = ZWebPushRegistration.safeParse(properties);
    if (!parsed.success) return failure(parsed.error.issues);
    const { subscription, platform } = parsed.data;
    return { ok: true, change: { op: "register", kind: "webpush", token: subscription.endpoint, keys: subscription.keys, platform: platform ?? "web" } };
  }

  if (kind.data === "fcm") {
    const parsed = z.object({ token: ZFcmToken }).safeParse(properties);
    if (!parsed.success) return failure(parsed.error.issues);
    return { ok: true, change: { op: "unregister", kind: "fcm", token: parsed.data.token } };
  }
  const parsed = ZWebPushUnregistration.safeParse(properties);
  if (!parsed.success) return failure(parsed.error.issues);
  return { ok: true, change: { op: "unregister", kind: "webpush", token: (parsed.data.subscription?.endpoint ?? parsed.data.token)! } };
}

/**
 * A token as people see it: enough to tell devices apart, never enough to use. An FCM
 * token shows its first and last 6 characters; a Web Push endpoint its push service's host
 * (which browser it is) and its last 6. Never longer than 60 characters.
 */
export function maskToken(kind: string, token: string): string {
  const tail = token.slice(-6);
  if (kind === "webpush" && URL.canParse(token)) {
    const host = new URL(token).host;
    return `${host.length > 40 ? `…${host.slice(-40)}` : host}/…${tail}`;
  }
  if (token.length <= 16) return `${token.slice(0, 2)}…${token.slice(-2)}`;
  return `${token.slice(0, 6)}…${tail}`;
}

/**
 * The properties a device event keeps in the event log: everything the client sent except
 * the credentials (the token, the subscription and its keys), which live only in the device
 * row; the token shortened (`maskToken`) in their place, so the timeline still tells
 * devices apart.
 */
export function storedDeviceProperties(properties: Record<string, unknown>, change: DeviceChange): Record<string, unknown> {
  const { token: _token, subscription: _subscription, ...rest } = properties;
  void _token;
  void _subscription;
  return { ...rest, kind: change.kind, token: maskToken(change.kind, change.token), ...(change.op === "register" && change.platform ? { platform: change.platform } : {}) };
}

// ——— From changes to writes ———

export interface DeviceOp {
  profileId: string;
  change: DeviceChange;
  /** When it happened (the event's seen time): the device's registered / last-seen time. */
  at: Date;
}

export type DeviceWrite =
  | { op: "upsert"; kind: DeviceKind; token: string; profileId: string; keys: DeviceRegistration["keys"]; platform: string | null; at: Date }
  /** Remove the device; with `ownerIds`, only while it belongs to one of them (null: whoever holds it). */
  | { op: "delete"; kind: DeviceKind; token: string; ownerIds: string[] | null };

/**
 * The changes of one batch, in message order, as one write per device — sorted by (kind,
 * token), so that two batches touching the same devices lock them in the same order.
 *
 * - A registration makes the device this person's (a token registered to someone else moves:
 *   a shared phone, a browser someone else signed in to).
 * - An unregistration removes the device only while it is the person's own: one person
 *   signing out of a shared phone never removes the device of whoever signed in after them.
 */
export function planDeviceWrites(ops: DeviceOp[]): DeviceWrite[] {
  const writes = new Map<string, DeviceWrite>();
  for (const { profileId, change, at } of ops) {
    const key = `${change.kind}\u0000${change.token}`;
    const before = writes.get(key);
    if (change.op === "register") {
      writes.set(key, { op: "upsert", kind: change.kind, token: change.token, profileId, keys: change.keys, platform: change.platform, at });
    } else if (!before) {
      writes.set(key, { op: "delete", kind: change.kind, token: change.token, ownerIds: [profileId] });
    } else if (before.op === "upsert" && before.profileId === profileId) {
      // Registered to them earlier in this batch: whoever held it before, it goes.
      writes.set(key, { op: "delete", kind: change.kind, token: change.token, ownerIds: null });
    } else if (before.op === "delete" && before.ownerIds && !before.ownerIds.includes(profileId)) {
      // Two people let go of a device the batch did not touch otherwise: whichever holds it.
      writes.set(key, { ...before, ownerIds: [...before.ownerIds, profileId] });
    }
    // Otherwise: registered to someone else by this batch, or already removed — unchanged.
  }
  return [...writes.values()].sort((a, b) => (a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
}
