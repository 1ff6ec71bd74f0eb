import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { ZConsentChannel, type ConsentChannel } from "@/lib/consent/schema";
import type { Keyring } from "@/server/channels/credentials";
import { masterKeyring } from "@/server/channels/secrets";
import { env } from "@/server/env";

/**
 * Signed links for the people Junction writes to: unsubscribe, the hosted preference page
 * and RFC 8058 one-click unsubscribe. No sign-in: the link is the authority, so it is
 * signed, and it says only what it must — the workspace, the person's profile id and the
 * message's subscription group (or the channel, for a message without a group). Never an
 * email address or anything else about the person.
 *
 *   <key id>.<claims>.<signature>     (base64url; claims = JSON [1, workspace, profile, group|null, channel])
 *
 * The signature is HMAC-SHA256 over "<key id>.<claims>" with a key derived (HKDF-SHA256)
 * from the master key (JUNCTION_SECRET_KEY, server/channels/credentials.ts) for this use
 * only, and checked in constant time. Links name the master key they were made with, so
 * after a key rotation old links keep working for as long as the old key stays listed.
 * Links do not expire: an unsubscribe link must work whenever the email is read (CAN-SPAM
 * asks for at least 30 days; people expect forever).
 */

export interface LinkClaims {
  workspaceId: string;
  profileId: string;
  /** The message's subscription group; null for a message that has none. */
  groupId: string | null;
  /** The channel whose groups the preference page shows (the group's, for a message with a group). */
  channel: ConsentChannel;
}

export interface UnsubscribeLinks {
  /** For the message body ("Unsubscribe"): a page that asks to confirm — opening it changes nothing. */
  unsubscribeUrl: string;
  /** The hosted preference page: every group of the channel, each with its own switch. */
  preferencesUrl: string;
  /** RFC 8058: `List-Unsubscribe: <oneClickUrl>`; a POST with `List-Unsubscribe=One-Click` unsubscribes, a GET shows the confirmation page. */
  oneClickUrl: string;
}

const LINK_VERSION = 1;
const HKDF_INFO = "junction/consent-links/v1";
/** Longer than any token we make (ids are at most 64 characters each). */
export const MAX_TOKEN_LENGTH = 600;

const ZClaims = z.tuple([z.literal(LINK_VERSION), z.string().min(1).max(64), z.string().min(1).max(100), z.string().min(1).max(64).nullable(), ZConsentChannel]);

const derived = new WeakMap<Buffer, Buffer>();

/** The signing key for links, derived from one master key (never the master key itself). */
function linkKey(master: Buffer): Buffer {
  let key = derived.get(master);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), HKDF_INFO, 32));
    derived.set(master, key);
  }
  return key;
}

function sign(master: Buffer, signed: string): Buffer {
  return createHmac("sha256", linkKey(master)).update(signed, "utf8").digest();
}

/** A token for these claims, signed with the keyring's current key. */
export function signLinkToken(keyring: Keyring, claims: LinkClaims): string {
  const payload = Buffer.from(JSON.stringify([LINK_VERSION, claims.workspaceId, claims.profileId, claims.groupId, claims.channel]), "utf8").toString("base64url");
  const signed = `${keyring.current.id}.${payload}`;
  return `${signed}.${sign(keyring.current.key, signed).toString("base64url")}`;
}

/**
 * The claims of a token made by `signLinkToken` with a key of this keyring, or null for
 * anything else: malformed, cut short, tampered with, signed with an unknown key.
 */
export function verifyLinkToken(keyring: Keyring, token: string): LinkClaims | null {
  if (typeof token !== "string" || token.length > MAX_TOKEN_LENGTH) return null;
  const match = /^([0-9a-f]{8})\.([A-Za-z0-9_-]{1,500})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return null;
  const [, keyId, payload, signature] = match as unknown as [string, string, string, string];
  const master = keyring.byId.get(keyId);
  if (!master) return null;
  // Compared as text: base64url has several spellings of the same bytes (the last character's
  // spare bits), and only the one we wrote is ours — a changed link never still works.
  const expected = Buffer.from(sign(master, `${keyId}.${payload}`).toString("base64url"));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  const parsed = ZClaims.safeParse(value);
  if (!parsed.success) return null;
  const [, workspaceId, profileId, groupId, channel] = parsed.data;
  return { workspaceId, profileId, groupId, channel };
}

/** The app's public address, as people's browsers and mail providers reach it (APP_URL). */
export function publicBaseUrl(): string {
  return env().APP_URL.replace(/\/+$/, "");
}

/** The three links for one person and message, from a token. */
export function linksFor(token: string, base: string = publicBaseUrl()): UnsubscribeLinks {
  const t = encodeURIComponent(token);
  return {
    unsubscribeUrl: `${base}/preferences/${t}?unsubscribe=1`,
    preferencesUrl: `${base}/preferences/${t}`,
    oneClickUrl: `${base}/api/v1/unsubscribe/${t}`,
  };
}

/**
 * The unsubscribe, preference-page and one-click links for one person and one message,
 * for templates (`unsubscribe_url`, `preferences_url`) and email headers:
 *
 *   List-Unsubscribe: <oneClickUrl>
 *   List-Unsubscribe-Post: List-Unsubscribe=One-Click
 *
 * `groupId`: the message's subscription group; null (no group) links to the channel's groups
 * and one-click leaves every marketing group of `channel` (default email). Synchronous, no
 * database: the links are a signature over the ids. Throws when JUNCTION_SECRET_KEY is not
 * set (the app refuses to start without it outside demo mode).
 */
export function unsubscribeLinks(input: { workspaceId: string; profileId: string; groupId: string | null; channel?: ConsentChannel }): UnsubscribeLinks {
  const token = signLinkToken(masterKeyring(), { workspaceId: input.workspaceId, profileId: input.profileId, groupId: input.groupId, channel: input.channel ?? "email" });
  return linksFor(token);
}

/** The claims of a link's token, checked against JUNCTION_SECRET_KEY; null when it is not one of ours. */
export function readLinkToken(token: string): LinkClaims | null {
  return verifyLinkToken(masterKeyring(), token);
}
