import { describe, expect, it } from "vitest";
import { compileEvaluator } from "@/lib/segments/evaluate";
import type { SegmentDefinition } from "@/lib/segments/schema";
import { countQuery } from "@/server/segments/compile-sql";
import { loadPeople } from "@/server/segments/people";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { DEMO_GROUPS, seedDemoConsent } from "./consent";
import { loadDemoData } from "./load";

describe("the demo workspace's consent", () => {
  const t = useTestDatabase();

  it("has its groups, and subscription conditions that split the people (SQL and memory agree)", async () => {
    const { workspace } = await createWorkspaceWith(t.db);
    const now = new Date("2026-06-01T12:00:00.000Z");
    await loadDemoData(t.url, { workspaceId: workspace.id, profiles: 800, events: 6_000, seed: 2026, now });
    const seeded = await seedDemoConsent(t.db, workspace.id, now);
    expect(seeded.groups).toBe(DEMO_GROUPS.length);
    const groups = await t.db.subscriptionGroup.findMany({ where: { workspaceId: workspace.id } });
    const id = (name: string) => groups.find((g) => g.name === name)!.id;
    // Every answer has its record, none in the future.
    expect(await t.db.consentRecord.count({ where: { workspaceId: workspace.id } })).toBe(seeded.answers);
    expect(await t.db.consentRecord.count({ where: { workspaceId: workspace.id, at: { gt: now } } })).toBe(0);

    const people = [...(await loadPeople(t.db, workspace.id, { ids: (await t.db.profile.findMany({ where: { workspaceId: workspace.id }, select: { id: true } })).map((p) => p.id) })).values()];
    for (const [op, name] of [["unsubscribed", "Product news"], ["subscribed", "SMS offers"], ["unsubscribed", "SMS offers"], ["unsubscribed", "Order updates"]] as const) {
      const definition: SegmentDefinition = { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "subscription", op, groupId: id(name) }] } };
      const query = countQuery(definition, { workspaceId: workspace.id, now });
      const [row] = await t.db.$queryRawUnsafe<{ count: number }[]>(query.sql, ...query.params);
      const count = row!.count;
      expect(count, `${op} ${name}`).toBeGreaterThan(0);
      expect(count, `${op} ${name}`).toBeLessThan(people.length);
      const matches = compileEvaluator(definition, now);
      expect(people.filter((p) => matches(p)).length, `${op} ${name} in memory`).toBe(count);
    }
  });
});
