import { beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "@/server/api/root";
import { createCallerFactory, type Context } from "@/server/api/trpc";
import { DEMO_INBOX_CHANNEL_ID, DEMO_INBOX_CHANNEL_NAME, demoInboxSettings, pointDemoInboxChannel, seedDemoInboxChannel } from "@/server/demo/inbox-channel";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";

// Not demo mode: JUNCTION_DEMO is unset, as with your own DATABASE_URL.
delete process.env.JUNCTION_DEMO;

const createCaller = createCallerFactory(appRouter);

describe("the demo workspace's email channel", () => {
  const t = useTestDatabase();
  let demo: Awaited<ReturnType<typeof createWorkspaceWith>>;
  let other: Awaited<ReturnType<typeof createWorkspaceWith>>;

  beforeAll(async () => {
    demo = await createWorkspaceWith(t.db);
    other = await createWorkspaceWith(t.db);
  });

  it("is seeded with its audit entry; each start moves only it to the catcher's port, and audits only a real move", async () => {
    await seedDemoInboxChannel(t.db, demo.workspace.id, { userId: demo.admin.id, label: "seed" });
    // Channels people connected, in the demo workspace and elsewhere, some to the same host.
    await Promise.all([
      t.db.channel.create({ data: { workspaceId: demo.workspace.id, kind: "email", name: DEMO_INBOX_CHANNEL_NAME, settings: demoInboxSettings(1025) } }),
      t.db.channel.create({ data: { workspaceId: demo.workspace.id, kind: "email", name: "Mailpit", settings: demoInboxSettings(2526) } }),
      t.db.channel.create({ data: { workspaceId: other.workspace.id, kind: "email", name: "Theirs", settings: demoInboxSettings(2525) } }),
    ]);
    const before = await t.db.channel.findMany({ where: { id: { not: DEMO_INBOX_CHANNEL_ID } }, orderBy: { id: "asc" } });

    expect(await pointDemoInboxChannel(t.db, 40_001)).toBe("updated");
    const row = await t.db.channel.findUniqueOrThrow({ where: { id: DEMO_INBOX_CHANNEL_ID } });
    expect(row).toMatchObject({ workspaceId: demo.workspace.id, kind: "email", name: DEMO_INBOX_CHANNEL_NAME, settings: demoInboxSettings(40_001) });
    expect(await t.db.channel.findMany({ where: { id: { not: DEMO_INBOX_CHANNEL_ID } }, orderBy: { id: "asc" } })).toEqual(before);

    expect(await pointDemoInboxChannel(t.db, 40_001)).toBe("unchanged");
    const audit = await t.db.auditLogEntry.findMany({ where: { targetId: DEMO_INBOX_CHANNEL_ID }, orderBy: { createdAt: "asc" } });
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([
      ["channel.created", "seed"],
      ["channel.updated", "demo mode"],
    ]);
    expect(audit[1]!.diff).toEqual({ settings: { from: { port: 2525 }, to: { port: 40_001 } } });
  });

  it("stays the demo channel when renamed or given other senders; once pointed elsewhere (or gone) it is left alone", async () => {
    const row = await t.db.channel.findUniqueOrThrow({ where: { id: DEMO_INBOX_CHANNEL_ID } });
    const renamed = { ...demoInboxSettings(40_001), senders: [{ name: "Us", address: "us@example.com" }] };
    await t.db.channel.update({ where: { id: row.id }, data: { name: "Our test inbox", settings: renamed } });
    expect(await pointDemoInboxChannel(t.db, 40_002)).toBe("updated");
    expect((await t.db.channel.findUniqueOrThrow({ where: { id: row.id } })).settings).toEqual({ ...renamed, port: 40_002 });

    const real = { ...renamed, host: "smtp.example.com", port: 587, security: "starttls" };
    await t.db.channel.update({ where: { id: row.id }, data: { settings: real } });
    expect(await pointDemoInboxChannel(t.db, 40_003)).toBe("left-alone");
    expect((await t.db.channel.findUniqueOrThrow({ where: { id: row.id } })).settings).toEqual(real);

    await t.db.channel.delete({ where: { id: row.id } });
    expect(await pointDemoInboxChannel(t.db, 40_004)).toBe("missing");
  });

  it("outside demo mode there is no demo inbox: both procedures answer NOT_FOUND, to every role", async () => {
    for (const role of ["admin", "viewer"] as const) {
      const ws = role === "admin" ? demo : await createWorkspaceWith(t.db, ["viewer"]);
      const user = role === "admin" ? ws.admin : ws.members[0]!.user;
      const ctx: Context = { db: t.db, viewer: viewerFor(user, ws.workspace, role), headers: new Headers() };
      const caller = createCaller(ctx);
      await expect(caller.demoInbox.list({})).rejects.toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining("only in demo mode") });
      await expect(caller.demoInbox.get({ id: "1796513795093-8e617b59" })).rejects.toMatchObject({ code: "NOT_FOUND" });
    }
    // Not signed in: not even that.
    await expect(createCaller({ db: t.db, viewer: null, headers: new Headers() }).demoInbox.list({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
  });
});
