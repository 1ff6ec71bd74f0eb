import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { DEMO_EVENTS, DEMO_PROFILES, seedDemo } from "@/prisma/seed";
import { demoTotals } from "@/lib/demo/generator";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { findProfileById } from "@/server/profiles/service";
import { copyJson, copyText, loadDemoData, type LoadProgress } from "./load";

const now = new Date("2026-06-01T12:00:00.000Z");

async function one<T>(url: string, sql: string, params: unknown[] = []): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows[0] as T;
  } finally {
    await client.end();
  }
}

const INDEXES_AND_KEYS = `
  SELECT array_agg(name ORDER BY name) AS names FROM (
    SELECT indexname AS name FROM pg_indexes WHERE tablename IN ('profiles', 'profile_identities', 'events')
    UNION ALL
    SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid IN ('profiles'::regclass, 'profile_identities'::regclass, 'events'::regclass)
  ) s`;

describe("demo data loader", () => {
  const t = useTestDatabase();

  it("COPYs profiles, identities and events that agree with each other, reporting progress", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const options = { workspaceId: workspace.id, profiles: 500, events: 5_000, seed: 1, now };
    const progress: LoadProgress[] = [];
    const result = await loadDemoData(t.url, options, (p) => progress.push(p));
    const totals = demoTotals(options);
    expect(result).toMatchObject({ profiles: 500, identities: totals.identities, events: 5_000, rebuilt: [] });

    const counts = await one<Record<string, number>>(
      t.url,
      `SELECT (SELECT count(*)::int FROM profiles WHERE workspace_id = $1) AS profiles,
              (SELECT count(*)::int FROM profile_identities WHERE workspace_id = $1) AS identities,
              (SELECT count(*)::int FROM events WHERE workspace_id = $1) AS events,
              (SELECT count(DISTINCT message_id)::int FROM events WHERE workspace_id = $1) AS messages`,
      [workspace.id],
    );
    expect(counts).toEqual({ profiles: 500, identities: totals.identities, events: 5_000, messages: 5_000 });

    const broken = await one<Record<string, number>>(
      t.url,
      `SELECT
         -- first/last seen are the first and last event
         (SELECT count(*)::int FROM profiles p JOIN (SELECT profile_id, min(timestamp) AS first, max(timestamp) AS last FROM events GROUP BY profile_id) e
            ON e.profile_id = p.id WHERE p.workspace_id = $1 AND (p.first_seen_at <> e.first OR p.last_seen_at <> e.last)) AS seen,
         -- every profile has events
         (SELECT count(*)::int FROM profiles p WHERE p.workspace_id = $1 AND NOT EXISTS (SELECT 1 FROM events e WHERE e.profile_id = p.id)) AS without_events,
         -- known profiles are found by their user id
         (SELECT count(*)::int FROM profiles p WHERE p.workspace_id = $1 AND p.user_id IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM profile_identities i WHERE i.workspace_id = p.workspace_id AND i.kind = 'user_id' AND i.value = p.user_id AND i.profile_id = p.id)) AS unresolvable,
         -- every profile has an identity
         (SELECT count(*)::int FROM profiles p WHERE p.workspace_id = $1 AND NOT EXISTS (SELECT 1 FROM profile_identities i WHERE i.profile_id = p.id)) AS without_identity,
         -- buckets and built-in columns
         (SELECT count(*)::int FROM profiles WHERE workspace_id = $1 AND (bucket NOT BETWEEN 0 AND 9999 OR (user_id IS NOT NULL AND (email IS DISTINCT FROM traits->>'email' OR country IS DISTINCT FROM traits->>'country')))) AS columns,
         -- identify events carry the traits
         (SELECT count(*)::int FROM events e JOIN profiles p ON p.id = e.profile_id WHERE e.workspace_id = $1 AND e.type = 'identify' AND e.properties <> p.traits) AS identify`,
      [workspace.id],
    );
    expect(broken).toEqual({ seen: 0, without_events: 0, unresolvable: 0, without_identity: 0, columns: 0, identify: 0 });

    const shape = await one<{ merged: number; anonymous: number; purchases: number; lapsed: number }>(
      t.url,
      `SELECT (SELECT count(*)::int FROM profiles p WHERE p.workspace_id = $1 AND p.user_id IS NOT NULL
                 AND EXISTS (SELECT 1 FROM profile_identities i WHERE i.profile_id = p.id AND i.kind = 'anonymous_id')) AS merged,
              (SELECT count(*)::int FROM profiles WHERE workspace_id = $1 AND user_id IS NULL) AS anonymous,
              (SELECT count(*)::int FROM events WHERE workspace_id = $1 AND name = 'purchase' AND (properties->>'amount')::numeric > 0) AS purchases,
              (SELECT count(*)::int FROM profiles WHERE workspace_id = $1 AND last_seen_at < $2::timestamptz - interval '30 days') AS lapsed`,
      [workspace.id, now],
    );
    expect(shape.merged).toBeGreaterThan(40);
    expect(shape.merged).toBeLessThan(110);
    expect(shape.anonymous).toBeGreaterThan(5);
    expect(shape.anonymous).toBeLessThan(50);
    expect(shape.purchases).toBeGreaterThan(0);
    expect(shape.lapsed).toBeGreaterThan(50);

    // The app reads what the loader wrote.
    const someone = await one<{ user_id: string }>(t.url, "SELECT user_id FROM profiles WHERE workspace_id = $1 AND user_id IS NOT NULL LIMIT 1", [workspace.id]);
    const profile = await findProfileById(t.db, workspace.id, someone.user_id);
    expect(profile?.identities.map((i) => i.kind)).toContain("user_id");

    for (const phase of ["profiles", "profile_identities", "events", "analyze"] as const) {
      const last = progress.filter((p) => p.phase === phase).at(-1);
      expect(last && last.done === last.total).toBe(true);
    }
    expect(progress.find((p) => p.phase === "events")?.total).toBe(5_000);
  });

  it("refuses to load the same seed into a workspace twice and leaves the first load as it was", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const options = { workspaceId: workspace.id, profiles: 50, events: 400, seed: 7, now };
    await loadDemoData(t.url, options);
    await expect(loadDemoData(t.url, options)).rejects.toThrow(/demo data with seed 7 is already in workspace .*: choose another seed/);
    await loadDemoData(t.url, { ...options, seed: 8 });
    expect(await t.db.profile.count({ where: { workspaceId: workspace.id } })).toBe(100);
    expect(await t.db.event.count({ where: { workspaceId: workspace.id } })).toBe(800);
    await expect(loadDemoData(t.url, { ...options, workspaceId: "no-such-workspace" })).rejects.toThrow(/workspace no-such-workspace does not exist/);
    await expect(loadDemoData(t.url, { ...options, events: 10 })).rejects.toThrow(/events must be an integer of at least 3 per profile/);
  });

  it("drops and rebuilds indexes and foreign keys around a big load, leaving the schema exactly as it was", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const before = await one<{ names: string[] }>(t.url, INDEXES_AND_KEYS);
    const progress: LoadProgress[] = [];
    const result = await loadDemoData(t.url, { workspaceId: workspace.id, profiles: 200, events: 2_000, seed: 3, now, indexes: "rebuild" }, (p) =>
      progress.push(p),
    );
    expect(result.rebuilt).toEqual(["profiles", "profile_identities", "events"]);
    expect(progress.filter((p) => p.phase === "indexes").at(-1)).toMatchObject({ done: expect.any(Number) });
    expect(progress.filter((p) => p.phase === "indexes").length).toBeGreaterThan(3);
    expect(await one<{ names: string[] }>(t.url, INDEXES_AND_KEYS)).toEqual(before);
    expect(await t.db.event.count({ where: { workspaceId: workspace.id } })).toBe(2_000);
    // The rebuilt unique index still guards against a second copy of the data.
    await expect(loadDemoData(t.url, { workspaceId: workspace.id, profiles: 200, events: 2_000, seed: 3, now, indexes: "rebuild" })).rejects.toThrow(
      /already in workspace/,
    );
    expect(await one<{ names: string[] }>(t.url, INDEXES_AND_KEYS)).toEqual(before);
  });

  it("escapes COPY text: tabs, newlines, backslashes and \\N survive, in text and in JSON", async () => {
    const nasty = ["tab\there", "line\nbreak", "cr\rhere", "back\\slash", "\\N", "quote \"q\" 'q'", "ünïcødé ✓", "trailing\\"];
    const client = new pg.Client({ connectionString: t.url });
    await client.connect();
    try {
      await client.query("CREATE TEMP TABLE copy_check (n int, t text, j jsonb, z text)");
      const lines = nasty.map((value, n) => `${n}\t${copyText(value)}\t${copyJson({ value, nested: [value] })}\t${copyText(null)}\n`);
      await pipeline(Readable.from(lines), client.query(copyFrom("COPY copy_check FROM STDIN")));
      const { rows } = await client.query<{ t: string; j: { value: string; nested: string[] }; z: string | null }>("SELECT t, j, z FROM copy_check ORDER BY n");
      expect(rows.map((r) => r.t)).toEqual(nasty);
      expect(rows.map((r) => r.j)).toEqual(nasty.map((value) => ({ value, nested: [value] })));
      expect(rows.every((r) => r.z === null)).toBe(true);
    } finally {
      await client.end();
    }
  });
});

describe("demo seed with generated data", () => {
  const t = useTestDatabase();

  it(`loads ${DEMO_PROFILES} profiles and ${DEMO_EVENTS} events into the demo workspace in a few seconds`, async () => {
    const lines: string[] = [];
    const started = performance.now();
    expect(await seedDemo(t.db, (line) => lines.push(line), { connectionString: t.url })).toBe(true);
    const seconds = (performance.now() - started) / 1000;
    const workspace = await t.db.workspace.findFirstOrThrow();
    expect(await t.db.profile.count({ where: { workspaceId: workspace.id } })).toBe(DEMO_PROFILES);
    expect(await t.db.event.count({ where: { workspaceId: workspace.id } })).toBe(DEMO_EVENTS);
    expect(lines.join("\n")).toMatch(/loaded 5000 demo profiles and 60000 events/);
    expect(seconds).toBeLessThan(20);
    expect(await seedDemo(t.db, () => {}, { connectionString: t.url })).toBe(false);
    expect(await t.db.profile.count()).toBe(DEMO_PROFILES);
  });
});
