import { describe, expect, it } from "vitest";
import { parseCrontab } from "graphile-worker";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { createSegment } from "@/server/segments/service";
import { CRONTAB, taskList } from "./tasks";

describe("segment jobs", () => {
  const t = useTestDatabase();

  it("the periodic job materialises every saved segment, referenced ones first; the single refresh skips archived ones", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const actor = { userId: admin.id, label: admin.email };
    for (const [i, country] of ["DE", "DE", "FR"].entries()) {
      await t.db.profile.create({ data: { id: `job-p${i}`, workspaceId: workspace.id, country, bucket: i, firstSeenAt: new Date(), lastSeenAt: new Date() } });
    }
    const germany = await createSegment(t.db, {
      workspaceId: workspace.id,
      actor,
      name: "Germany",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "country", valueType: "string", operator: { op: "equals", value: "DE" } }] } },
    });
    const notGermany = await createSegment(t.db, {
      workspaceId: workspace.id,
      actor,
      name: "Not Germany",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "segment", op: "notIn", segmentId: germany.id }] } },
    });
    const tasks = taskList(t.db);
    await tasks["segments:refresh-all"]!({}, {} as never);
    const sizes = await t.db.segment.findMany({ where: { workspaceId: workspace.id }, orderBy: { name: "asc" }, select: { name: true, size: true } });
    // "Not Germany" reads Germany's membership, so it must run after it, in the same pass.
    expect(sizes).toEqual([
      { name: "Germany", size: 2 },
      { name: "Not Germany", size: 1 },
    ]);

    await t.db.segment.update({ where: { id: notGermany.id }, data: { archivedAt: new Date() } });
    await t.db.profile.create({ data: { id: "job-p3", workspaceId: workspace.id, country: "FR", bucket: 3, firstSeenAt: new Date(), lastSeenAt: new Date() } });
    await tasks["segments:refresh"]!({ workspaceId: workspace.id, segmentId: notGermany.id }, {} as never);
    expect((await t.db.segment.findUniqueOrThrow({ where: { id: notGermany.id } })).size).toBe(1);
    await expect(tasks["segments:refresh"]!({ workspaceId: workspace.id }, {} as never)).rejects.toThrow();
  });

  it("the crontab parses", () => {
    expect(parseCrontab(CRONTAB).map((c) => c.task)).toEqual(["segments:refresh-all"]);
  });
});
