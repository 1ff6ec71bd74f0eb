import { sql, type Db, type Sql } from "@/server/db/client";
import type { EvalEvent, EvalInput } from "@/lib/segments/evaluate";
import { subscribedGroups } from "@/lib/consent/schema";

interface ProfileRow {
  id: string;
  user_id: string | null;
  email: string | null;
  phone: string | null;
  timezone: string | null;
  locale: string | null;
  country: string | null;
  traits: Record<string, unknown> | null;
  bucket: number;
  first_seen_at: Date;
  last_seen_at: Date;
}

/**
 * People of the workspace as the in-memory evaluator reads them: profile, named events,
 * current saved-segment memberships and the subscription groups they are in now (their
 * answers, else each group's default: lib/consent/schema.ts). Chosen by id (re-deciding after ingest, "why") or by
 * bucket (the estimate's sample). Events: those named in `names`, or every named event when
 * `names` is left out (a sample must answer any definition; nameless identify/alias events
 * never match an event condition). In the order the profiles were read. `via`: read in
 * this transaction (the segment consumer: one snapshot, its own writes, no extra
 * connections) instead of on the pool.
 */
export async function loadPeople(
  db: Db,
  workspaceId: string,
  who: { ids: string[] } | { buckets: readonly number[] },
  names?: ReadonlySet<string>,
  via?: Sql,
): Promise<Map<string, EvalInput>> {
  const q = via ?? sql(db);
  const rows =
    "ids" in who
      ? await q.query<ProfileRow>`
          SELECT id, user_id, email, phone, timezone, locale, country, traits, bucket, first_seen_at, last_seen_at
            FROM profiles WHERE workspace_id = ${workspaceId} AND id = ANY(${[...new Set(who.ids)]}::text[])`
      : await q.query<ProfileRow>`
          SELECT id, user_id, email, phone, timezone, locale, country, traits, bucket, first_seen_at, last_seen_at
            FROM profiles WHERE workspace_id = ${workspaceId} AND bucket = ANY(${[...who.buckets]}::int[])`;
  const people = new Map<string, EvalInput>();
  if (rows.length === 0) return people;
  const ids = rows.map((r) => r.id);
  const [events, memberships, groups, answers] = await Promise.all([
    names === undefined
      ? q.query<{ profile_id: string; name: string; timestamp: Date; properties: Record<string, unknown> | null }>`
          SELECT profile_id, name, timestamp, properties FROM events WHERE profile_id = ANY(${ids}::text[]) AND name IS NOT NULL`
      : names.size === 0
        ? []
        : q.query<{ profile_id: string; name: string; timestamp: Date; properties: Record<string, unknown> | null }>`
            SELECT profile_id, name, timestamp, properties FROM events WHERE profile_id = ANY(${ids}::text[]) AND name = ANY(${[...names]}::text[])`,
    q.query<{ profile_id: string; segment_id: string }>`
      SELECT profile_id, segment_id FROM segment_memberships WHERE profile_id = ANY(${ids}::text[]) AND exited_at IS NULL`,
    q.query<{ id: string; mode: string }>`SELECT id, mode FROM subscription_groups WHERE workspace_id = ${workspaceId}`,
    q.query<{ profile_id: string; group_id: string; subscribed: boolean }>`
      SELECT profile_id, group_id, subscribed FROM subscription_states WHERE profile_id = ANY(${ids}::text[])`,
  ]);
  const answersOf = new Map<string, { groupId: string; subscribed: boolean }[]>();
  for (const a of answers) {
    let list = answersOf.get(a.profile_id);
    if (!list) answersOf.set(a.profile_id, (list = []));
    list.push({ groupId: a.group_id, subscribed: a.subscribed });
  }
  for (const r of rows) {
    people.set(r.id, {
      profile: {
        id: r.id,
        userId: r.user_id,
        email: r.email,
        phone: r.phone,
        timezone: r.timezone,
        locale: r.locale,
        country: r.country,
        traits: r.traits ?? {},
        bucket: r.bucket,
        firstSeenAt: r.first_seen_at,
        lastSeenAt: r.last_seen_at,
      },
      events: [],
      memberships: new Set<string>(),
      subscriptions: subscribedGroups(groups, answersOf.get(r.id) ?? []),
    });
  }
  for (const e of events) (people.get(e.profile_id)?.events as EvalEvent[] | undefined)?.push({ name: e.name, timestamp: e.timestamp, properties: e.properties ?? {} });
  for (const m of memberships) (people.get(m.profile_id)?.memberships as Set<string> | undefined)?.add(m.segment_id);
  return people;
}
