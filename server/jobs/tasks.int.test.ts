import { describe, expect, it, vi } from "vitest";
import { parseCrontab } from "graphile-worker";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { createSegment } from "@/server/segments/service";
import { drain } from "@/server/feed/consumer";
import { segmentsConsumer } from "@/server/segments/consumer";
import { CRONTAB, taskList } from "./tasks";

describe("segment jobs", () => {
  const t = useTestDatabase();

  it("the periodic check hands differences to the feed's consumer (cause repair), referenced segments first; the single refresh skips archived ones", async () => {
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
    // Nobody was decided yet (no refresh ran): everyone who should be in is a difference.
    expect(await t.db.segmentRecheck.count({ where: { workspaceId: workspace.id, cause: "repair" } })).toBe(3);
    await drain(t.db, segmentsConsumer(t.db));
    const sizes = await t.db.segment.findMany({ where: { workspaceId: workspace.id }, orderBy: { name: "asc" }, select: { name: true, size: true } });
    // "Not Germany" reads Germany's membership, so it must run after it, in the same pass.
    expect(sizes).toEqual([
      { name: "Germany", size: 2 },
      { name: "Not Germany", size: 1 },
    ]);
    expect(await t.db.segmentMembershipChange.groupBy({ by: ["cause"], where: { segment: { workspaceId: workspace.id } }, _count: true })).toEqual([{ cause: "repair", _count: 3 }]);
    // A second check finds nothing to repair.
    await tasks["segments:refresh-all"]!({}, {} as never);
    expect(await t.db.segmentRecheck.count({ where: { workspaceId: workspace.id, cause: "repair" } })).toBe(0);

    await t.db.segment.update({ where: { id: notGermany.id }, data: { archivedAt: new Date() } });
    await t.db.profile.create({ data: { id: "job-p3", workspaceId: workspace.id, country: "FR", bucket: 3, firstSeenAt: new Date(), lastSeenAt: new Date() } });
    const helpers = { addJob: vi.fn(async () => ({})) };
    await tasks["segments:refresh"]!({ workspaceId: workspace.id, segmentId: notGermany.id }, helpers as never);
    expect((await t.db.segment.findUniqueOrThrow({ where: { id: notGermany.id } })).size).toBe(1);
    expect(helpers.addJob).not.toHaveBeenCalled();
    // A live segment: it and those that refer to it are recomputed (cause "definition"), then re-checks are scheduled.
    await tasks["segments:refresh"]!({ workspaceId: workspace.id, segmentId: germany.id }, helpers as never);
    expect(helpers.addJob).toHaveBeenCalledWith("segments:schedule-rechecks", { workspaceId: workspace.id }, { jobKey: `segment-rechecks:${workspace.id}` });
    await expect(tasks["segments:refresh"]!({ workspaceId: workspace.id }, {} as never)).rejects.toThrow();
  });

  it("the crontab parses", () => {
    expect(parseCrontab(CRONTAB).map((c) => c.task)).toEqual(["segments:refresh-all"]);
  });
});
