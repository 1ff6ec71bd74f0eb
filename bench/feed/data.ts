/**
 * The bench database of bench/feed/run.ts: built once, reused by later runs.
 *
 * 1. Migrated; workspace `ws_bench` filled by the demo generator (server/demo/load.ts, as
 *    `npm run seed` and bench/journeys/canvas.ts do) with 1,000,000 profiles / 20,000,000
 *    events, `now` = the moment of the load (the consumers decide with the real clock, so
 *    the data's "last 30 days" must be the real last 30 days); never-vacuumed tables vacuumed.
 * 2. An opt-out subscription group ("Product news", email) and 20 saved segments, created
 *    through the services (createSegment, createGroup), each materialised with
 *    refreshSegment, then everyone's time-based re-checks scheduled once
 *    (scheduleWorkspaceRechecks): the state of a running install after the segments were saved.
 *    The refresh jobs createSegment queued are removed (done by hand here).
 */
import "./server-only";
import os from "node:os";
import pg from "pg";
import { sql, type Db } from "../../server/db/client";
import { migrate } from "../../server/db/migrate";
import { loadDemoData } from "../../server/demo/load";
import type { SegmentDefinition, SegmentNode } from "../../lib/segments/schema";

const { createSegment } = await import("../../server/segments/service");
const { createGroup } = await import("../../server/consent/service");
const { refreshSegment, scheduleWorkspaceRechecks } = await import("../../server/segments/membership");

export const WORKSPACE = "ws_bench";
const ACTOR = { userId: null, label: "bench/feed" };

export const fmt = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
export const load = () => os.loadavg().map((x) => x.toFixed(2)).join(", ");
export async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const result = await fn();
  return [performance.now() - t0, result];
}

// ——— The 20 segments ———

const and = (...children: SegmentNode[]): SegmentDefinition => ({ schemaVersion: 1, root: { type: "group", op: "and", children } });
const trait = (field: string, value: string): SegmentNode => ({ type: "trait", field: `traits.${field}`, valueType: "string", operator: { op: "equals", value } });
const event = (name: string, op: "gte" | "lte" | "eq", value: number, window: Record<string, unknown>, where: unknown[] = []) =>
  ({ type: "event", event: name, where, count: { op, value }, window }) as SegmentNode;
const last = (amount: number) => ({ kind: "last", amount, unit: "days" });
const EVER = { kind: "ever" };
const segment = (op: "in" | "notIn", segmentId: string): SegmentNode => ({ type: "segment", op, segmentId });

/** The segment the latency measurement flips (identify plan = pro / free for people in Germany). */
export const FLIP_SEGMENT = "Pro plan in Germany";

/**
 * In creation order; `refs` name segments created before. Traits, event counts in windows,
 * did-not-perform, seen times, a bucket holdout, a subscription, references (one of them to
 * segments that refer to nothing but events, one negated).
 */
function definitions(idOf: (name: string) => string, groupId: string): { name: string; definition: SegmentDefinition }[] {
  return [
    { name: FLIP_SEGMENT, definition: and(trait("plan", "pro"), trait("country", "DE")) },
    { name: "German-speaking countries", definition: and({ type: "trait", field: "traits.country", valueType: "string", operator: { op: "in", values: ["DE", "AT", "CH"] } }) },
    { name: "Bought in the last 30 days", definition: and(event("purchase", "gte", 1, last(30))) },
    { name: "Bought in the last 90 days", definition: and(event("purchase", "gte", 1, last(90))) },
    { name: "Opened the app at least 3 times in 7 days", definition: and(event("app_open", "gte", 3, last(7))) },
    { name: "App users inactive for 14 days", definition: and(event("app_open", "gte", 1, EVER), { type: "lastSeen", operator: { op: "moreThanAgo", amount: 14, unit: "days" } }) },
    { name: "Viewed products in 30 days, never added to cart", definition: and(event("product_viewed", "gte", 1, last(30)), event("add_to_cart", "eq", 0, EVER)) },
    { name: "Opens emails, never bought", definition: and(event("email_opened", "gte", 3, last(90)), event("purchase", "eq", 0, EVER)) },
    {
      name: "Tariff calculator at least 3 times in 30 days",
      definition: and(event("feature_used", "gte", 3, last(30), [{ path: "feature", valueType: "string", operator: { op: "equals", value: "tariff_calculator" } }])),
    },
    { name: "Two purchases over 150 € in 90 days", definition: and(event("purchase", "gte", 2, last(90), [{ path: "amount", valueType: "number", operator: { op: "gt", value: 150 } }])) },
    { name: "Recent buyers in German-speaking countries", definition: and(segment("in", idOf("Bought in the last 90 days")), segment("in", idOf("German-speaking countries"))) },
    {
      name: "German-speaking, no recent purchase, cart in 14 days",
      definition: and(segment("in", idOf("German-speaking countries")), segment("notIn", idOf("Bought in the last 90 days")), event("add_to_cart", "gte", 1, last(14))),
    },
    {
      name: "Onboarding drop-off",
      definition: and(
        event("onboarding_step", "gte", 1, EVER),
        event("onboarding_step", "eq", 0, EVER, [{ path: "step", valueType: "number", operator: { op: "gte", value: 4 } }]),
        { type: "firstSeen", operator: { op: "withinLast", amount: 60, unit: "days" } },
      ),
    },
    { name: "10 % holdout of active app users", definition: and({ type: "bucket", from: 0, to: 999 }, event("app_open", "gte", 1, last(30))) },
    { name: "Abandoned a cart this week", definition: and(event("add_to_cart", "gte", 1, last(7)), event("purchase", "eq", 0, last(7))) },
    { name: "Free plan on iPhone", definition: and(trait("plan", "free"), trait("device", "iphone")) },
    { name: "Pro customers subscribed to product news", definition: and({ type: "subscription", op: "subscribed", groupId }, trait("plan", "pro")) },
    { name: "Signed up in the last 30 days", definition: and({ type: "firstSeen", operator: { op: "withinLast", amount: 30, unit: "days" } }) },
    { name: "Loyal: 5 purchases or more", definition: and(event("purchase", "gte", 5, EVER)) },
    { name: "Lapsing buyers", definition: and(segment("in", idOf("Bought in the last 90 days")), segment("notIn", idOf("Bought in the last 30 days"))) },
  ];
}

/** An empty database `name` on the server of `url` (created if missing). */
export async function ensureDatabase(url: string) {
  const target = new URL(url);
  const name = target.pathname.slice(1);
  const admin = new URL(url);
  admin.pathname = "/postgres";
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      console.log(`created database ${name}`);
    }
  } finally {
    await client.end();
  }
}

export interface Prepared {
  segments: { id: string; name: string; size: number }[];
  flipSegmentId: string;
  dataNow: Date;
}

/** Builds what is missing (see the module comment); returns the segments. */
export async function prepare(db: Db, url: string, options: { profiles: number; events: number; seed: number }): Promise<Prepared> {
  await ensureDatabase(url);
  await migrate(url, { log: () => {} });
  if (!(await db.workspace.findUnique({ where: { id: WORKSPACE } }))) {
    await db.workspace.create({ data: { id: WORKSPACE, name: "Bench feed", slug: "bench-feed" } });
  }
  let profiles = await db.profile.count({ where: { workspaceId: WORKSPACE } });
  if (profiles === 0) {
    const now = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    console.log(`loading ${options.profiles.toLocaleString("en")} profiles / ${options.events.toLocaleString("en")} events (seed ${options.seed}, now ${now.toISOString()}) into ${WORKSPACE}; load average ${load()}`);
    let printed = 0;
    const result = await loadDemoData(url, { workspaceId: WORKSPACE, profiles: options.profiles, events: options.events, seed: options.seed, now }, (p) => {
      if (performance.now() - printed < 15_000 && p.done !== p.total) return;
      printed = performance.now();
      console.log(`  ${new Date().toISOString().slice(11, 19)} ${p.phase} ${p.done.toLocaleString("en")} / ${p.total.toLocaleString("en")} (load average ${load()})`);
    });
    console.log(`loaded in ${fmt(result.ms)}`);
    await db.workspace.update({ where: { id: WORKSPACE }, data: { name: `Bench feed (data as of ${now.toISOString()})` } });
    profiles = result.profiles;
  }
  const workspace = await db.workspace.findUniqueOrThrow({ where: { id: WORKSPACE } });
  const dataNow = new Date(/\(data as of (.*)\)/.exec(workspace.name)?.[1] ?? Date.now());
  console.log(`workspace ${WORKSPACE}: ${profiles.toLocaleString("en")} profiles, data as of ${dataNow.toISOString()}`);
  const unvacuumed = await sql(db).query<{ relname: string }>`
    SELECT relname FROM pg_stat_user_tables
     WHERE relname IN ('profiles', 'profile_identities', 'events') AND last_vacuum IS NULL AND last_autovacuum IS NULL`;
  if (unvacuumed.length > 0) {
    const [ms] = await timed(() => db.$executeRawUnsafe(`VACUUM (ANALYZE) ${unvacuumed.map((r) => r.relname).join(", ")}`));
    console.log(`VACUUM (ANALYZE) ${unvacuumed.map((r) => r.relname).join(", ")}, never vacuumed: ${fmt(ms)}`);
  }

  // The subscription group and the segments (by name: an earlier run's are reused).
  const group =
    (await db.subscriptionGroup.findFirst({ where: { workspaceId: WORKSPACE, name: "Product news" } })) ??
    (await createGroup(db, { workspaceId: WORKSPACE, actor: ACTOR, group: { name: "Product news", description: "", channel: "email", mode: "opt_out", purpose: "marketing" } }));
  const existing = new Map((await db.segment.findMany({ where: { workspaceId: WORKSPACE, archivedAt: null } })).map((s) => [s.name, s]));
  const ids = new Map<string, string>();
  const idOf = (name: string) => ids.get(name) ?? existing.get(name)?.id ?? "";
  const created: string[] = [];
  const count = definitions(idOf, group.id).length;
  for (let i = 0; i < count; i++) {
    // Built again each time: a reference names a segment created by an earlier turn.
    const d = definitions(idOf, group.id)[i]!;
    let s = existing.get(d.name);
    if (!s) {
      s = await createSegment(db, { workspaceId: WORKSPACE, actor: ACTOR, name: d.name, description: "bench/feed", definition: d.definition });
      created.push(s.id);
    }
    ids.set(d.name, s.id);
  }
  // createSegment queued a refresh per segment (graphile-worker): done here instead.
  await sql(db).execute`DELETE FROM graphile_worker._private_jobs WHERE key = ANY(${created.map((id) => `segment-refresh:${id}`)}::text[])`.catch(() => 0);
  const never = await db.segment.findMany({ where: { workspaceId: WORKSPACE, archivedAt: null, refreshedAt: null }, select: { id: true, name: true } });
  if (never.length > 0) {
    // Referenced ones first: creation order is dependency order here.
    const order = [...ids.values()].filter((id) => never.some((n) => n.id === id));
    for (const id of order) {
      const [ms, r] = await timed(() => refreshSegment(db, { workspaceId: WORKSPACE, segmentId: id, now: new Date() }));
      console.log(`  refreshed ${never.find((n) => n.id === id)!.name}: ${r.size.toLocaleString("en")} members in ${fmt(ms)} (load average ${load()})`);
    }
    await db.$executeRawUnsafe("VACUUM (ANALYZE) segment_memberships, segment_membership_history, segments, segment_size_history");
    const [ms, scheduled] = await timed(() => scheduleWorkspaceRechecks(db, { workspaceId: WORKSPACE, now: new Date() }));
    console.log(`scheduleWorkspaceRechecks: ${scheduled.toLocaleString("en")} people with a re-check, ${fmt(ms)}`);
    await db.$executeRawUnsafe("VACUUM (ANALYZE) segment_rechecks");
  }
  const segments = (await db.segment.findMany({ where: { workspaceId: WORKSPACE, archivedAt: null }, select: { id: true, name: true, size: true } })).sort(
    (a, b) => [...ids.keys()].indexOf(a.name) - [...ids.keys()].indexOf(b.name),
  );
  return { segments, flipSegmentId: ids.get(FLIP_SEGMENT)!, dataNow };
}
