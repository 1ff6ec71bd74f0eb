import { describe, expect, it } from "vitest";
import { createApiKey } from "@/server/keys/service";
import { createSegment, deleteSegment } from "@/server/segments/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { updateWorkspace } from "@/server/workspaces/service";
import { listAudit } from "./service";

describe("audit targets are named for people", () => {
  const t = useTestDatabase();

  it("names what an entry is about and links what still exists; what was deleted keeps its recorded name", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const actor = { userId: admin.id, label: admin.email };
    const everyone = { schemaVersion: 1 as const, root: { type: "group" as const, op: "and" as const, children: [] } };
    const kept = await createSegment(t.db, { workspaceId: workspace.id, actor, name: "Loyal buyers", description: "", definition: everyone });
    const gone = await createSegment(t.db, { workspaceId: workspace.id, actor, name: "Old test", description: "", definition: everyone });
    await deleteSegment(t.db, { workspaceId: workspace.id, actor, segmentId: gone.id });
    await createApiKey(t.db, { workspaceId: workspace.id, actor, name: "Website", kind: "write" });
    await updateWorkspace(t.db, { workspaceId: workspace.id, actor, name: "Acme Sports", defaultTimezone: "UTC" });

    const { entries } = await listAudit(t.db, { workspaceId: workspace.id, limit: 50 });
    const by = (action: string) => entries.filter((e) => e.action === action).map((e) => e.target);
    expect(by("segment.created")).toContainEqual({ type: "segment", id: kept.id, label: "Segment “Loyal buyers”", href: `/segments/${kept.id}` });
    expect(by("segment.deleted")).toEqual([{ type: "segment", id: gone.id, label: "Segment “Old test” (deleted)", href: null }]);
    expect(by("api_key.created")).toEqual([expect.objectContaining({ label: "API key “Website”", href: "/settings/api-keys" })]);
    expect(by("workspace.updated")).toEqual([expect.objectContaining({ label: "Acme Sports", href: "/settings" })]);
    // No entry shows a bare id.
    for (const e of entries) expect(e.target.label).not.toContain(e.targetId ?? "never");
  });
});
