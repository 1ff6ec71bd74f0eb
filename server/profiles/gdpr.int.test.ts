import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { parseMessage, type Message } from "@/lib/ingest/schema";
import { appRouter } from "@/server/api/root";
import { createCallerFactory } from "@/server/api/trpc";
import { ingestMessage } from "@/server/ingest/service";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { deletePerson, exportPerson } from "./gdpr";
import { findProfileById } from "./service";

function message(raw: Record<string, unknown>): Message {
  const parsed = parseMessage(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.message;
}

describe("GDPR deletion and export", () => {
  const t = useTestDatabase();

  async function personWithHistory(workspaceId: string) {
    const receivedAt = new Date();
    for (const raw of [
      { type: "track", anonymousId: "anon-gdpr", event: "product_viewed", messageId: `${workspaceId}-1` },
      { type: "identify", userId: "gdpr-user", anonymousId: "anon-gdpr", traits: { email: "gdpr@example.com" }, messageId: `${workspaceId}-2` },
      { type: "track", userId: "gdpr-user", event: "purchase", properties: { amount: 10 }, messageId: `${workspaceId}-3` },
    ]) {
      await ingestMessage(t.db, { workspaceId, message: message(raw), receivedAt });
    }
    return (await findProfileById(t.db, workspaceId, "gdpr-user"))!;
  }

  it("exports everything about the person and audits it", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const profile = await personWithHistory(workspace.id);
    const data = await exportPerson(t.db, { workspaceId: workspace.id, actor: { userId: admin.id, label: admin.email }, profileId: profile.id });
    expect(data.profile).toMatchObject({ userId: "gdpr-user", email: "gdpr@example.com" });
    expect(data.identities.map((i) => i.value).sort()).toEqual(["anon-gdpr", "gdpr-user"]);
    expect(data.events.map((e) => e.name ?? e.type)).toEqual(["product_viewed", "identify", "purchase"]);
    expect(await t.db.auditLogEntry.count({ where: { workspaceId: workspace.id, action: "profile.exported", targetId: profile.id } })).toBe(1);
  });

  it("deletes the person and everything attached, keeps only hashed suppressions, and drops later events", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const profile = await personWithHistory(workspace.id);
    const result = await deletePerson(t.db, { workspaceId: workspace.id, actor: { userId: admin.id, label: admin.email }, profileId: profile.id });
    expect(result).toEqual({ identities: 2, events: 3 });
    expect(await t.db.profile.count({ where: { id: profile.id } })).toBe(0);
    expect(await t.db.event.count({ where: { profileId: profile.id } })).toBe(0);
    expect(await t.db.profileIdentity.count({ where: { profileId: profile.id } })).toBe(0);

    const leftovers = JSON.stringify([
      await t.db.suppression.findMany({ where: { workspaceId: workspace.id } }),
      await t.db.auditLogEntry.findMany({ where: { workspaceId: workspace.id, action: "profile.deleted" } }),
    ]);
    expect(leftovers).not.toContain("gdpr-user");
    expect(leftovers).not.toContain("anon-gdpr");
    expect(leftovers).not.toContain("gdpr@example.com");

    for (const raw of [
      { type: "track", userId: "gdpr-user", event: "app_open", messageId: `${workspace.id}-after-1` },
      { type: "page", anonymousId: "anon-gdpr", name: "Home", messageId: `${workspace.id}-after-2` },
    ]) {
      expect(await ingestMessage(t.db, { workspaceId: workspace.id, message: message(raw), receivedAt: new Date() })).toBe("suppressed");
    }
    expect(await findProfileById(t.db, workspace.id, "gdpr-user")).toBeNull();
  });

  it("refuses marketers and viewers (FORBIDDEN) and other workspaces (NOT_FOUND)", async () => {
    const { workspace, members } = await createWorkspaceWith(t.db, ["marketer"]);
    const profile = await personWithHistory(workspace.id);
    const marketer = createCallerFactory(appRouter)({
      db: t.db,
      viewer: viewerFor(members[0]!.user, workspace, "marketer"),
      headers: new Headers(),
    });
    await expect(marketer.profiles.delete({ id: profile.id })).rejects.toMatchObject({ code: "FORBIDDEN" });
    const other = await createWorkspaceWith(t.db);
    const otherAdmin = createCallerFactory(appRouter)({
      db: t.db,
      viewer: viewerFor(other.admin, other.workspace, "admin"),
      headers: new Headers(),
    });
    const error = await otherAdmin.profiles.delete({ id: profile.id }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("NOT_FOUND");
    expect(await t.db.profile.count({ where: { id: profile.id } })).toBe(1);
  });
});
