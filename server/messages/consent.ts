import type { DbTx } from "@/server/db/client";
import { env } from "@/server/env";

/**
 * Consent as the send path needs it: may this person be sent a message of this group, and
 * the links a message carries to leave it. (Wired to server/consent once it lands.)
 */

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- replaced when server/consent lands
export async function consentGate(_db: DbTx, _input: { workspaceId: string; profileId: string; groupId: string }): Promise<{ allowed: true } | { allowed: false; reason: string }> {
  return { allowed: true };
}

export async function consentLinks(_db: DbTx, input: { workspaceId: string; profileId: string | null; groupId: string | null }): Promise<{ unsubscribeUrl: string; preferencesUrl: string }> {
  const base = env().APP_URL.replace(/\/$/, "");
  if (!input.profileId) return { unsubscribeUrl: `${base}/preferences/example`, preferencesUrl: `${base}/preferences/example` };
  return { unsubscribeUrl: `${base}/preferences/example`, preferencesUrl: `${base}/preferences/example` };
}
