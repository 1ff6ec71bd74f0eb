import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { inviteMember } from "@/server/workspaces/service";
import { assertSignUpAllowed, onUserCreated } from "./onboarding";

/** Runs in its own database: it starts from an empty instance. */
describe("onboarding", () => {
  const t = useTestDatabase();

  it("opens sign-up on an empty instance; the first person founds the workspace as admin", async () => {
    await expect(assertSignUpAllowed(t.db, { email: "first@example.com", invitationToken: null })).resolves.toBeUndefined();
    const user = await t.db.user.create({ data: { id: "u1", name: "First", email: "first@example.com" } });
    await onUserCreated(t.db, { user, invitationToken: null, workspaceName: "Acme" });
    const memberships = await t.db.membership.findMany({ include: { workspace: true } });
    expect(memberships).toHaveLength(1);
    expect(memberships[0]).toMatchObject({ userId: "u1", role: "admin", workspace: { name: "Acme", slug: "acme" } });
    expect(await t.db.auditLogEntry.count({ where: { action: "workspace.created" } })).toBe(1);
  });

  it("then refuses sign-up without an invitation", async () => {
    await expect(assertSignUpAllowed(t.db, { email: "stranger@example.com", invitationToken: null })).rejects.toThrow(/invitation only/);
  });

  it("accepts an invitation only for its own address, once, with the invited role", async () => {
    const workspace = await t.db.workspace.findFirstOrThrow();
    const { token } = await inviteMember(t.db, {
      workspaceId: workspace.id,
      actor: { userId: "u1", label: "first@example.com" },
      email: "viewer@example.com",
      role: "viewer",
    });
    await expect(assertSignUpAllowed(t.db, { email: "other@example.com", invitationToken: token })).rejects.toThrow(/for viewer@example.com/);
    await expect(assertSignUpAllowed(t.db, { email: "Viewer@Example.com", invitationToken: token })).resolves.toBeUndefined();
    const user = await t.db.user.create({ data: { id: "u2", name: "V", email: "viewer@example.com" } });
    await onUserCreated(t.db, { user, invitationToken: token, workspaceName: null });
    expect(await t.db.membership.findFirst({ where: { userId: "u2" } })).toMatchObject({ role: "viewer", workspaceId: workspace.id });
    await expect(assertSignUpAllowed(t.db, { email: "viewer@example.com", invitationToken: token })).rejects.toThrow(/already used/);
    // Still one workspace: an invited sign-up never founds another.
    expect(await t.db.workspace.count()).toBe(1);
  });

  it("concurrent first sign-ups found exactly one workspace", async () => {
    await t.db.$executeRaw`TRUNCATE users, workspaces CASCADE`;
    const users = await Promise.all(
      ["a", "b", "c"].map((id) => t.db.user.create({ data: { id, name: id, email: `${id}@example.com` } })),
    );
    await Promise.all(users.map((user) => onUserCreated(t.db, { user, invitationToken: null, workspaceName: "Race" })));
    expect(await t.db.workspace.count()).toBe(1);
    expect(await t.db.membership.count()).toBe(1);
  });
});
