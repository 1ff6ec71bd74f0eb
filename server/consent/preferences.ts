import { PREFERENCE_PAGE_TEXT_VERSION, ZConsentChannel, type ConsentChannel, type Purpose } from "@/lib/consent/schema";
import type { Actor } from "@/server/audit/service";
import type { Db, DbTx } from "@/server/db/client";
import type { LinkClaims } from "./links";
import { profileConsent, setSubscriptions } from "./service";

/**
 * What a person does with a signed link (server/consent/links.ts), without signing in: see
 * their groups of the link's channel on the hosted preference page and change them, leave
 * the link's group, leave everything, or unsubscribe in one click (RFC 8058). Every change
 * is a consent record with source `preference_page` or `one_click`.
 */

export const PERSON_ON_PAGE: Actor = { userId: null, label: "the person, on the preference page" };
export const PERSON_ONE_CLICK: Actor = { userId: null, label: "the person, by one-click unsubscribe" };

export interface PreferenceGroup {
  id: string;
  name: string;
  description: string;
  purpose: Purpose;
  subscribed: boolean;
}

export interface PreferencePage {
  /** Who is writing to the person: the workspace's name. */
  sender: string;
  channel: ConsentChannel;
  /** The group the link came with, when it still exists. */
  focus: PreferenceGroup | null;
  groups: PreferenceGroup[];
}

/** The channel the link is about: its group's, else the one it names. */
async function channelOf(db: DbTx, claims: LinkClaims): Promise<{ channel: ConsentChannel; groupId: string | null }> {
  if (claims.groupId) {
    const group = await db.subscriptionGroup.findFirst({ where: { id: claims.groupId, workspaceId: claims.workspaceId }, select: { id: true, channel: true } });
    const channel = ZConsentChannel.safeParse(group?.channel);
    if (group && channel.success) return { channel: channel.data, groupId: group.id };
  }
  return { channel: claims.channel, groupId: null };
}

/** The page for a link: null when the person (or the workspace) no longer exists. */
export async function preferencePage(db: DbTx, claims: LinkClaims): Promise<PreferencePage | null> {
  const [workspace, profile] = await Promise.all([
    db.workspace.findUnique({ where: { id: claims.workspaceId }, select: { name: true } }),
    db.profile.findFirst({ where: { id: claims.profileId, workspaceId: claims.workspaceId }, select: { id: true } }),
  ]);
  if (!workspace || !profile) return null;
  const { channel, groupId } = await channelOf(db, claims);
  const states = await profileConsent(db, { workspaceId: claims.workspaceId, profileId: claims.profileId, channel });
  const groups = states.map((s) => ({ id: s.group.id, name: s.group.name, description: s.group.description, purpose: s.group.purpose, subscribed: s.subscribed }));
  return { sender: workspace.name, channel, focus: groups.find((g) => g.id === groupId) ?? null, groups };
}

export type PreferenceAction =
  /** The page's switches: `subscribed` holds the ids switched on among `shown`. */
  | { kind: "save"; shown: string[]; subscribed: string[] }
  /** Leave the link's group (the confirmation of an unsubscribe link). */
  | { kind: "unsubscribe" }
  /** Leave every group the page shows. */
  | { kind: "unsubscribe_all" };

/**
 * Applies what the person chose on the page to the groups of the link's channel (groups
 * not shown to them stay as they are). Returns null when the person no longer exists.
 */
export async function applyPreferences(db: Db, claims: LinkClaims, action: PreferenceAction): Promise<{ changed: number } | null> {
  const page = await preferencePage(db, claims);
  if (!page) return null;
  let changes: { groupId: string; subscribed: boolean }[];
  if (action.kind === "save") {
    const shown = new Set(action.shown);
    const on = new Set(action.subscribed);
    changes = page.groups.filter((g) => shown.has(g.id)).map((g) => ({ groupId: g.id, subscribed: on.has(g.id) }));
  } else if (action.kind === "unsubscribe" && page.focus) {
    changes = [{ groupId: page.focus.id, subscribed: false }];
  } else {
    changes = page.groups.map((g) => ({ groupId: g.id, subscribed: false }));
  }
  const result = await setSubscriptions(db, {
    workspaceId: claims.workspaceId,
    profileId: claims.profileId,
    changes: changes.map((c) => ({ ...c, textVersion: PREFERENCE_PAGE_TEXT_VERSION })),
    source: "preference_page",
    actor: PERSON_ON_PAGE,
  });
  return { changed: result.changed };
}

/**
 * RFC 8058 one-click: leaves the link's group, or — for a link without a group (or whose
 * group is gone) — every marketing group of its channel. A person who no longer exists is
 * not written to anyway: that counts as done.
 */
export async function oneClickUnsubscribe(db: Db, claims: LinkClaims): Promise<{ changed: number }> {
  const page = await preferencePage(db, claims);
  if (!page) return { changed: 0 };
  const leave = page.focus ? [page.focus] : page.groups.filter((g) => g.purpose === "marketing");
  const result = await setSubscriptions(db, {
    workspaceId: claims.workspaceId,
    profileId: claims.profileId,
    changes: leave.map((g) => ({ groupId: g.id, subscribed: false })),
    source: "one_click",
    actor: PERSON_ONE_CLICK,
  });
  return { changed: result.changed };
}
