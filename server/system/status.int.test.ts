import { describe, expect, it, vi } from "vitest";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { sql } from "@/server/db/client";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { createSegment } from "@/server/segments/service";

vi.mock("@/server/jobs/worker", () => ({ queueSegmentRefresh: vi.fn(async () => {}) }));

const createCaller = createCallerFactory(appRouter);

describe("system status (Settings → Status)", () => {
  const t = useTestDatabase();

  it("admins see the feed's lag, re-checks and corrections of their workspace; marketers may not look", async () => {
    const ws = await createWorkspaceWith(t.db, ["marketer"]);
    const callerAs = (role: "marketer" | "admin") => {
      const user = role === "admin" ? ws.admin : ws.members.find((m) => m.role === role)!.user;
      const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
      return createCaller(ctx);
    };
    await expect(callerAs("marketer").system.status()).rejects.toMatchObject({ code: "FORBIDDEN" });

    const empty = await callerAs("admin").system.status();
    expect(empty).toMatchObject({
      feed: expect.arrayContaining([
        expect.objectContaining({ consumer: "journeys", behind: 0, seconds: 0, lagging: false, lastError: null }),
        expect.objectContaining({ consumer: "segments", behind: 0, seconds: 0, lagging: false, lastError: null }),
      ]),
      rechecks: { scheduled: 0, overdue: 0, nextDueAt: null },
      repairs24h: 0,
      jobs: { queued: 0, failed: 0 },
      journeys: { due: 0, late: 0, oldestDueAt: null, sendsDue: 0, sending: 0, failed24h: 0, unknown24h: 0 },
    });

    const profile = await t.db.profile.create({ data: { id: "status-p", workspaceId: ws.workspace.id, bucket: 1, firstSeenAt: new Date(), lastSeenAt: new Date() } });
    await t.db.segmentRecheck.create({ data: { profileId: profile.id, workspaceId: ws.workspace.id, dueAt: new Date(Date.now() - 5 * 60_000) } });
    const segment = await createSegment(t.db, {
      workspaceId: ws.workspace.id,
      actor: { userId: ws.admin.id, label: "admin" },
      name: "Everyone",
      description: "",
      definition: { schemaVersion: 1, root: { type: "group", op: "and", children: [] } },
    });
    await t.db.segmentMembershipChange.create({ data: { segmentId: segment.id, profileId: profile.id, entered: true, cause: "repair", at: new Date() } });
    await sql(t.db).execute`INSERT INTO change_feed (workspace_id, kind, profile_ids, created_at) VALUES (${ws.workspace.id}, 'events', ARRAY['status-p'], now() - interval '3 minutes')`;
    const busy = await callerAs("admin").system.status();
    expect(busy.rechecks).toMatchObject({ scheduled: 1, overdue: 1 });
    expect(busy.repairs24h).toBe(1);
    expect(busy.feed.find((c) => c.consumer === "segments")).toMatchObject({ behind: 1, lagging: true });
    // Another workspace's corrections and re-checks are not this one's.
    const other = await createWorkspaceWith(t.db);
    const ctx: Context = { db: t.db, viewer: viewerFor(other.admin, other.workspace, "admin"), headers: new Headers() };
    expect(await createCaller(ctx).system.status()).toMatchObject({ repairs24h: 0, rechecks: { scheduled: 0 } });
  });
});
