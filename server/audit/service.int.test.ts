import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { decodeKeyset } from "@/server/db/keyset";
import { listAudit, recordAudit } from "./service";

describe("audit log", () => {
  const t = useTestDatabase();

  it("redacts secrets in the diff before they are stored", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    await recordAudit(t.db, {
      workspaceId: workspace.id,
      actor: { userId: admin.id, label: admin.email },
      action: "channel.updated",
      target: { type: "channel", id: "smtp" },
      diff: { host: { from: "a", to: "b" }, password: { from: "old-pass", to: "new-pass" }, nested: { apiKey: "sk_live" } },
    });
    const raw = await t.db.$queryRaw<{ diff: unknown }[]>`SELECT diff FROM audit_log WHERE action = 'channel.updated'`;
    const text = JSON.stringify(raw);
    expect(text).not.toContain("old-pass");
    expect(text).not.toContain("new-pass");
    expect(text).not.toContain("sk_live");
    expect(text).toContain('"host"');
  });

  it("pages newest first without gaps or repeats, and filters", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const base = new Date("2026-01-01T00:00:00Z").getTime();
    // 53 entries, several sharing a timestamp, so the id tie-break matters.
    await t.db.auditLogEntry.createMany({
      data: Array.from({ length: 53 }, (_, i) => ({
        workspaceId: workspace.id,
        actorId: admin.id,
        actorLabel: admin.email,
        action: i % 2 === 0 ? "segment.updated" : "segment.created",
        targetType: "segment",
        targetId: `s${i}`,
        createdAt: new Date(base + Math.floor(i / 3) * 1000),
      })),
    });
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof listAudit>> = await listAudit(t.db, {
        workspaceId: workspace.id,
        targetType: "segment",
        cursor: cursor ? decodeKeyset(cursor, "text") : null,
        limit: 10,
      });
      seen.push(...page.entries.map((e) => e.targetId!));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(6);
    expect(new Set(seen).size).toBe(53);
    const all = await t.db.auditLogEntry.findMany({
      where: { workspaceId: workspace.id, targetType: "segment" },
      orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    });
    expect(seen).toEqual(all.map((e) => e.targetId));

    const created = await listAudit(t.db, { workspaceId: workspace.id, action: "segment.created", limit: 100 });
    expect(created.entries).toHaveLength(26);
    const window = await listAudit(t.db, {
      workspaceId: workspace.id,
      targetType: "segment",
      from: new Date(base + 2000),
      to: new Date(base + 4000),
      limit: 100,
    });
    expect(window.entries.map((e) => e.targetId).sort()).toEqual(["s6", "s7", "s8", "s9", "s10", "s11"].sort());
  });

  it("refuses a cursor that was not made here", () => {
    expect(decodeKeyset("not-a-cursor", "text")).toBeNull();
  });
});
