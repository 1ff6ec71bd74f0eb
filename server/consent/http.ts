import "server-only";
import { z } from "zod";
import { ZSubscriptionChange } from "@/lib/consent/schema";
import type { Actor } from "@/server/audit/service";
import { db } from "@/server/db";
import { apiHandler, json, parseInput, readJson, Refusal } from "@/server/http/api";
import { BODY_LIMITS, readText } from "@/server/http/body";
import { requireSecretKey } from "@/server/keys/secret-key";
import { profileFromPath } from "@/server/profiles/http";
import { linksFor, readLinkToken, type LinkClaims } from "./links";
import { applyPreferences, oneClickUnsubscribe, type PreferenceAction } from "./preferences";
import { profileConsent, setSubscriptions, type ConsentState } from "./service";

/**
 * Consent over HTTP:
 * - `GET/PUT /api/v1/profiles/{userId}/subscriptions` (secret key): a person's state per
 *   group, and recording their answers (source `api`, or `import` for a backfill);
 * - `POST /api/v1/unsubscribe/{token}` (RFC 8058 one-click; no sign-in, no cookies: the
 *   signed token is the authority, so another site cannot forge one — CSRF-safe by design),
 *   and `GET` of the same address, which only shows the confirmation page;
 * - `POST /api/preferences/{token}`: the hosted preference page's form (no JavaScript needed).
 * A token that is not ours is a 404, never a 5xx.
 */

const API_ACTOR: Actor = { userId: null, label: "HTTP API (secret key)" };

function subscriptionJson(s: ConsentState) {
  return {
    groupId: s.group.id,
    name: s.group.name,
    channel: s.group.channel,
    mode: s.group.mode,
    purpose: s.group.purpose,
    subscribed: s.subscribed,
    /** True: the person never answered, and this is the group's default. */
    default: !s.explicit,
    updatedAt: s.updatedAt?.toISOString() ?? null,
  };
}

const noProfile = () => json(404, { error: "no profile with this id" });

/** GET /api/v1/profiles/{userId}/subscriptions → `{ subscriptions: [...] }`, every group of the workspace. */
export function handleGetSubscriptions(req: Request, userId: string): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireSecretKey(req);
    const profile = await profileFromPath(workspaceId, userId);
    if (!profile) return noProfile();
    const states = await profileConsent(db(), { workspaceId, profileId: profile.id });
    return json(200, { subscriptions: states.map(subscriptionJson) });
  });
}

const ZPutSubscriptions = z.strictObject({
  subscriptions: z.array(z.strictObject(ZSubscriptionChange.shape)).min(1).max(100),
  source: z.enum(["api", "import"]).default("api"),
});

/**
 * PUT /api/v1/profiles/{userId}/subscriptions `{ subscriptions: [{ groupId, subscribed, textVersion? }], source? }`
 * → `{ changed, subscriptions }`. All or nothing: one unknown group and nothing is recorded.
 */
export function handlePutSubscriptions(req: Request, userId: string): Promise<Response> {
  return apiHandler(async () => {
    const { workspaceId } = await requireSecretKey(req);
    const body = parseInput(ZPutSubscriptions, await readJson(req, BODY_LIMITS.consent));
    const profile = await profileFromPath(workspaceId, userId);
    if (!profile) return noProfile();
    const result = await setSubscriptions(db(), { workspaceId, profileId: profile.id, changes: body.subscriptions, source: body.source, actor: API_ACTOR });
    return json(200, { changed: result.changed, subscriptions: result.states.map(subscriptionJson) });
  });
}

function claimsOr404(token: string): LinkClaims {
  const claims = readLinkToken(token);
  if (!claims) throw new Refusal(404, "This unsubscribe link is not valid. Use the whole link from the message.");
  return claims;
}

/** A form body (urlencoded or multipart), read within the consent limit. */
async function readForm(req: Request): Promise<URLSearchParams> {
  const text = await readText(req, BODY_LIMITS.consent);
  if (!text.ok) throw text.reason === "too-large" ? new Refusal(413, "The request body is too large.") : new Refusal(400, "the request body was cut off");
  const type = req.headers.get("content-type") ?? "";
  if (type.toLowerCase().startsWith("multipart/form-data")) {
    try {
      const form = await new Response(text.text, { headers: { "content-type": type } }).formData();
      const out = new URLSearchParams();
      for (const [key, value] of form) if (typeof value === "string") out.append(key, value);
      return out;
    } catch {
      throw new Refusal(400, "The form data could not be read.");
    }
  }
  return new URLSearchParams(text.text);
}

/**
 * POST /api/v1/unsubscribe/{token} with the body `List-Unsubscribe=One-Click` (RFC 8058):
 * leaves the link's group (or, for a link without one, every marketing group of its channel)
 * and answers 200. Answered the same when it was done before.
 */
export function handleOneClick(req: Request, token: string): Promise<Response> {
  return apiHandler(async () => {
    const claims = claimsOr404(token);
    const form = await readForm(req);
    if (form.get("List-Unsubscribe") !== "One-Click") throw new Refusal(400, "The body must be List-Unsubscribe=One-Click (RFC 8058).");
    await oneClickUnsubscribe(db(), claims);
    return json(200, { unsubscribed: true });
  });
}

/** GET of the one-click address (a person who opened it in a browser): the confirmation page, which changes nothing until confirmed. */
export function handleOneClickPage(_req: Request, token: string): Promise<Response> {
  return apiHandler(async () => {
    claimsOr404(token);
    return redirect(linksFor(token, "").unsubscribeUrl);
  });
}

function redirect(location: string): Response {
  return new Response(null, { status: 303, headers: { location, "cache-control": "no-store" } });
}

const ACTIONS = new Set(["save", "unsubscribe", "unsubscribe_all"]);

/**
 * POST /api/preferences/{token} (the preference page's form): `action` = save (with
 * `shown` and `subscribed` ids), unsubscribe (the link's group) or unsubscribe_all; then
 * back to the page, which says what happened. A link that is not ours goes back to the
 * page too, which says the link does not work.
 */
export function handlePreferencesForm(req: Request, token: string): Promise<Response> {
  return apiHandler(async () => {
    const page = `/preferences/${encodeURIComponent(token)}`;
    const claims = readLinkToken(token);
    if (!claims) return redirect(page);
    const form = await readForm(req);
    const kind = form.get("action") ?? "save";
    if (!ACTIONS.has(kind)) throw new Refusal(400, "action: must be save, unsubscribe or unsubscribe_all");
    const action: PreferenceAction = kind === "save" ? { kind, shown: form.getAll("shown"), subscribed: form.getAll("subscribed") } : { kind: kind as "unsubscribe" | "unsubscribe_all" };
    const result = await applyPreferences(db(), claims, action);
    return redirect(result ? `${page}?done=${kind}` : page);
  });
}
