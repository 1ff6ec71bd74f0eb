import { describe, expect, it } from "vitest";
import { useTestDatabase } from "@/server/test/database";
import { createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { postTrpc } from "@/server/test/trpc-http";
import { listAudit } from "@/server/audit/service";
import { acceptInvitation, changeRole, findOpenInvitation, frequencyCaps, inviteMember, joinWorkspace, removeMember, revokeInvitation, setFrequencyCaps, updateWorkspace } from "./service";

describe("workspace and member services", () => {
  const t = useTestDatabase();
  const actorOf = (u: { id: string; email: string }) => ({ userId: u.id, label: u.email });

  it("invites by a one-time token stored only as a hash, and audits it", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const { invitation, token } = await inviteMember(t.db, {
      workspaceId: workspace.id,
      actor: actorOf(admin),
      email: "  New.Person@Example.com ",
      role: "viewer",
    });
    expect(invitation.email).toBe("new.person@example.com");
    expect(invitation.tokenHash).not.toContain(token);
    const stored = await t.db.invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    expect(JSON.stringify(stored)).not.toContain(token);
    expect((await findOpenInvitation(t.db, token))?.id).toBe(invitation.id);
    expect(await findOpenInvitation(t.db, `${token}x`)).toBeNull();

    const { entries } = await listAudit(t.db, { workspaceId: workspace.id, action: "member.invited", limit: 10 });
    expect(entries).toHaveLength(1);
    expect(entries[0]?.actorLabel).toBe(admin.email);
    expect(entries[0]?.diff).toEqual({ email: { to: "new.person@example.com" }, role: { to: "viewer" } });
  });

  it("a new invitation for the same address replaces the old one; revoked and expired links stop working", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    const first = await inviteMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), email: "a@x.io", role: "viewer" });
    const second = await inviteMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), email: "a@x.io", role: "marketer" });
    expect(await findOpenInvitation(t.db, first.token)).toBeNull();
    expect((await findOpenInvitation(t.db, second.token))?.role).toBe("marketer");
    await revokeInvitation(t.db, { workspaceId: workspace.id, actor: actorOf(admin), invitationId: second.invitation.id });
    expect(await findOpenInvitation(t.db, second.token)).toBeNull();

    const third = await inviteMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), email: "b@x.io", role: "viewer" });
    const in8Days = new Date(Date.now() + 8 * 86_400_000);
    expect(await findOpenInvitation(t.db, third.token, in8Days)).toBeNull();
  });

  it("refuses to invite an existing member", async () => {
    const { workspace, admin, members } = await createWorkspaceWith(t.db, ["viewer"]);
    await expect(
      inviteMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), email: members[0]!.user.email, role: "admin" }),
    ).rejects.toThrow(/already a member/);
  });

  it("never leaves a workspace without an admin", async () => {
    const { workspace, admin, members } = await createWorkspaceWith(t.db, ["marketer"]);
    const marketer = members[0]!.user;
    await expect(changeRole(t.db, { workspaceId: workspace.id, actor: actorOf(marketer), userId: admin.id, role: "viewer" })).rejects.toThrow(
      /at least one admin/,
    );
    await changeRole(t.db, { workspaceId: workspace.id, actor: actorOf(admin), userId: marketer.id, role: "admin" });
    await changeRole(t.db, { workspaceId: workspace.id, actor: actorOf(marketer), userId: admin.id, role: "viewer" });
    const roles = await t.db.membership.findMany({ where: { workspaceId: workspace.id }, orderBy: { createdAt: "asc" } });
    expect(roles.map((m) => m.role)).toEqual(["viewer", "admin"]);
    const { entries } = await listAudit(t.db, { workspaceId: workspace.id, action: "member.role_changed", limit: 10 });
    expect(entries.map((e) => (e.diff as { role: unknown }).role)).toEqual([
      { from: "admin", to: "viewer" },
      { from: "marketer", to: "admin" },
    ]);
  });

  it("two admins demoting or removing each other at the same moment never leave the workspace without an admin", async () => {
    for (let round = 0; round < 8; round++) {
      const { workspace, admin, members } = await createWorkspaceWith(t.db, ["admin"]);
      const other = members[0]!.user;
      const [a, b] = [viewerFor(admin, workspace, "admin"), viewerFor(other, workspace, "admin")];
      const [first, second] =
        round % 2 === 0
          ? await Promise.all([
              postTrpc(t.db, a, "members.changeRole", { userId: other.id, role: "viewer" }),
              postTrpc(t.db, b, "members.changeRole", { userId: admin.id, role: "viewer" }),
            ])
          : await Promise.all([postTrpc(t.db, a, "members.remove", { userId: other.id }), postTrpc(t.db, b, "members.remove", { userId: admin.id })]);
      expect([first.status, second.status].sort()).toEqual([200, 409]);
      expect(await t.db.membership.count({ where: { workspaceId: workspace.id, role: "admin" } })).toBe(1);
    }
  });

  it("a removed member accepts a new invitation with their existing account; wrong address, used links and other workspaces are refused", async () => {
    const { workspace, admin, members } = await createWorkspaceWith(t.db, ["marketer"]);
    const person = members[0]!.user;
    await removeMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), userId: person.id });
    const { token } = await inviteMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), email: person.email.toUpperCase(), role: "viewer" });

    const stranger = await createWorkspaceWith(t.db);
    await expect(acceptInvitation(t.db, { user: stranger.admin, token })).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/is for/) });
    expect(await acceptInvitation(t.db, { user: person, token })).toMatchObject({ workspaceId: workspace.id });
    expect(await t.db.membership.findFirst({ where: { workspaceId: workspace.id, userId: person.id } })).toMatchObject({ role: "viewer" });
    await expect(acceptInvitation(t.db, { user: person, token })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const { entries } = await listAudit(t.db, { workspaceId: workspace.id, action: "member.joined", limit: 10 });
    expect(entries.map((e) => e.actorId)).toEqual([person.id]);

    // Someone who belongs to another workspace is told so, and nothing changes.
    const other = await inviteMember(t.db, { workspaceId: stranger.workspace.id, actor: actorOf(stranger.admin), email: person.email, role: "viewer" });
    await expect(acceptInvitation(t.db, { user: person, token: other.token })).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/one workspace/) });
    expect(await t.db.membership.count({ where: { userId: person.id } })).toBe(1);
  });

  it("an invitation revoked while someone accepts it is not used: the revoke wins, nothing is written", async () => {
    const { workspace, admin, members } = await createWorkspaceWith(t.db, ["viewer"]);
    const person = members[0]!.user;
    await removeMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), userId: person.id });
    const { invitation, token } = await inviteMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), email: person.email, role: "admin" });
    const stale = (await findOpenInvitation(t.db, token))!; // read by the accepting request…
    await revokeInvitation(t.db, { workspaceId: workspace.id, actor: actorOf(admin), invitationId: invitation.id }); // …revoked meanwhile
    expect(await t.db.$transaction((tx) => joinWorkspace(tx, stale, person))).toBe(false);
    expect(await t.db.membership.count({ where: { workspaceId: workspace.id, userId: person.id } })).toBe(0);
  });

  it("removes members but not yourself", async () => {
    const { workspace, admin, members } = await createWorkspaceWith(t.db, ["viewer"]);
    await expect(removeMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), userId: admin.id })).rejects.toThrow(/yourself/);
    await removeMember(t.db, { workspaceId: workspace.id, actor: actorOf(admin), userId: members[0]!.user.id });
    expect(await t.db.membership.count({ where: { workspaceId: workspace.id } })).toBe(1);
  });

  it("audits workspace changes with a before/after diff, and nothing when nothing changed", async () => {
    const { workspace, admin } = await createWorkspaceWith(t.db);
    await updateWorkspace(t.db, { workspaceId: workspace.id, actor: actorOf(admin), name: "Renamed", defaultTimezone: "Europe/Berlin" });
    await updateWorkspace(t.db, { workspaceId: workspace.id, actor: actorOf(admin), name: "Renamed", defaultTimezone: "Europe/Berlin" });
    const { entries } = await listAudit(t.db, { workspaceId: workspace.id, action: "workspace.updated", limit: 10 });
    expect(entries).toHaveLength(1);
    expect(entries[0]?.diff).toEqual({
      defaultTimezone: { from: "UTC", to: "Europe/Berlin" },
      name: { from: workspace.name, to: "Renamed" },
    });
  });

  it("frequency caps: admins set them (validated, audited), marketers and viewers read them, and the sender gets them", async () => {
    const { workspace, admin, members } = await createWorkspaceWith(t.db, ["marketer"]);
    const marketer = members[0]!.user;
    const caps = [{ channel: "email", purpose: "marketing", max: 3, days: 7 }];
    const asAdmin = viewerFor(admin, workspace, "admin");
    const asMarketer = viewerFor(marketer, workspace, "marketer");
    expect((await postTrpc(t.db, asMarketer, "workspace.setFrequencyCaps", { caps })).status).toBe(403);
    const bad = await postTrpc(t.db, asAdmin, "workspace.setFrequencyCaps", { caps: [{ channel: "fax", purpose: "marketing", max: 0, days: 100 }] });
    expect(bad.status).toBe(400);
    expect((await postTrpc(t.db, asAdmin, "workspace.setFrequencyCaps", { caps })).status).toBe(200);
    expect(await frequencyCaps(t.db, workspace.id)).toEqual(caps);
    const { entries } = await listAudit(t.db, { workspaceId: workspace.id, action: "workspace.frequency_caps_changed", limit: 10 });
    expect(entries.map((e) => e.diff)).toEqual([{ frequencyCaps: { from: "none", to: "At most 3 marketing emails per 7 days" } }]);
    // Saving the same again records nothing new.
    await setFrequencyCaps(t.db, { workspaceId: workspace.id, actor: actorOf(admin), caps: caps as never });
    expect((await listAudit(t.db, { workspaceId: workspace.id, action: "workspace.frequency_caps_changed", limit: 10 })).entries).toHaveLength(1);
  });
});

