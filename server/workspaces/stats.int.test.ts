import { describe, expect, it } from "vitest";
import { parseMessage } from "@/lib/ingest/schema";
import { ingestBatch } from "@/server/ingest/service";
import { createSegment, setSegmentArchived } from "@/server/segments/service";
import { refreshSegment } from "@/server/segments/membership";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith } from "@/server/test/fixtures";
import { workspaceStats } from "./stats";

describe("the dashboard's numbers", () => {
  const t = useTestDatabase();

  it("counts people, events today and this week in the workspace's time zone, and live segments by size", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const workspaceId = workspace.id;
    // Wednesday 2026-06-03, 01:30 in Berlin (23:30 UTC the day before).
    await t.db.workspace.update({ where: { id: workspaceId }, data: { defaultTimezone: "Europe/Berlin" } });
    const now = new Date("2026-06-02T23:30:00Z");
    const empty = await workspaceStats(t.db, { workspaceId, now });
    expect(empty).toEqual({ people: 0, events: { today: 0, thisWeek: 0, timeZone: "Europe/Berlin" }, segments: { live: 0, largest: [] } });

    const track = (userId: string, event: string, timestamp: string, i: number) => ({ type: "track", userId, event, timestamp, messageId: `m-${i}` });
    const raw = [
      { type: "identify", userId: "ada", traits: { country: "DE" }, messageId: "id-1" },
      { type: "identify", userId: "bo", traits: { country: "FR" }, messageId: "id-2" },
      track("ada", "purchase", "2026-06-02T22:45:00Z", 1), // today in Berlin (00:45), yesterday in UTC
      track("bo", "app_open", "2026-06-02T23:10:00Z", 2), // today
      track("ada", "app_open", "2026-06-02T21:00:00Z", 3), // Tuesday: this week, not today
      track("bo", "purchase", "2026-05-31T21:59:00Z", 4), // Sunday 23:59 in Berlin: last week
      track("bo", "purchase", "2026-06-03T09:00:00Z", 5), // later than now: not yet
    ];
    const items = raw.map((m) => {
      const parsed = parseMessage(m);
      if (!parsed.ok) throw new Error(parsed.error);
      return { message: parsed.message, receivedAt: now };
    });
    await ingestBatch(t.db, { workspaceId, items });

    const actor = { userId: admin.id, label: admin.email };
    const de = await createSegment(t.db, { workspaceId, actor, name: "Germany", description: "", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [{ type: "trait", field: "country", valueType: "string", operator: { op: "equals", value: "DE" } }] } } });
    const all = await createSegment(t.db, { workspaceId, actor, name: "Everyone", description: "", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [] } } });
    const gone = await createSegment(t.db, { workspaceId, actor, name: "Archived", description: "", definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [] } } });
    for (const s of [de, all, gone]) await refreshSegment(t.db, { workspaceId, segmentId: s.id, now });
    await setSegmentArchived(t.db, { workspaceId, actor, segmentId: gone.id, archived: true });

    expect(await workspaceStats(t.db, { workspaceId, now })).toEqual({
      people: 2,
      events: { today: 2, thisWeek: 3, timeZone: "Europe/Berlin" },
      segments: { live: 2, largest: [{ id: all.id, name: "Everyone", size: 2 }, { id: de.id, name: "Germany", size: 1 }] },
    });
  });
});
