import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import type { Role } from "@/lib/auth/roles";
import { useTestDatabase } from "@/server/test/database";
import { createUser, createWorkspaceWith, viewerFor } from "@/server/test/fixtures";
import { handleTrpcRequest } from "./http";
import { appRouter } from "./root";
import { createCallerFactory, type Context } from "./trpc";

const createCaller = createCallerFactory(appRouter);

describe("tRPC procedures", () => {
  const t = useTestDatabase();

  async function callerAs(role: Role) {
    const { workspace, admin, members } = await createWorkspaceWith(t.db, role === "admin" ? [] : [role]);
    const user = role === "admin" ? admin : members[0]!.user;
    const ctx: Context = { db: t.db, viewer: viewerFor(user, workspace, role), headers: new Headers() };
    return { caller: createCaller(ctx), workspace, user, ctx };
  }

  async function codeOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
      return "OK";
    } catch (error) {
      return error instanceof TRPCError ? error.code : `unexpected ${String(error)}`;
    }
  }

  it("refuses anonymous callers with UNAUTHORIZED", async () => {
    const caller = createCaller({ db: t.db, viewer: null, headers: new Headers() });
    expect(await codeOf(caller.workspace.current())).toBe("UNAUTHORIZED");
  });

  it("refuses a signed-in user without a workspace with FORBIDDEN", async () => {
    const user = await createUser(t.db);
    const caller = createCaller({ db: t.db, viewer: { user, membership: null }, headers: new Headers() });
    expect(await codeOf(caller.workspace.current())).toBe("FORBIDDEN");
  });

  it.each<[Role, string]>([
    ["viewer", "FORBIDDEN"],
    ["marketer", "FORBIDDEN"],
    ["admin", "OK"],
  ])("admin procedures for a %s → %s", async (role, expected) => {
    const { caller } = await callerAs(role);
    expect(await codeOf(caller.audit.list({}))).toBe(expected);
    expect(await codeOf(caller.members.invitations())).toBe(expected);
    expect(await codeOf(caller.members.invite({ email: `x-${role}@example.com`, role: "viewer" }))).toBe(expected);
    expect(await codeOf(caller.workspace.update({ name: "New name", defaultTimezone: "UTC" }))).toBe(expected);
  });

  it("viewers can read the workspace and its members", async () => {
    const { caller, workspace } = await callerAs("viewer");
    const current = await caller.workspace.current();
    expect(current).toMatchObject({ id: workspace.id, role: "viewer" });
    expect(await caller.members.list()).toHaveLength(2);
  });

  it("bad input is a BAD_REQUEST naming each field, and nothing is written", async () => {
    const { caller, workspace, ctx } = await callerAs("admin");
    const auditBefore = await t.db.auditLogEntry.count({ where: { workspaceId: workspace.id } });
    try {
      await caller.members.invite({ email: "not-an-email", role: "owner" as Role });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("BAD_REQUEST");
    }
    // Over HTTP: a 400 whose message and fieldErrors name each wrong field.
    const res = await handleTrpcRequest(
      new Request("http://localhost:3000/api/trpc/members.invite", {
        method: "POST",
        headers: { "content-type": "application/json", host: "localhost:3000", origin: "http://localhost:3000" },
        body: JSON.stringify({ json: { email: "nope", role: "owner" } }),
      }),
      async () => ctx,
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { json: { message: string; data: { fieldErrors: Record<string, string[]> } } } };
    expect(Object.keys(body.error.json.data.fieldErrors).sort()).toEqual(["email", "role"]);
    expect(body.error.json.message).toMatch(/^email: Enter a valid email address; role: /);

    expect(await t.db.invitation.count({ where: { workspaceId: workspace.id } })).toBe(0);
    expect(await t.db.auditLogEntry.count({ where: { workspaceId: workspace.id } })).toBe(auditBefore);
  });

  it("a rule violation is a clean CONFLICT with the service's message", async () => {
    const { caller, user } = await callerAs("admin");
    await expect(caller.members.changeRole({ userId: user.id, role: "viewer" })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/at least one admin/),
    });
  });

  it("an invite returns the link once; the token is not stored", async () => {
    const { caller } = await callerAs("admin");
    const result = await caller.members.invite({ email: "Friend@Example.com", role: "marketer" });
    expect(result.email).toBe("friend@example.com");
    const token = result.link.split("/invite/")[1]!;
    expect(token.length).toBeGreaterThan(20);
    const rows = await t.db.invitation.findMany();
    expect(JSON.stringify(rows)).not.toContain(token);
  });
});
