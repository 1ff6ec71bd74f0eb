import { personLabel } from "@/lib/profiles/display";
import type { DbTx } from "@/server/db/client";

/** What an audit entry was about, for people: a name and where to see it (null once it is gone). */
export interface AuditTarget {
  type: string;
  id: string | null;
  label: string;
  href: string | null;
}

const KIND_LABELS: Record<string, string> = {
  segment: "Segment",
  api_key: "API key",
  user: "Member",
  invitation: "Invitation",
  profile: "Person",
  workspace: "Workspace",
  import: "Import",
  channel: "Channel",
  template: "Template",
  partial: "Partial",
  subscription_group: "Subscription group",
  journey: "Journey",
};

const LOOKED_UP = new Set(["segment", "api_key", "user", "invitation", "profile", "channel", "template", "partial", "subscription_group", "journey"]);

/** Where each kind is seen. */
const HREFS: Record<string, (id: string) => string> = {
  segment: (id) => `/segments/${id}`,
  profile: (id) => `/profiles/${id}`,
  api_key: () => "/settings/api-keys",
  channel: () => "/settings/channels",
  template: (id) => `/messages/${id}`,
  partial: () => "/messages/partials",
  subscription_group: () => "/settings/subscriptions",
  journey: (id) => `/journeys/${id}`,
};

/**
 * Names for the targets of a page of audit entries, one query per kind. What no longer
 * exists is named from the entry's own record of it (a deleted segment's name is in its
 * diff) or as "deleted", and not linked.
 */
export async function describeTargets(
  db: DbTx,
  workspaceId: string,
  entries: { targetType: string; targetId: string | null; diff: unknown }[],
): Promise<AuditTarget[]> {
  const ids = (type: string) => [...new Set(entries.filter((e) => e.targetType === type && e.targetId).map((e) => e.targetId!))];
  // Only the kinds this page names are looked up: one query each, none for the rest.
  const lookup = async <T>(type: string, query: (ids: string[]) => Promise<T[]>): Promise<T[]> => (ids(type).length > 0 ? query(ids(type)) : []);
  const [segments, keys, users, invitations, profiles, workspace, channels, templates, partials, groups, journeys] = await Promise.all([
    lookup("segment", (id) => db.segment.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, name: true } })),
    lookup("api_key", (id) => db.apiKey.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, name: true } })),
    lookup("user", (id) => db.user.findMany({ where: { id: { in: id } }, select: { id: true, email: true } })),
    lookup("invitation", (id) => db.invitation.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, email: true } })),
    lookup("profile", (id) => db.profile.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, traits: true, email: true, userId: true } })),
    ids("workspace").length > 0 ? db.workspace.findUnique({ where: { id: workspaceId }, select: { name: true } }) : null,
    lookup("channel", (id) => db.channel.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, name: true } })),
    lookup("template", (id) => db.messageTemplate.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, name: true } })),
    lookup("partial", (id) => db.messagePartial.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, name: true } })),
    lookup("subscription_group", (id) => db.subscriptionGroup.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, name: true } })),
    lookup("journey", (id) => db.journey.findMany({ where: { workspaceId, id: { in: id } }, select: { id: true, name: true } })),
  ]);
  const names = new Map<string, string>([
    ...segments.map((s) => [`segment:${s.id}`, s.name] as const),
    ...keys.map((k) => [`api_key:${k.id}`, k.name] as const),
    ...users.map((u) => [`user:${u.id}`, u.email] as const),
    ...invitations.map((i) => [`invitation:${i.id}`, i.email] as const),
    ...profiles.map((p) => [`profile:${p.id}`, personLabel(p).primary] as const),
    ...channels.map((c) => [`channel:${c.id}`, c.name] as const),
    ...templates.map((t) => [`template:${t.id}`, t.name] as const),
    ...partials.map((p) => [`partial:${p.id}`, p.name] as const),
    ...journeys.map((j) => [`journey:${j.id}`, j.name] as const),
    ...groups.map((g) => [`subscription_group:${g.id}`, g.name] as const),
  ]);
  return entries.map(({ targetType: type, targetId: id, diff }) => {
    const kind = KIND_LABELS[type] ?? type;
    if (type === "workspace") return { type, id, label: workspace?.name ?? kind, href: "/settings" };
    // Kinds with nothing to look up (an import, a channel): their kind is the name.
    if (!LOOKED_UP.has(type)) return { type, id, label: kind, href: null };
    const name = id ? names.get(`${type}:${id}`) : undefined;
    if (name !== undefined) {
      const href = HREFS[type]?.(id!) ?? "/settings/members";
      return { type, id, label: `${kind} “${name}”`, href };
    }
    const recorded = recordedName(diff);
    return { type, id, label: recorded ? `${kind} “${recorded}” (deleted)` : id ? `${kind} (deleted)` : kind, href: null };
  });
}

/** A deleted thing's name as its own audit entry kept it: `{ name: { from: "…" } }`. */
function recordedName(diff: unknown): string | null {
  if (typeof diff !== "object" || diff === null) return null;
  const name = (diff as Record<string, { from?: unknown; to?: unknown } | undefined>).name;
  const value = name?.from ?? name?.to;
  return typeof value === "string" ? value : null;
}
