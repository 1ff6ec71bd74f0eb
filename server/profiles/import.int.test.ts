import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { suppressionHash } from "@/server/ingest/service";
import { importProfiles } from "./import";
import { findProfileById } from "./service";
import type { ImportRow } from "@/lib/profiles/csv-import";

describe("CSV profile import", () => {
  const t = useTestDatabase();

  it("creates or updates profiles with typed traits, once per line even when a chunk is re-sent", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const actor = { userId: admin.id, label: admin.email };
    const rows: ImportRow[] = [
      { line: 2, id: "csv-1", email: "one@example.com", traits: { plan: "pro", age: 34 } },
      { line: 3, id: "csv-2", traits: { plan: "free", vip: true } },
    ];
    const first = await importProfiles(t.db, { workspaceId: workspace.id, actor, importId: "import-0001", fileName: "people.csv", rows });
    expect(first).toEqual({ imported: 2, failed: [] });
    const again = await importProfiles(t.db, { workspaceId: workspace.id, actor, importId: "import-0001", fileName: "people.csv", rows });
    expect(again.failed).toEqual([]);
    expect(await t.db.event.count({ where: { workspaceId: workspace.id } })).toBe(2);
    expect(await findProfileById(t.db, workspace.id, "csv-1")).toMatchObject({ email: "one@example.com", traits: { plan: "pro", age: 34, email: "one@example.com" } });
    expect(await findProfileById(t.db, workspace.id, "csv-2")).toMatchObject({ traits: { plan: "free", vip: true } });
    expect(await t.db.auditLogEntry.count({ where: { workspaceId: workspace.id, action: "profiles.imported" } })).toBe(2);
  });

  it("does not bring back a person deleted on request", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    await t.db.suppression.create({ data: { workspaceId: workspace.id, idHash: suppressionHash("erased") } });
    const result = await importProfiles(t.db, {
      workspaceId: workspace.id,
      actor: { userId: admin.id, label: admin.email },
      importId: "import-0002",
      fileName: "people.csv",
      rows: [{ line: 2, id: "erased", traits: {} }],
    });
    expect(result.imported).toBe(0);
    expect(result.failed).toEqual([{ line: 2, error: expect.stringMatching(/deleted on request/) }]);
  });
});
